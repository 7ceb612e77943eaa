package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/guard"
	"github.com/sirocco-project/sirocco/web/templates"
)

// inboxRequest is the inbox's query string.
type inboxRequest struct {
	filter templates.InboxFilter
	after  string
	before string
	limit  int
	// mine lists only the approvals waiting for the person (?mine=1).
	mine bool
	// view is ?view=: "people", "services" or "" (both).
	view string
}

// The inbox's views (?view=) and whom their actions wait for.
var inboxViews = map[string]string{"": "", templates.ViewPeople: engine.WaitsForPerson, templates.ViewServices: engine.WaitsForService}

// mineSectionLimit is how many of the approvals waiting for the person
// the inbox's first page shows above the whole list.
const mineSectionLimit = 10

func bindInbox(c echo.Context) (inboxRequest, engine.InboxQuery, error) {
	// Echo's QueryParam drops what net/url cannot read, and every parameter
	// past its 10,000th: the inbox would list what its filters exclude.
	p, err := url.ParseQuery(c.Request().URL.RawQuery)
	if err != nil {
		return inboxRequest{}, engine.InboxQuery{}, fault.Errorf(fault.EINVALID, "The query string cannot be read (%v; at most 10000 parameters).", err)
	}
	r := inboxRequest{
		filter: templates.InboxFilter{
			Workflow: p.Get("workflow"), Action: p.Get("action"), Task: p.Get("task"),
			Search: p.Get("q"), Newest: p.Get("sort") == "newest",
		},
		after: p.Get("after"), before: p.Get("before"), mine: p.Get("mine") == "1", view: p.Get("view"),
	}
	q := engine.InboxQuery{
		Workflow: r.filter.Workflow, Action: r.filter.Action, Task: r.filter.Task, Search: r.filter.Search, Newest: r.filter.Newest,
		Mine: r.mine,
	}
	waits, ok := inboxViews[r.view]
	if !ok {
		return r, q, fault.Errorf(fault.EINVALID, "view must be %q or %q (or absent for both), got %q.", templates.ViewPeople, templates.ViewServices, r.view)
	}
	q.WaitsFor = waits
	if v := p.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return r, q, fault.Errorf(fault.EINVALID, "limit must be a positive number.")
		}
		if n > engine.MaxInboxLimit {
			return r, q, fault.Errorf(fault.EINVALID, "limit must be at most %d.", engine.MaxInboxLimit)
		}
		r.limit, q.Limit = n, n
	}
	if r.after != "" {
		if q.After, err = engine.ParseInboxCursor(r.after); err != nil {
			return r, q, err
		}
	}
	if r.before != "" {
		if q.Before, err = engine.ParseInboxCursor(r.before); err != nil {
			return r, q, err
		}
	}
	return r, q, nil
}

// url returns the inbox URL for the same filters at another cursor.
func (r inboxRequest) url(after, before string) string {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("workflow", r.filter.Workflow)
	set("action", r.filter.Action)
	set("task", r.filter.Task)
	set("q", r.filter.Search)
	set("view", r.view)
	if r.mine {
		v.Set("mine", "1")
	}
	if r.filter.Newest {
		v.Set("sort", "newest")
	}
	if r.limit > 0 {
		v.Set("limit", strconv.Itoa(r.limit))
	}
	set("after", after)
	set("before", before)
	if len(v) == 0 {
		return "/"
	}
	return "/?" + v.Encode()
}

// inbox serves the inbox (GET / for browsers, GET /inbox). For a person
// who may decide approvals, its first page starts with those waiting for
// them ("Waiting for me"), and every approval's row says whether it is
// theirs; ?mine=1 lists only those.
func (s *Server) inbox(c echo.Context) error {
	ctx := c.Request().Context()
	req, q, err := bindInbox(c)
	if err != nil {
		return s.fail(c, err)
	}
	q.Viewer = viewerOf(c)
	p, err := s.engine.Inbox(ctx, q)
	if err != nil {
		return s.fail(c, err)
	}
	list := s.inboxList(c, req, q, p)
	if q.Mine && !q.Filtered() && q.Viewer != nil {
		s.setWaiting(c, p.Matching, p.MatchingCapped) // the header's count, already counted
	}
	var mine *templates.InboxList
	// The approvals waiting for the person head the first page of the
	// inbox and of its people's view (approvals wait for people).
	if q.Viewer != nil && !q.Mine && !q.Filtered() && q.After == nil && q.Before == nil && q.WaitsFor != engine.WaitsForService {
		mq := engine.InboxQuery{Viewer: q.Viewer, Mine: true, Limit: mineSectionLimit}
		mp, err := s.engine.Inbox(ctx, mq)
		if err != nil {
			return s.fail(c, err)
		}
		l := s.inboxList(c, inboxRequest{mine: true}, mq, mp)
		l.NextURL = ""
		if mp.Next != nil {
			l.MoreURL = inboxRequest{mine: true}.url("", "")
		}
		mine = &l
		s.setWaiting(c, mp.Matching, mp.MatchingCapped)
	}
	if fragment(c) {
		return s.render(c, http.StatusOK, templates.InboxFragment(mine, list))
	}
	facets, err := s.engine.InboxFacets(ctx)
	if err != nil {
		return s.fail(c, err)
	}
	title := "Inbox"
	switch {
	case q.Mine:
		title = "Waiting for me"
	case req.view == templates.ViewPeople:
		title = "Inbox · waiting for people"
	case req.view == templates.ViewServices:
		title = "Inbox · waiting for services"
	}
	v := templates.InboxView{
		Page:   s.page(c, title, "inbox"),
		Filter: req.filter, Workflows: facets.Workflows, Actions: facets.Actions, Tasks: facets.Tasks,
		List: list, Mine: mine,
	}
	v.Bulk = s.bulkPanel(c, &list, mine)
	v.Live = &templates.Live{Topics: "inbox", Src: req.url(req.after, req.before)}
	return s.render(c, http.StatusOK, templates.InboxPage(v))
}

func (s *Server) inboxList(c echo.Context, req inboxRequest, q engine.InboxQuery, p *engine.InboxPage) templates.InboxList {
	now := s.now()
	l := templates.InboxList{
		Pending: p.Pending, Matching: p.Matching, MatchingCapped: p.MatchingCapped, Filtered: q.Filtered(), Mine: q.Mine,
		Rows: make([]templates.InboxRow, 0, len(p.Items)),
		View: req.view, Services: p.Services, People: p.Pending - p.Services,
	}
	if !q.Mine {
		// The views' links keep the filters and the order, not the page.
		for _, v := range []string{"", templates.ViewPeople, templates.ViewServices} {
			r := req
			r.view, r.limit = v, 0
			l.ViewURLs = append(l.ViewURLs, r.url("", ""))
		}
	}
	admin := voterOf(c).Admin
	var token string // the cancel forms' CSRF token, made once
	if p.Next != nil {
		l.NextURL = req.url(p.Next.String(), "")
	}
	if p.Prev != nil {
		l.PrevURL = req.url("", p.Prev.String())
	}
	for _, it := range p.Items {
		r := templates.InboxRow{
			ID: it.ID, URL: actionURL(it.ID), Action: it.Action, Workflow: it.WorkflowName, Task: it.TaskName,
			State: string(it.State), InputPreview: compactPreview(it.InputPreview), Since: it.CreatedAt,
			Waited: templates.Duration(now.Sub(it.CreatedAt)), TimeoutAt: it.TimeoutAt,
			Description: it.Description, StartedBy: it.StartedBy, Service: it.WaitsFor == engine.WaitsForService,
			Request: it.RequestLine, Cancel: admin && it.WaitsFor == engine.WaitsForService,
		}
		if r.Cancel {
			if token == "" {
				token = s.formToken(c)
			}
			r.CSRF = token
		}
		if isEmptyJSON(it.InputPreview) && it.ExecutionInputPreview != "" {
			r.InputPreview, r.InputIsExecution = compactPreview(it.ExecutionInputPreview), true
		}
		if it.WorkflowExecutionID != "" {
			r.ExecutionURL = executionURL(it.WorkflowExecutionID)
		}
		if ap := it.Approval; ap != nil {
			r.Approval = &templates.InboxApproval{Title: ap.Title, RequestedBy: ap.RequestedBy, Missing: ap.Missing,
				Mine: ap.MayDecide, Override: admin && !ap.MayDecide}
		}
		if it.TimeoutAt != nil {
			if d := it.TimeoutAt.Sub(now); d > 0 {
				r.TimeoutIn = "in " + templates.Duration(d)
			} else {
				r.TimeoutIn, r.Overdue = "overdue by "+templates.Duration(-d), true
			}
		}
		l.Rows = append(l.Rows, r)
	}
	s.markBulk(c, l.Rows)
	s.markClaims(c, l.Rows)
	return l
}

// compactPreview shortens an input preview for one table line; the store
// already cut it to a few hundred bytes.
func compactPreview(s string) string {
	const max = 160
	if len(s) <= max {
		return s
	}
	// Cut on a rune boundary.
	cut := max
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}

func isEmptyJSON(s string) bool {
	switch s {
	case "", "{}", "null", "[]":
		return true
	}
	return false
}

// cancelService serves POST /actions/<id>/cancel: an admin cancels an
// action that waits for a service's callback (the services view), as the
// callback API's state CANCELLED would.
func (s *Server) cancelService(c echo.Context) error {
	if !voterOf(c).Admin {
		return s.errorPage(c, http.StatusForbidden, "Cancelling a service's action needs the admin role.")
	}
	id := c.Param("id")
	a, err := s.engine.GetActionExecution(c.Request().Context(), id)
	if err != nil {
		return s.fail(c, err)
	}
	if a.WaitsFor != engine.WaitsForService {
		return s.errorPage(c, http.StatusConflict, "This action does not wait for a service: a person decides it on its page.")
	}
	comp := engine.Completion{State: engine.StateCancelled, Via: engine.ViaDashboard, Note: noteBy(c, "cancelled from the services view"),
		Decider: guard.Decider(c, engine.ViaDashboard)}
	comp.Authorize = guard.AuthorizeMove(c)
	if _, err := s.engine.UpdateActionExecution(c.Request().Context(), id, comp); err != nil {
		if fault.Code(err) == fault.ECONFLICT {
			return c.Redirect(http.StatusSeeOther, actionURL(id)+"?notice=conflict")
		}
		return s.fail(c, err)
	}
	return c.Redirect(http.StatusSeeOther, inboxRequest{view: templates.ViewServices}.url("", ""))
}
