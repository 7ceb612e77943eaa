package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/guard"
	"github.com/sirocco-project/sirocco/internal/jsonvalue"
	"github.com/sirocco-project/sirocco/web/templates"
)

// Bulk decisions from the inbox: the rows of approvals that allow it and
// wait for the person carry a checkbox of the bulk form (its value the
// action's id and the digest of the request the row was drawn from); the
// form approves or rejects the ticked ones, or all on the page, with one
// comment and one answer, and the answer is a page listing each item as
// decided or refused and why. Plain HTML forms: no JavaScript needed.

// bulkDecidePath is where the bulk form posts.
const bulkDecidePath = "/approvals/decide"

// bulkValue is a row's checkbox value: id~digest.
func bulkValue(id, shown string) string { return id + "~" + shown }

// parseBulkValue reads a checkbox value back.
func parseBulkValue(v string) (engine.BulkItem, bool) {
	i := strings.LastIndexByte(v, '~')
	if i <= 0 || i == len(v)-1 {
		return engine.BulkItem{}, false
	}
	return engine.BulkItem{ID: v[:i], Shown: v[i+1:]}, true
}

// markBulk gives the rows that wait for the person and allow bulk
// decisions their checkbox.
func (s *Server) markBulk(c echo.Context, rows []templates.InboxRow) {
	var ids []string
	for _, r := range rows {
		if r.Approval != nil && r.Approval.Mine {
			ids = append(ids, r.ID)
		}
	}
	if len(ids) == 0 {
		return
	}
	choices, err := s.engine.BulkChoices(c.Request().Context(), ids)
	if err != nil {
		// The inbox is still shown, without the boxes.
		s.log.Warn("bulk choices of the inbox", "err", err)
		return
	}
	for i := range rows {
		if ch, ok := choices[rows[i].ID]; ok && rows[i].Approval != nil {
			rows[i].Approval.Bulk = bulkValue(rows[i].ID, ch.Shown)
		}
	}
}

// decideBulk serves POST /approvals/decide.
func (s *Server) decideBulk(c echo.Context) error {
	form := c.Request().PostForm
	values := form["item"]
	if form.Get("all") == "1" {
		values = append(values, form["page"]...)
	}
	var items []engine.BulkItem
	seen := map[string]bool{}
	for _, v := range values {
		it, ok := parseBulkValue(v)
		if !ok {
			return s.errorPage(c, http.StatusBadRequest, fmt.Sprintf("The form's item %q cannot be read. Nothing was decided.", v))
		}
		if !seen[it.ID] {
			seen[it.ID] = true
			items = append(items, it)
		}
	}
	if len(items) == 0 {
		return s.errorPage(c, http.StatusBadRequest, "Select at least one approval (tick its box, or \"select all on this page\"). Nothing was decided.")
	}
	state := engine.State(form.Get("state"))
	if state != engine.StateSuccess && state != engine.StateError {
		return s.errorPage(c, http.StatusBadRequest, "Choose Approve selected or Reject selected. Nothing was decided.")
	}
	comment := strings.TrimSpace(form.Get("comment"))
	comp := engine.Completion{State: state, Via: engine.ViaDashboard, Comment: comment, Note: noteBy(c, comment),
		Decider: guard.Decider(c, engine.ViaDashboard), Authorize: guard.AuthorizeMove(c)}
	if text := strings.TrimSpace(form.Get("answer")); text != "" && state == engine.StateSuccess {
		out, err := jsonvalue.DecodeInput([]byte(text))
		if err != nil {
			return s.errorPage(c, http.StatusBadRequest, fmt.Sprintf("The answer is not valid JSON: %v. Nothing was decided.", err))
		}
		comp.Output, comp.HasOutput = out, true
	}
	res, err := s.engine.DecideBulk(c.Request().Context(), items, comp)
	if err != nil {
		return s.fail(c, err)
	}
	v := templates.BulkResultView{Page: s.page(c, "Bulk decision", "inbox"), Approve: state == engine.StateSuccess, Comment: comment}
	for _, r := range res {
		row := templates.BulkResultRow{ID: r.ID, URL: actionURL(r.ID), Title: r.Title, State: string(r.State)}
		switch {
		case r.Err != nil:
			row.Outcome, row.Why = "refused", fault.Message(r.Err)
			if fault.Code(r.Err) == fault.EINTERNAL {
				s.log.Error("bulk decision item failed", "id", r.ID, "err", r.Err)
			}
			v.Refused++
		case r.State.Completed():
			row.Outcome = "decided"
			v.Decided++
		default:
			row.Outcome, row.Why = "counted", "Your vote counted; the approval waits for more votes."
			v.Counted++
		}
		v.Items = append(v.Items, row)
	}
	return s.render(c, http.StatusOK, templates.BulkResultPage(v))
}

// bulkPanel is the bulk form of an inbox page: the boxes of its list and
// of its "Waiting for me" section.
func (s *Server) bulkPanel(c echo.Context, lists ...*templates.InboxList) templates.BulkPanel {
	p := templates.BulkPanel{CSRF: s.formToken(c)}
	seen := map[string]bool{}
	for _, l := range lists {
		if l == nil {
			continue
		}
		for _, r := range l.Rows {
			if r.Approval != nil && r.Approval.Bulk != "" && !seen[r.Approval.Bulk] {
				seen[r.Approval.Bulk] = true
				p.Page = append(p.Page, r.Approval.Bulk)
			}
		}
	}
	return p
}
