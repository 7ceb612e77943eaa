package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/guard"
	"github.com/sirocco-project/sirocco/internal/httpstatus"
	"github.com/sirocco-project/sirocco/internal/jsonvalue"
	"github.com/sirocco-project/sirocco/internal/jsonview"
	"github.com/sirocco-project/sirocco/web/templates"
)

// action serves GET /actions/<id>.
func (s *Server) action(c echo.Context) error {
	v, err := s.actionView(c, c.Param("id"))
	if err != nil {
		return s.fail(c, err)
	}
	if fragment(c) {
		return s.render(c, http.StatusOK, templates.ActionRegions(v))
	}
	v.AuditURL, v.AuditCount = s.auditLink(c, v.ID)
	switch c.QueryParam("notice") {
	case "decided":
		v.Notice = &templates.Notice{Kind: "ok", Text: "Your decision was recorded."}
	case "voted":
		v.Notice = &templates.Notice{Kind: "ok", Text: "Your vote was recorded; the approval waits for more."}
	case "conflict":
		v.Notice = &templates.Notice{Kind: "warn", Text: conflictNotice}
	case "claimed":
		v.Notice = &templates.Notice{Kind: "ok", Text: "You are handling this: the inbox says so to others until the claim expires. Anyone may still decide it."}
	case "released":
		v.Notice = &templates.Notice{Kind: "ok", Text: "The claim was released."}
	}
	return s.render(c, http.StatusOK, templates.ActionPage(v))
}

// decisionRequest is the approve/reject form.
type decisionRequest struct {
	State   string
	Output  string
	Comment string
	// Override and Reason: an admin deciding an approval alone.
	Override bool
	Reason   string
}

// decide serves POST /actions/<id>: the dashboard's way of delivering an
// action's result, through the same engine call as the callback API. It
// never overwrites: if the action was finished meanwhile, the page says
// who finished it and when, and keeps what the person typed.
func (s *Server) decide(c echo.Context) error {
	id := c.Param("id")
	if a, err := s.engine.GetActionExecution(c.Request().Context(), id); err == nil && a.ApprovalJSON != nil {
		return s.decideApproval(c, id)
	}
	var req decisionRequest
	req.State, req.Output, req.Comment = c.FormValue("state"), c.FormValue("output"), c.FormValue("comment")
	req.Override, req.Reason = c.FormValue("override") == "true", strings.TrimSpace(c.FormValue("reason"))
	form := templates.DecisionForm{Output: req.Output, Comment: req.Comment, AsText: c.FormValue("as_text") == "1"}

	comment := strings.TrimSpace(req.Comment)
	comp := engine.Completion{State: engine.State(req.State), Via: engine.ViaDashboard, Comment: comment, Note: noteBy(c, comment),
		Decider: guard.Decider(c, engine.ViaDashboard), Override: req.Override, Reason: req.Reason}
	comp.Authorize = guard.AuthorizeMove(c)
	switch comp.State {
	case engine.StateSuccess, engine.StateError:
	default:
		form.Error = "Choose Approve or Reject."
		return s.rerender(c, id, form, http.StatusUnprocessableEntity)
	}
	if text := strings.TrimSpace(req.Output); text != "" && form.AsText {
		// The person chose to send what they typed as text: a JSON string.
		comp.Output, comp.HasOutput = text, true
	} else if text != "" {
		out, err := jsonvalue.DecodeInput([]byte(text))
		if err != nil {
			// One plain message, the page script's too, rather than the
			// parser's offset; the form then offers to send it as text.
			form.Error, form.NotJSON = templates.NotJSONMessage, true
			return s.rerender(c, id, form, http.StatusUnprocessableEntity)
		}
		comp.Output, comp.HasOutput = out, true
	}
	a, err := s.engine.UpdateActionExecution(c.Request().Context(), id, comp)
	switch fault.Code(err) {
	case "":
		if a.ApprovalJSON != nil && !a.State.Completed() {
			// A vote counted; the approval waits for more.
			return c.Redirect(http.StatusSeeOther, actionURL(id)+"?notice=voted")
		}
		// The same result delivered earlier by someone else is accepted
		// as a no-op: say so rather than claim the decision.
		if a.ApprovalJSON == nil && (a.CompletedVia == nil || *a.CompletedVia != engine.ViaDashboard) {
			return s.notRecorded(c, id, form, http.StatusOK)
		}
		return c.Redirect(http.StatusSeeOther, actionURL(id)+"?notice=decided")
	case fault.ECONFLICT:
		if now, gerr := s.engine.GetActionExecution(c.Request().Context(), id); gerr == nil && !now.State.Completed() {
			// A vote refused while the approval waits: another answer
			// stands, or this person voted otherwise before.
			form.Error = fault.Message(err) + " Nothing was changed."
			return s.rerender(c, id, form, http.StatusConflict)
		}
		return s.notRecorded(c, id, form, http.StatusConflict)
	case fault.EINVALID, fault.ETOOLARGE, fault.EFORBIDDEN:
		form.Error = fault.Message(err) + " Nothing was changed."
		return s.rerender(c, id, form, httpstatus.Of(err))
	}
	return s.fail(c, err)
}

// notRecorded shows the action page as someone else completed it, with
// what this person typed, so that nothing they wrote is lost.
func (s *Server) notRecorded(c echo.Context, id string, form templates.DecisionForm, status int) error {
	v, err := s.actionView(c, id)
	if err != nil {
		return s.fail(c, err)
	}
	v.Notice = &templates.Notice{Kind: "warn", Text: conflictNotice}
	v.Form = form
	return s.render(c, status, templates.ActionPage(v))
}

const conflictNotice = "Your decision was not recorded: this action had already been completed, as shown below. Nothing was changed."

// rerender shows the action page again with the form as it was posted and
// an error under the output field; if the action was completed meanwhile,
// with what was typed under its outcome and why nothing was recorded.
func (s *Server) rerender(c echo.Context, id string, form templates.DecisionForm, status int) error {
	v, err := s.actionView(c, id)
	if err != nil {
		return s.fail(c, err)
	}
	if !v.Pending {
		v.Notice = &templates.Notice{Kind: "warn", Text: conflictNotice}
	}
	v.Form = form
	return s.render(c, status, templates.ActionPage(v))
}

// actionView gathers an action execution, its task and execution, what it
// sent and its timeline; for an approval, its panels with the form as
// first shown.
func (s *Server) actionView(c echo.Context, id string) (templates.ActionView, error) {
	return s.actionViewWith(c, id, nil, approvalProblems{})
}

// actionViewWith is actionView with an approval's form as posted and what
// was wrong with it.
func (s *Server) actionViewWith(c echo.Context, id string, posted url.Values, problems approvalProblems) (templates.ActionView, error) {
	ctx := c.Request().Context()
	a, err := s.engine.GetActionExecution(ctx, id)
	if err != nil {
		return templates.ActionView{}, err
	}
	title := a.Name
	var approval *approvalRequest
	if a.ApprovalJSON != nil {
		r, err := s.approvalRequestOf(ctx, a.ID)
		if err != nil {
			return templates.ActionView{}, err
		}
		approval, title = &r, r.Title
	}
	v := templates.ActionView{
		Page: s.page(c, title, "inbox"),
		ID:   a.ID, Name: a.Name, State: string(a.State), Async: a.Async,
		Pending: !a.State.Completed(), Input: jsonBlock(a.InputJSON, rawURL("actions", a.ID, "input.json")),
		CreatedAt: a.CreatedAt, Waited: s.since(a.CreatedAt), CompletedAt: a.CompletedAt,
		Request: requestView(a.RequestJSON, rawURL("actions", a.ID, "request.json")), StateInfo: clipPtr(a.StateInfo, maxStateInfo),
		MaxOutput: s.engine.MaxOutputBytes(), MaxForm: s.maxBody,
	}
	if a.CompletedVia != nil {
		v.CompletedVia = *a.CompletedVia
	}
	if a.OutputJSON != nil {
		// The download is the stored output, {"result": …}.
		v.Output = jsonBlock(resultOf(*a.OutputJSON), rawURL("actions", a.ID, "output.json"))
	}
	topics := []string{"action:" + a.ID}
	names := map[string]string{a.ID: "action " + a.Name}
	timelineRef := a.ID
	if a.TaskExecutionID != nil {
		t, err := s.engine.GetTask(ctx, *a.TaskExecutionID)
		if err != nil {
			return v, err
		}
		v.TaskID, v.TaskName, v.TaskState = t.ID, t.Name, string(t.State)
		v.TaskPublished = jsonBlock(t.PublishedJSON, rawURL("tasks", t.ID, "published.json"))
		names[t.ID] = "task " + t.Name
		if v.TimeoutAt, err = s.engine.TaskTimeout(ctx, t.ID); err != nil {
			return v, err
		}
	}
	if a.WorkflowExecutionID != nil {
		ex, err := s.engine.GetExecution(ctx, *a.WorkflowExecutionID)
		if err != nil {
			return v, err
		}
		v.ExecutionID, v.ExecutionURL, v.ExecState = ex.ID, executionURL(ex.ID), string(ex.State)
		v.Workflow, v.WorkflowURL = ex.WorkflowName, workflowURL(ex.WorkflowName, ex.WorkflowNamespace)
		v.Description, v.StartedBy = ex.Description, ex.CreatedBy
		v.ExecInput = jsonBlock(ex.InputJSON, rawURL("executions", ex.ID, "input.json"))
		if !saysNothing(ex.ParamsJSON) {
			v.ExecParams = jsonBlock(engine.MaskParams(ex.ParamsJSON), rawURL("executions", ex.ID, "params.json"))
		}
		names[ex.ID] = "execution"
		topics = append(topics, "execution:"+ex.ID)
		timelineRef = ex.ID
	}
	events, err := s.engine.Timeline(ctx, timelineRef)
	if err != nil {
		return v, err
	}
	// An execution's timeline holds all its tasks and actions: keep this
	// action's, its task's and the execution's own.
	kept := events[:0]
	for _, ev := range events {
		if _, ok := names[ev.ID]; ok {
			kept = append(kept, ev)
		}
	}
	v.Timeline = timelineEntries(kept, names)
	if v.Notifications, err = s.actionNotifications(ctx, a.ID); err != nil {
		return v, err
	}
	v.Live = &templates.Live{Topics: strings.Join(topics, " "), Src: actionURL(a.ID)}
	if approval != nil {
		av := approvalView(*approval, voterOf(c), v.CSRF, posted, problems)
		av.Links = s.linksPanel(c, a.ID, v.CSRF)
		av.Handling = s.handling(c, a.ID, v.CSRF, approval.Pending) // claim and presence (claim.go)
		v.Approval = &av
	}
	return v, nil
}

// saysNothing reports whether a JSON object holds only empty values, like
// the params {"env": {}, "namespace": ""} of every plain start: a panel
// showing it would only take room.
func saysNothing(objectJSON string) bool {
	var m map[string]any
	if err := json.Unmarshal([]byte(objectJSON), &m); err != nil {
		return isEmptyJSON(strings.TrimSpace(objectJSON))
	}
	for _, v := range m {
		switch v := v.(type) {
		case nil:
		case string:
			if v != "" {
				return false
			}
		case map[string]any:
			if len(v) > 0 {
				return false
			}
		case []any:
			if len(v) > 0 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// resultOf extracts the value stored under "result" in an action output.
func resultOf(outputJSON string) string {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(outputJSON), &m); err != nil {
		return outputJSON
	}
	if r, ok := m["result"]; ok {
		return string(r)
	}
	return outputJSON
}

// requestView decodes what std.mistral_http recorded having sent; rawURL
// downloads the record whole when the body is too long to show.
func requestView(raw *string, rawURL string) *templates.RequestView {
	if raw == nil {
		return nil
	}
	var rec struct {
		Method  string            `json:"method"`
		URL     string            `json:"url"`
		Headers map[string]string `json:"headers"`
		Body    string            `json:"body"`
		Error   string            `json:"error"`
	}
	if err := json.Unmarshal([]byte(*raw), &rec); err != nil {
		return &templates.RequestView{Error: "The recorded request cannot be read: " + err.Error()}
	}
	r := &templates.RequestView{Method: rec.Method, URL: rec.URL, Error: rec.Error}
	if r.Body, r.BodyCut = jsonview.Clip(rec.Body, jsonview.Block.MaxBytes); r.BodyCut {
		r.RawURL = rawURL
	}
	for k, v := range rec.Headers {
		r.Headers = append(r.Headers, templates.KV{Key: k, Value: v})
	}
	sort.Slice(r.Headers, func(i, j int) bool { return r.Headers[i].Key < r.Headers[j].Key })
	return r
}
