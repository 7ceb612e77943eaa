package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/audit"
	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/guard"
	"github.com/sirocco-project/sirocco/internal/jsonvalue"
	"github.com/sirocco-project/sirocco/web/templates"
)

// auditPath is the Audit page (admin).
const auditPath = "/audit"

// auditPage serves GET /audit: the audit trail, newest first, filtered
// (engine.AuditQueryOf: the names and meanings of GET /v2/audit's
// filters), with the chain's head in the header. format=csv and
// format=json export the page shown, as the API does: the dashboard's
// session does not open /v2.
func (s *Server) auditPage(c echo.Context) error {
	ctx := c.Request().Context()
	params := c.QueryParams()
	filter := templates.AuditFilter{Action: params.Get("action"), User: params.Get("user"), Outcome: params.Get("outcome"),
		Kind: params.Get("kind"), Since: params.Get("since"), Until: params.Get("until")}
	format := params.Get("format")
	q, err := engine.AuditQueryOf(params.Get)
	if err == nil && format != "" && format != "csv" && format != "json" {
		err = fault.Errorf(fault.EINVALID, "format: %q is not csv or json", format)
	}
	var recs []*engine.AuditRecord
	if err == nil {
		recs, err = s.engine.ListAudit(ctx, q)
	}
	v := templates.AuditView{Page: s.page(c, "Audit trail", "audit"), Filter: filter}
	if err != nil {
		if fault.Code(err) != fault.EINVALID {
			return s.fail(c, err)
		}
		if format != "" && format != "csv" && format != "json" {
			format = ""
		}
		if format != "" {
			return s.errorPage(c, http.StatusBadRequest, fault.Message(err))
		}
		v.Error = "Filter " + fault.Message(err)
	}
	head, err := s.engine.AuditHead(ctx)
	if err != nil {
		return s.fail(c, err)
	}
	v.Head, v.Anchored = fmt.Sprintf("%d:%s", head.Seq, head.Hash), head.Anchored
	limit := q.Limit
	if limit == 0 {
		limit = engine.DefaultAuditPage
	}
	link := func(set map[string]string) string {
		u := url.Values{}
		for k, val := range map[string]string{"action": filter.Action, "user": filter.User, "outcome": filter.Outcome,
			"kind": filter.Kind, "since": filter.Since, "until": filter.Until, "limit": params.Get("limit"), "marker": params.Get("marker")} {
			if val != "" {
				u.Set(k, val)
			}
		}
		for k, val := range set {
			if val == "" {
				u.Del(k)
			} else {
				u.Set(k, val)
			}
		}
		if len(u) == 0 {
			return auditPath
		}
		return auditPath + "?" + u.Encode()
	}
	var next string
	if len(recs) == limit {
		next = strconv.FormatInt(recs[len(recs)-1].Seq, 10)
	}
	switch format {
	case "csv":
		h := c.Response().Header()
		h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
		h.Set(echo.HeaderContentDisposition, `attachment; filename="sirocco-audit.csv"`)
		c.Response().WriteHeader(http.StatusOK)
		w := audit.NewCSVWriter(c.Response())
		for _, r := range recs {
			if err := w.Write(exportRecord(r)); err != nil {
				return err
			}
		}
		return w.Flush()
	case "json":
		list := make([]any, len(recs))
		for i, r := range recs {
			list[i] = exportRecord(r).Value()
		}
		body := map[string]any{"audit": list, "head": map[string]any{"seq": head.Seq, "hash": head.Hash, "anchored": head.Anchored}}
		if next != "" {
			body["next"] = link(map[string]string{"format": "json", "marker": next})
		}
		b, err := jsonvalue.Encode(body)
		if err != nil {
			return s.fail(c, err)
		}
		h := c.Response().Header()
		h.Set(echo.HeaderContentDisposition, `attachment; filename="sirocco-audit.json"`)
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, b)
	}
	for _, r := range recs {
		row := templates.AuditRow{Seq: r.Seq, At: r.At, Kind: r.Kind, Outcome: r.Outcome, Actor: r.Actor, Groups: strings.Join(r.Groups, ", "),
			Channel: r.Channel, Addr: r.Addr, ActionID: r.ActionExecutionID, State: string(r.State), Reason: clip(r.Reason, maxNote),
			Comment: clip(r.Comment, maxNote), Answer: jsonCell(r.AnswerJSON, ""), Hash: r.Hash}
		if r.ActionExecutionID != "" {
			row.ActionURL = actionURL(r.ActionExecutionID)
		}
		v.Rows = append(v.Rows, row)
	}
	if next != "" {
		v.NextURL = link(map[string]string{"marker": next})
	}
	if params.Get("marker") != "" {
		v.FirstURL = link(map[string]string{"marker": ""})
	}
	if v.Error == "" {
		v.CSVURL, v.JSONURL = link(map[string]string{"format": "csv"}), link(map[string]string{"format": "json"})
	}
	status := http.StatusOK
	if v.Error != "" {
		status = http.StatusBadRequest
	}
	return s.render(c, status, templates.AuditPage(v))
}

// exportRecord is the engine's record in package audit's export shape
// (its CSV writer neutralises formulas). A hash the store holds is always
// hex; one that is not shows as zeros.
func exportRecord(r *engine.AuditRecord) *audit.Record {
	out, _ := r.Record()
	return out
}

// auditLink is the action page's link to the action's audit records and
// their count, for those who may open the Audit page (admins, and anyone
// when authentication is off); "" for others.
func (s *Server) auditLink(c echo.Context, actionID string) (string, int) {
	if who := guard.FromContext(c); who != nil && who.Method != auth.MethodOff && !who.Role.Allows(auth.RoleAdmin) {
		return "", 0
	}
	recs, err := s.engine.AuditRecords(c.Request().Context(), actionID)
	if err != nil {
		return "", 0
	}
	return auditPath + "?action=" + url.QueryEscape(actionID), len(recs)
}
