package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/guard"
	"github.com/sirocco-project/sirocco/internal/httpstatus"
	"github.com/sirocco-project/sirocco/internal/jsonvalue"
	"github.com/sirocco-project/sirocco/internal/quorum"
	"github.com/sirocco-project/sirocco/internal/schemaform"
	"github.com/sirocco-project/sirocco/web/templates"
)

// An approval on its action page and in the inbox: the handlers' side of
// approval.go's mapping.

// voterOf is the person behind a dashboard request as an approval's rules
// see them. MayDecide is the approver role, which POST /actions/<id> asks
// for (guard.Policy): someone named among an approval's approvers with a
// lesser role is shown why they cannot vote rather than a form the server
// would refuse. With authentication off everyone is the local admin, who
// has no name and decides approvals by override alone.
func voterOf(c echo.Context) quorum.Voter {
	p := guard.FromContext(c)
	switch {
	case p == nil || p.Method == auth.MethodCallback:
		return quorum.Voter{}
	case p.Method == auth.MethodOff:
		return quorum.Voter{Admin: true, MayDecide: true}
	}
	return quorum.Voter{User: p.User, Groups: p.Groups, Admin: p.Role.Allows(auth.RoleAdmin), MayDecide: p.Role.Allows(auth.RoleApprover)}
}

// viewerOf is the person behind a dashboard request as the inbox counts
// what waits for them: nil unless they may vote on approvals (a named
// account with the approver role or above).
func viewerOf(c echo.Context) *engine.Viewer {
	v := voterOf(c)
	if v.User == "" || !v.MayDecide {
		return nil
	}
	return &engine.Viewer{User: v.User, Groups: v.Groups}
}

// waitingKey caches a request's count of what waits for its person.
const waitingKey = "web.waiting"

// waiting is the header's count of the approvals waiting for the person
// of the request; nil for who decides none. A page that counted them
// already (the inbox's section) leaves its count with setWaiting.
func (s *Server) waiting(c echo.Context) *templates.WaitingCount {
	if w, ok := c.Get(waitingKey).(*templates.WaitingCount); ok {
		return w
	}
	v := viewerOf(c)
	if v == nil {
		return nil
	}
	n, capped, err := s.engine.WaitingCount(c.Request().Context(), *v)
	if err != nil {
		// The header goes without its count; the page is still shown.
		s.log.Warn("count of approvals waiting", "user", v.User, "err", err)
		return nil
	}
	return s.setWaiting(c, n, capped)
}

func (s *Server) setWaiting(c echo.Context, n int, capped bool) *templates.WaitingCount {
	w := &templates.WaitingCount{N: n, Capped: capped}
	c.Set(waitingKey, w)
	return w
}

// waitingLink serves GET /inbox/waiting: the header's count alone, which
// the page script fetches when an approval's event arrives.
func (s *Server) waitingLink(c echo.Context) error {
	w := s.waiting(c)
	if w == nil {
		return c.NoContent(http.StatusNoContent)
	}
	return s.render(c, http.StatusOK, templates.WaitingLink(*w))
}

// approvalRequestOf reads an approval with its votes and tally for its
// page.
func (s *Server) approvalRequestOf(ctx context.Context, id string) (approvalRequest, error) {
	st, err := s.engine.ApprovalStatus(ctx, id)
	if err != nil {
		return approvalRequest{}, err
	}
	ap := st.Request
	schema, err := ap.AnswerSchema()
	if err != nil {
		return approvalRequest{}, err
	}
	r := approvalRequest{
		ActionID: id, Pending: !st.Action.State.Completed(),
		Title: ap.Title, Description: ap.Description, RequestedBy: ap.RequestedBy,
		Context: ap.Context, ContextRawURL: rawURL("actions", id, "context.json"),
		Schema: schema, Spec: ap.Spec(), Result: st.Tally, RejectReasonRequired: ap.RejectReasonRequired,
		Ladder: ladderView(st.Ladder, !st.Action.State.Completed()),
	}
	for _, v := range st.Votes {
		r.Votes = append(r.Votes, templates.Vote{User: v.User, Approve: v.Approve, Override: v.Override, Rule: v.Rule,
			Comment: v.Comment, Channel: v.Channel, At: v.CreatedAt})
	}
	if st.ProposalJSON != "" {
		if p, err := jsonvalue.Decode([]byte(st.ProposalJSON)); err == nil {
			if o, ok := p.(*jsonvalue.Object); ok {
				r.Proposal = o.Map()
			}
		}
	}
	return r, nil
}

// decideApproval serves POST /actions/<id> for an approval: the form drawn
// from its schema is read back (readApprovalPost) and sent to the engine
// as a vote, or an admin's override. A form the schema refuses is shown
// again (422) with each error under its field and everything typed kept;
// so is a vote the engine refuses, with its status. A vote counted
// redirects to the page.
func (s *Server) decideApproval(c echo.Context, id string) error {
	ctx := c.Request().Context()
	req, err := s.approvalRequestOf(ctx, id)
	if err != nil {
		return s.fail(c, err)
	}
	posted := c.Request().PostForm
	post, problems := readApprovalPost(req, posted)
	if problems.any() {
		return s.approvalAgain(c, id, posted, problems, post, http.StatusUnprocessableEntity)
	}
	comp := engine.Completion{State: engine.StateError, Via: engine.ViaDashboard, Comment: post.Comment, Note: noteBy(c, post.Comment),
		Decider: guard.Decider(c, engine.ViaDashboard), Override: post.Override, Reason: post.Reason}
	if post.Approve {
		comp.State = engine.StateSuccess
	}
	if post.Answer != nil {
		comp.Output, comp.HasOutput = post.Answer, true
	}
	comp.Authorize = guard.AuthorizeMove(c)
	a, err := s.engine.UpdateActionExecution(ctx, id, comp)
	switch fault.Code(err) {
	case "":
		if !a.State.Completed() {
			return c.Redirect(http.StatusSeeOther, actionURL(id)+"?notice=voted")
		}
		return c.Redirect(http.StatusSeeOther, actionURL(id)+"?notice=decided")
	case fault.EINVALID, fault.ETOOLARGE, fault.EFORBIDDEN, fault.ECONFLICT:
		return s.approvalAgain(c, id, posted, approvalProblemsOf(err), post, httpstatus.Of(err))
	}
	return s.fail(c, err)
}

// approvalAgain shows an approval's page again after a post that recorded
// nothing: with the form as posted and its problems while the approval
// waits; once it is decided (someone was first), with what was typed
// under the outcome, and why nothing was recorded at the top.
func (s *Server) approvalAgain(c echo.Context, id string, posted url.Values, problems approvalProblems, post approvalPost, status int) error {
	v, err := s.actionViewWith(c, id, posted, problems)
	if err != nil {
		return s.fail(c, err)
	}
	if !v.Pending {
		msg := "Your decision was not recorded: this approval had already been decided, as shown below. Nothing was changed."
		if len(problems.Form) > 0 {
			msg = "Your decision was not recorded: " + strings.Join(problems.Form, " ")
		}
		v.Notice = &templates.Notice{Kind: "warn", Text: msg}
		v.Form = templates.DecisionForm{Comment: strings.TrimSpace(posted.Get("comment")), Reason: strings.TrimSpace(posted.Get("reason"))}
		answer := post.Answer
		if answer == nil {
			// The answer did not pass its schema (or was not read): keep
			// its fields as typed.
			answer = typedAnswer(s.approvalFieldsOf(c, id), posted)
		}
		if len(answer) > 0 {
			if b, err := jsonvalue.EncodeUTF8(answer); err == nil {
				v.Form.Output = string(b)
			}
		}
	}
	return s.render(c, status, templates.ActionPage(v))
}

// approvalFieldsOf is an approval's answer fields; none if it cannot be
// read (the page then keeps the comment and reason alone).
func (s *Server) approvalFieldsOf(c echo.Context, id string) []schemaform.Field {
	r, err := s.approvalRequestOf(c.Request().Context(), id)
	if err != nil {
		return nil
	}
	return r.fields()
}

// typedAnswer is what was typed in an answer's fields, as text, for a
// person to copy when it could not be recorded.
func typedAnswer(fields []schemaform.Field, posted url.Values) map[string]any {
	m := map[string]any{}
	for _, f := range fields {
		var typed []any
		for _, v := range posted[f.Name] {
			if strings.TrimSpace(v) != "" {
				typed = append(typed, v)
			}
		}
		switch len(typed) {
		case 0:
		case 1:
			m[f.Name] = typed[0]
		default:
			m[f.Name] = typed
		}
	}
	return m
}
