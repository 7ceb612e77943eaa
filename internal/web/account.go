package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/guard"
	"github.com/sirocco-project/sirocco/internal/httpstatus"
	"github.com/sirocco-project/sirocco/web/templates"
)

// noteBy adds who decided to a decision's comment, for the timeline.
func noteBy(c echo.Context, comment string) string {
	name := guard.FromContext(c).Name()
	switch {
	case name == "":
		return comment
	case comment == "":
		return "by " + name
	}
	return comment + " — " + name
}

func (s *Server) needAuth(c echo.Context) error {
	if s.auth == nil {
		return s.errorPage(c, http.StatusNotFound, "Accounts are not enabled on this server.")
	}
	return nil
}

// loginForm serves GET /login.
func (s *Server) loginForm(c echo.Context) error {
	if err := s.needAuth(c); err != nil {
		return err
	}
	v := templates.LoginView{Page: s.page(c, "Log in", ""), Next: guard.SafeNext(c.QueryParam("next"))}
	return s.render(c, http.StatusOK, templates.LoginPage(v))
}

// login serves POST /login: a good name and password start a session
// (a new id each time, so a planted cookie is useless) and go on to next.
func (s *Server) login(c echo.Context) error {
	if err := s.needAuth(c); err != nil {
		return err
	}
	name, password := strings.TrimSpace(c.FormValue("username")), c.FormValue("password")
	next := guard.SafeNext(c.FormValue("next"))
	ctx := c.Request().Context()
	u, err := s.auth.Login(ctx, name, password, guard.ClientAddr(c))
	if err != nil {
		v := templates.LoginView{Page: s.page(c, "Log in", ""), Name: name, Next: next, Error: fault.Message(err)}
		status := http.StatusUnauthorized
		if errors.Is(err, auth.ErrTooManyAttempts) {
			status = http.StatusTooManyRequests
			c.Response().Header().Set("Retry-After", strconv.Itoa(auth.RetryAfterSeconds(err)))
		} else if !auth.IsUnauthorized(err) {
			return s.fail(c, err)
		}
		return s.render(c, status, templates.LoginPage(v))
	}
	if old := guard.SessionID(c.Request(), s.secure); old != "" {
		_ = s.auth.EndSession(ctx, old)
	}
	value, expires, err := s.auth.NewSession(ctx, u)
	if err != nil {
		return s.fail(c, err)
	}
	guard.SetSessionCookie(c, value, expires, s.secure)
	return c.Redirect(http.StatusSeeOther, next)
}

// logout serves POST /logout.
func (s *Server) logout(c echo.Context) error {
	if s.auth != nil {
		if id := guard.SessionID(c.Request(), s.secure); id != "" {
			if err := s.auth.EndSession(c.Request().Context(), id); err != nil {
				return s.fail(c, err)
			}
			if s.live != nil {
				s.live.EndSession(auth.HashSecret(id)) // its open pages stop following events
			}
		}
	}
	guard.ClearSessionCookie(c, s.secure)
	return c.Redirect(http.StatusSeeOther, "/login")
}

// passwordForm serves GET /account/password: the logged-in user changes
// their own password.
func (s *Server) passwordForm(c echo.Context) error {
	if err := s.needSession(c); err != nil {
		return err
	}
	v := s.passwordView(c)
	if c.QueryParam("notice") == "changed" {
		v.Notice = &templates.Notice{Kind: "ok", Text: "Password changed. Your other dashboard sessions have ended and your Keystone (mistral CLI) tokens are revoked."}
	}
	return s.render(c, http.StatusOK, templates.PasswordPage(v))
}

func (s *Server) passwordView(c echo.Context) templates.PasswordView {
	return templates.PasswordView{Page: s.page(c, "Change your password", ""), MinLength: strconv.Itoa(auth.MinPasswordLength)}
}

// changePassword serves POST /account/password: with the current password
// (throttled as logins are), the new one twice. The user's other sessions
// and Keystone tokens end; this session stays. PRG back to the page.
func (s *Server) changePassword(c echo.Context) error {
	if err := s.needSession(c); err != nil {
		return err
	}
	who := guard.FromContext(c)
	newPW := c.FormValue("new_password")
	var err error
	if newPW != c.FormValue("confirm_password") {
		err = fault.Errorf(fault.EINVALID, "The new password and its confirmation do not match.")
	} else {
		err = s.auth.ChangePassword(c.Request().Context(), guard.Actor(c, engine.ViaDashboard), c.FormValue("current_password"), newPW,
			who.Session)
	}
	if err == nil {
		return c.Redirect(http.StatusSeeOther, "/account/password?notice=changed")
	}
	status := httpstatus.Of(err)
	switch {
	case errors.Is(err, auth.ErrTooManyAttempts):
		status = http.StatusTooManyRequests
		c.Response().Header().Set("Retry-After", strconv.Itoa(auth.RetryAfterSeconds(err)))
	case fault.Code(err) != fault.EINVALID:
		return s.fail(c, err)
	}
	v := s.passwordView(c)
	v.Error = fault.Message(err) + " Your password was not changed."
	return s.render(c, status, templates.PasswordPage(v))
}

// needSession answers for the password pages when nobody is logged in
// with a session: accounts off, or authentication off.
func (s *Server) needSession(c echo.Context) error {
	if err := s.needAuth(c); err != nil {
		return err
	}
	if who := guard.FromContext(c); who == nil || who.Method != auth.MethodSession {
		return s.errorPage(c, http.StatusNotFound, "No account is logged in (authentication is off), so there is no password to change.")
	}
	return nil
}

// admin serves GET /admin.
func (s *Server) admin(c echo.Context) error {
	if err := s.needAuth(c); err != nil {
		return err
	}
	v, err := s.adminView(c)
	if err != nil {
		return s.fail(c, err)
	}
	switch c.QueryParam("notice") {
	case "saved":
		v.Notice = &templates.Notice{Kind: "ok", Text: "Saved."}
	}
	return s.render(c, http.StatusOK, templates.AdminPage(v))
}

func (s *Server) adminView(c echo.Context) (templates.AdminView, error) {
	ctx := c.Request().Context()
	v := templates.AdminView{Page: s.page(c, "Accounts", "admin")}
	for _, r := range auth.Roles {
		v.Roles = append(v.Roles, string(r))
	}
	users, err := s.auth.ListUsers(ctx)
	if err != nil {
		return v, err
	}
	admins := 0
	for _, u := range users {
		if u.Role == auth.RoleAdmin {
			admins++
		}
	}
	for _, u := range users {
		var groups []string
		for _, g := range u.Groups {
			groups = append(groups, g.Name)
		}
		base := "/admin/users/" + url.PathEscape(u.Name)
		v.Users = append(v.Users, templates.AdminUser{Name: u.Name, Role: string(u.Role), Effective: string(u.Effective()), Email: u.Email,
			Groups: strings.Join(groups, ", "), CreatedAt: u.CreatedAt, UpdateURL: base, DeleteURL: base + "/delete",
			LastAdmin: admins == 1 && u.Role == auth.RoleAdmin})
	}
	groups, err := s.auth.ListGroups(ctx)
	if err != nil {
		return v, err
	}
	for _, g := range groups {
		base := "/admin/groups/" + url.PathEscape(g.Name)
		v.Groups = append(v.Groups, templates.AdminGroup{Name: g.Name, Role: string(g.Role), Members: g.Members,
			MembersURL: base + "/members", DeleteURL: base + "/delete"})
	}
	tokens, err := s.auth.ListTokens(ctx, auth.KindAPI)
	if err != nil {
		return v, err
	}
	for _, t := range tokens {
		v.Tokens = append(v.Tokens, templates.AdminToken{ID: t.ID, Name: t.Name, Role: string(t.Role), User: t.UserName, Label: auth.TokenLabel(t.ID),
			CreatedAt: t.CreatedAt, RevokeURL: "/admin/tokens/" + url.PathEscape(t.ID) + "/revoke"})
	}
	return v, nil
}

// adminDone ends an admin form: back to the page on success (PRG); the
// page with the error for a mistake; the error page for anything else.
func (s *Server) adminDone(c echo.Context, err error) error {
	if err == nil {
		return c.Redirect(http.StatusSeeOther, "/admin?notice=saved")
	}
	switch fault.Code(err) {
	case fault.EINVALID, fault.ECONFLICT, fault.ENOTFOUND, fault.EFORBIDDEN:
		v, verr := s.adminView(c)
		if verr != nil {
			return s.fail(c, verr)
		}
		v.Error = fault.Message(err) + " Nothing was changed."
		return s.render(c, httpstatus.Of(err), templates.AdminPage(v))
	}
	return s.fail(c, err)
}

func (s *Server) adminCreateUser(c echo.Context) error {
	if err := s.needAuth(c); err != nil {
		return err
	}
	role, err := auth.ParseRole(c.FormValue("role"))
	if err == nil {
		_, err = s.auth.CreateUserWithEmail(c.Request().Context(), guard.Actor(c, engine.ViaDashboard), strings.TrimSpace(c.FormValue("name")), role,
			c.FormValue("password"), c.FormValue("email"))
	}
	return s.adminDone(c, err)
}

func (s *Server) adminUpdateUser(c echo.Context) error {
	if err := s.needAuth(c); err != nil {
		return err
	}
	role, err := auth.ParseRole(c.FormValue("role"))
	// A form without the email field leaves the address as it is; a bad
	// one is refused before anything changes.
	email, setEmail := c.Request().PostForm["email"]
	if err == nil && setEmail {
		err = auth.CheckEmail(strings.TrimSpace(email[0]))
	}
	ctx, by, name := c.Request().Context(), guard.Actor(c, engine.ViaDashboard), pathName(c, "name")
	if err == nil {
		err = s.auth.UpdateUser(ctx, by, name, role, c.FormValue("password"))
	}
	if err == nil && setEmail {
		err = s.auth.SetEmail(ctx, by, name, email[0])
	}
	return s.adminDone(c, err)
}

func (s *Server) adminDeleteUser(c echo.Context) error {
	if err := s.needAuth(c); err != nil {
		return err
	}
	return s.adminDone(c, s.auth.DeleteUser(c.Request().Context(), guard.Actor(c, engine.ViaDashboard), pathName(c, "name")))
}

func (s *Server) adminCreateGroup(c echo.Context) error {
	if err := s.needAuth(c); err != nil {
		return err
	}
	role, err := auth.ParseRole(c.FormValue("role"))
	if err == nil {
		err = s.auth.CreateGroup(c.Request().Context(), guard.Actor(c, engine.ViaDashboard), strings.TrimSpace(c.FormValue("name")), role)
	}
	return s.adminDone(c, err)
}

func (s *Server) adminDeleteGroup(c echo.Context) error {
	if err := s.needAuth(c); err != nil {
		return err
	}
	return s.adminDone(c, s.auth.DeleteGroup(c.Request().Context(), guard.Actor(c, engine.ViaDashboard), pathName(c, "name")))
}

func (s *Server) adminMember(c echo.Context) error {
	if err := s.needAuth(c); err != nil {
		return err
	}
	add := c.FormValue("op") != "remove"
	return s.adminDone(c, s.auth.SetMember(c.Request().Context(), guard.Actor(c, engine.ViaDashboard), pathName(c, "name"), strings.TrimSpace(c.FormValue("user")), add))
}

// adminCreateToken shows the new token's value on the page, once; the
// page is not cached (Cache-Control: no-store on every dashboard page).
func (s *Server) adminCreateToken(c echo.Context) error {
	if err := s.needAuth(c); err != nil {
		return err
	}
	user := strings.TrimSpace(c.FormValue("user"))
	if user == "" {
		user = guard.FromContext(c).Name()
	}
	role, err := auth.ParseRole(c.FormValue("role"))
	if err != nil {
		return s.adminDone(c, err)
	}
	plain, t, err := s.auth.CreateToken(c.Request().Context(), guard.Actor(c, engine.ViaDashboard), user, c.FormValue("name"), role, auth.KindAPI, 0)
	if err != nil {
		return s.adminDone(c, err)
	}
	v, err := s.adminView(c)
	if err != nil {
		return s.fail(c, err)
	}
	v.NewToken = &templates.NewToken{Name: t.Name, Role: string(t.Role), User: t.UserName, Value: plain, Label: auth.TokenLabel(t.ID)}
	return s.render(c, http.StatusOK, templates.AdminPage(v))
}

func (s *Server) adminRevokeToken(c echo.Context) error {
	if err := s.needAuth(c); err != nil {
		return err
	}
	return s.adminDone(c, s.auth.RevokeToken(c.Request().Context(), guard.Actor(c, engine.ViaDashboard), c.Param("id")))
}

// pathName reads a path-escaped name parameter.
func pathName(c echo.Context, key string) string {
	n := c.Param(key)
	if u, err := url.PathUnescape(n); err == nil {
		return u
	}
	return n
}
