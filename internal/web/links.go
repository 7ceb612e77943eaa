package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/guard"
	"github.com/sirocco-project/sirocco/internal/httpstatus"
	"github.com/sirocco-project/sirocco/internal/quorum"
	"github.com/sirocco-project/sirocco/web/templates"
)

// Decision links in the browser (engine/approval_links.go). GET
// /links/<token> shows the approval and its form and decides nothing, so
// that mail scanners and chat unfurlers that fetch it change nothing;
// only the form's POST decides, as the link's person, channel link. The
// pages send Referrer-Policy: no-referrer (the token is in the path), and
// the form's token is bound to the link rather than to a session, which a
// link that needs no login has none of.

// registerLinks adds the link pages and the action page's revoke form.
func (s *Server) registerLinks(e *echo.Echo, mw []echo.MiddlewareFunc) {
	link := []echo.MiddlewareFunc{s.securityHeaders, noReferrer, s.limitBody, s.checkLinkForm}
	e.GET("/links/:token", s.linkPage, link...)                        // a decision link: the approval and its form; decides nothing
	e.POST("/links/:token", s.linkDecide, link...)                     // the link's decision, as its person (channel link); PRG
	e.POST("/actions/:id/links/:link/revoke", s.revokeLinkForm, mw...) // revoke a decision link (an admin, or its person)
}

// noReferrer keeps a link's token out of the Referer of anything its
// page links to or loads.
func noReferrer(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set("Referrer-Policy", "no-referrer")
		return next(c)
	}
}

// linkFormToken is the form token of the link token names: an HMAC of it
// under the form key.
func (s *Server) linkFormToken(token string) string {
	m := hmac.New(sha256.New, s.formKey)
	m.Write([]byte("sirocco link form\x00" + token))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkLinkForm refuses a link's POST from another origin or without the
// link's form token.
func (s *Server) checkLinkForm(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if err := s.crossOrigin.Check(r); err != nil {
			return s.errorPage(c, http.StatusForbidden, "This form was sent from another site (or another port of this host) and was refused. Nothing was changed.")
		}
		if r.Method == http.MethodPost && !auth.Equal(r.PostFormValue(csrfField), s.linkFormToken(c.Param("token"))) {
			return s.errorPage(c, http.StatusForbidden, "This form did not come from this decision link's page. Open the link again and decide there.")
		}
		return next(c)
	}
}

// linkRefused shows why a link decides nothing, with no part of its
// approval: a used, revoked or expired link, or a decided approval, is
// gone (410); a token that is no link is unknown (404).
func (s *Server) linkRefused(c echo.Context, err error) error {
	status := 0
	switch {
	case errors.Is(err, engine.ErrLinkInvalid):
		status = http.StatusNotFound
	case errors.Is(err, engine.ErrLinkUsed), errors.Is(err, engine.ErrLinkRevoked), errors.Is(err, engine.ErrLinkExpired),
		errors.Is(err, engine.ErrLinkClosed):
		status = http.StatusGone
	case errors.Is(err, engine.ErrLinkPerson):
		status = http.StatusForbidden
	default:
		return s.fail(c, err)
	}
	return s.errorPage(c, status, fault.Message(err))
}

// linkPerson is who decides through link v: the logged-in person if the
// link is theirs; for a link that needs no login (require_login: false),
// its person as their account is now. ok is false when the request was
// answered instead: someone else is logged in (refused), or the link
// needs a login (sent to the login page, which comes back here).
func (s *Server) linkPerson(c echo.Context, v *engine.LinkView) (p *auth.Principal, ok bool, err error) {
	who := v.Link.User
	if s.auth == nil {
		return nil, false, s.errorPage(c, http.StatusNotFound, "Decision links need accounts, which this server runs without.")
	}
	if p := guard.FromContext(c); p != nil && p.Method == auth.MethodSession {
		if p.User != who {
			return nil, false, s.errorPage(c, http.StatusForbidden, fmt.Sprintf(
				"This link was sent to %s, and you are logged in as %s: it decides only as %s, so it was refused and nothing was changed. To decide yourself, open the approval from your inbox.",
				who, p.User, who))
		}
		return p, true, nil
	}
	if v.RequireLogin {
		next := "/links/" + url.PathEscape(c.Param("token"))
		return nil, false, c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(guard.SafeNext(next)))
	}
	u, err := s.auth.GetUser(c.Request().Context(), who)
	if fault.Code(err) == fault.ENOTFOUND {
		return nil, false, s.errorPage(c, http.StatusGone, fmt.Sprintf("This link was sent to %s, whose account no longer exists. Nothing was changed.", who))
	}
	if err != nil {
		return nil, false, s.fail(c, err)
	}
	return &auth.Principal{User: u.Name, Groups: u.GroupNames(), Role: u.Effective(), Method: auth.MethodLink}, true, nil
}

// linkPage serves GET /links/<token>: the approval and its form for the
// link's person. It reads and writes nothing but the page.
func (s *Server) linkPage(c echo.Context) error {
	token := c.Param("token")
	v, err := s.engine.OpenLink(c.Request().Context(), token)
	if v != nil && errors.Is(err, engine.ErrLinkUsed) && c.QueryParam("done") == "1" {
		// The page a decision redirects to: what the link did, no more.
		return s.render(c, http.StatusOK, templates.LinkDonePage(templates.LinkDoneView{Page: s.page(c, "Decision recorded", ""),
			Person: v.Link.User, UsedAt: *v.Link.UsedAt, ActionURL: s.linkActionURL(c, v)}))
	}
	if err != nil {
		return s.linkRefused(c, err)
	}
	p, ok, err := s.linkPerson(c, v)
	if !ok {
		return err
	}
	return s.renderLink(c, http.StatusOK, v, p, nil, approvalProblems{})
}

// linkActionURL is the approval's page, for who may open it: anyone
// logged in (a link that needs no login may have no session).
func (s *Server) linkActionURL(c echo.Context, v *engine.LinkView) string {
	if p := guard.FromContext(c); p != nil && p.Method == auth.MethodSession {
		return actionURL(v.Link.ActionExecutionID)
	}
	return ""
}

// renderLink draws link v's page for p: the form as posted (nil: first
// shown) and its problems.
func (s *Server) renderLink(c echo.Context, status int, v *engine.LinkView, p *auth.Principal, posted url.Values, problems approvalProblems) error {
	token := c.Param("token")
	r, err := s.approvalRequestOf(c.Request().Context(), v.Link.ActionExecutionID)
	if err != nil {
		return s.fail(c, err)
	}
	// The raw download is a dashboard page, which needs a login.
	r.ContextRawURL = ""
	who := quorum.Voter{User: p.User, Groups: p.Groups, Admin: p.Role.Allows(auth.RoleAdmin), MayDecide: p.Role.Allows(auth.RoleApprover)}
	av := approvalView(r, who, s.linkFormToken(token), posted, problems)
	// A link votes; an admin overrides from the approval's own page.
	av.Form.CanOverride = false
	av.Form.Action = "/links/" + url.PathEscape(token)
	page := s.page(c, r.Title, "")
	return s.render(c, status, templates.LinkPage(templates.LinkView{Page: page, Person: v.Link.User, Expires: v.Link.ExpiresAt,
		Approval: av, ActionURL: s.linkActionURL(c, v)}))
}

// linkDecide serves POST /links/<token>: the form read back as on the
// approval's page, sent to the engine as the link's person's vote. A form
// with problems, or a vote the rules refuse, is shown again with them and
// leaves the link usable; a decision recorded uses it up and redirects to
// the page saying so.
func (s *Server) linkDecide(c echo.Context) error {
	ctx := c.Request().Context()
	token := c.Param("token")
	v, err := s.engine.OpenLink(ctx, token)
	if err != nil {
		return s.linkRefused(c, err)
	}
	p, ok, err := s.linkPerson(c, v)
	if !ok {
		return err
	}
	posted := c.Request().PostForm
	if posted.Get("override") != "" {
		return s.errorPage(c, http.StatusBadRequest, "A decision link cannot override: an admin overrides from the approval's page. Nothing was changed.")
	}
	req, err := s.approvalRequestOf(ctx, v.Link.ActionExecutionID)
	if err != nil {
		return s.fail(c, err)
	}
	post, problems := readApprovalPost(req, posted)
	if problems.any() {
		return s.renderLink(c, http.StatusUnprocessableEntity, v, p, posted, problems)
	}
	comp := engine.Completion{State: engine.StateError, Via: engine.ViaLink, Comment: post.Comment,
		Decider:   guard.DeciderOf(p, engine.ViaLink, guard.ClientAddr(c)),
		Authorize: func(id string, async bool, to engine.State) error { return guard.MayMoveAction(p, id, async, to) }}
	comp.Note = post.Comment
	if comp.Note == "" {
		comp.Note = "by " + p.User + " via link"
	}
	if post.Approve {
		comp.State = engine.StateSuccess
	}
	if post.Answer != nil {
		comp.Output, comp.HasOutput = post.Answer, true
	}
	_, err = s.engine.DecideByLink(ctx, token, comp)
	switch {
	case err == nil:
		return c.Redirect(http.StatusSeeOther, "/links/"+url.PathEscape(token)+"?done=1")
	case errors.Is(err, engine.ErrLinkInvalid), errors.Is(err, engine.ErrLinkUsed), errors.Is(err, engine.ErrLinkRevoked),
		errors.Is(err, engine.ErrLinkExpired), errors.Is(err, engine.ErrLinkPerson):
		return s.linkRefused(c, err)
	}
	switch fault.Code(err) {
	case fault.EINVALID, fault.ETOOLARGE, fault.EFORBIDDEN, fault.ECONFLICT:
		if v, oerr := s.engine.OpenLink(ctx, token); oerr != nil {
			// Decided meanwhile: say so, without the form.
			return s.linkRefused(c, oerr)
		} else {
			return s.renderLink(c, httpstatus.Of(err), v, p, posted, approvalProblemsOf(err))
		}
	}
	return s.fail(c, err)
}

// linksPanel is the action page's list of approval id's decision links:
// all for an admin, the viewer's own for anyone else; left out when there
// are none the viewer may see.
func (s *Server) linksPanel(c echo.Context, id, csrf string) templates.DecisionLinks {
	who := voterOf(c)
	if who.User == "" && !who.Admin {
		return templates.DecisionLinks{}
	}
	links, err := s.engine.DecisionLinks(c.Request().Context(), id)
	if err != nil {
		s.log.Warn("decision links of an approval", "action", id, "err", err)
		return templates.DecisionLinks{}
	}
	out := templates.DecisionLinks{CSRF: csrf}
	for _, l := range links {
		if !who.Admin && l.User != who.User {
			continue
		}
		row := templates.DecisionLinkRow{ID: l.ID, User: l.User, Event: string(l.Event), CreatedAt: l.CreatedAt, ExpiresAt: l.ExpiresAt,
			State: s.engine.LinkState(l)}
		switch row.State {
		case engine.LinkUsed:
			row.Detail = "at " + templates.When(*l.UsedAt)
		case engine.LinkRevoked:
			row.Detail = "at " + templates.When(*l.RevokedAt)
			if l.RevokedBy != "" {
				row.Detail = "by " + l.RevokedBy + " " + row.Detail
			}
		case engine.LinkLive:
			row.RevokeURL = actionURL(id) + "/links/" + url.PathEscape(l.ID) + "/revoke"
		}
		out.Links = append(out.Links, row)
	}
	out.Shown = len(out.Links) > 0
	return out
}

// revokeLinkForm serves POST /actions/<id>/links/<link>/revoke.
func (s *Server) revokeLinkForm(c echo.Context) error {
	ctx := c.Request().Context()
	id, linkID := c.Param("id"), c.Param("link")
	l, err := s.engine.GetDecisionLink(ctx, linkID)
	if err == nil && l.ActionExecutionID != id {
		err = fault.Errorf(fault.ENOTFOUND, "Decision link not found [id=%s]", linkID)
	}
	if err == nil {
		_, err = s.engine.RevokeLink(ctx, linkID, guard.Decider(c, engine.ViaDashboard))
	}
	if err != nil {
		return s.fail(c, err)
	}
	return c.Redirect(http.StatusSeeOther, actionURL(id)+"#links-h")
}
