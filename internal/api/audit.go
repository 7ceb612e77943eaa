package api

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/audit"
	"github.com/sirocco-project/sirocco/internal/engine"
)

// listAudit serves GET /v2/audit (admin): the audit trail, newest first,
// filtered (engine.AuditQueryOf) and paged by marker, as JSON
// ({"audit": [...], "head": {...}, "next": URL}) or, with format=csv, as
// a CSV attachment whose cells a spreadsheet would take for formulas are
// neutralised (audit.CSVWriter); the next page is then in a Link header.
// A Sirocco extension: Mistral has no audit trail.
func (a *API) listAudit(c echo.Context) error {
	q, err := queryValues(c)
	if err != nil {
		return a.fault(c, err)
	}
	for name := range q {
		if name != "format" && !slices.Contains(engine.AuditFilters, name) {
			return a.fault(c, invalid("Unknown filter %s: the audit trail is filtered by %v and formatted by format=json|csv.", name, engine.AuditFilters))
		}
	}
	format := q.Get("format")
	if format != "" && format != "json" && format != "csv" {
		return a.fault(c, invalid("format: %q is not json or csv", format))
	}
	aq, err := engine.AuditQueryOf(q.Get)
	if err != nil {
		return a.fault(c, err)
	}
	ctx := c.Request().Context()
	recs, err := a.engine.ListAudit(ctx, aq)
	if err != nil {
		return a.fault(c, err)
	}
	head, err := a.engine.AuditHead(ctx)
	if err != nil {
		return a.fault(c, err)
	}
	limit := aq.Limit
	if limit == 0 {
		limit = engine.DefaultAuditPage
	}
	var next string
	if len(recs) == limit {
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("marker", strconv.FormatInt(recs[len(recs)-1].Seq, 10))
		next = a.base + "/v2/audit?" + nq.Encode()
	}
	c.Response().Header().Set("Sirocco-Audit-Head", fmt.Sprintf("%d:%s", head.Seq, head.Hash))
	if format == "csv" {
		h := c.Response().Header()
		h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
		h.Set(echo.HeaderContentDisposition, `attachment; filename="sirocco-audit.csv"`)
		if next != "" {
			h.Set("Link", "<"+next+`>; rel="next"`)
		}
		c.Response().WriteHeader(http.StatusOK)
		w := audit.NewCSVWriter(c.Response())
		for _, r := range recs {
			if err := w.Write(auditRecord(r)); err != nil {
				return err
			}
		}
		return w.Flush()
	}
	list := make([]any, len(recs))
	for i, r := range recs {
		list[i] = auditRecord(r).Value()
	}
	body := object{{"audit", list}, {"head", object{{"seq", head.Seq}, {"hash", head.Hash}, {"anchored", head.Anchored}}}}
	if next != "" {
		body = append(body, field{"next", next})
	}
	return writeJSON(c, http.StatusOK, body)
}

// auditRecord is the engine's record in package audit's export shape. A
// hash the store holds is always hex; one that is not shows as zeros.
func auditRecord(r *engine.AuditRecord) *audit.Record {
	out, _ := r.Record()
	return out
}
