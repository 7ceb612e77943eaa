package api

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/guard"
)

// The account routes (/auth/…) serve the client subcommands: users,
// groups and API tokens, for admins. Passwords and token values go in;
// only a new token's value ever comes out, once.

func (a *API) needAuth(c echo.Context) error {
	if a.auth == nil {
		return a.fault(c, fault.Errorf(fault.ENOTFOUND, "Accounts are not configured on this server."))
	}
	return nil
}

func userJSON(u *auth.User) object {
	groups := []string{}
	for _, g := range u.Groups {
		groups = append(groups, g.Name)
	}
	return object{{"name", u.Name}, {"role", u.Role}, {"effective_role", u.Effective()}, {"groups", groups},
		{"email", u.Email}, {"created_at", fmtTime(u.CreatedAt)}}
}

func tokenJSON(t *auth.Token) object {
	return object{{"id", t.ID}, {"name", t.Name}, {"kind", t.Kind}, {"role", t.Role}, {"user", t.UserName},
		{"created_at", fmtTime(t.CreatedAt)}, {"expires_at", fmtTimePtr(t.ExpiresAt)}}
}

// whoami serves GET /auth/whoami.
func (a *API) whoami(c echo.Context) error {
	p := guard.FromContext(c)
	if p == nil {
		return a.fault(c, fault.Errorf(fault.EUNAUTHORIZED, "Not authenticated."))
	}
	return writeJSON(c, http.StatusOK, object{{"user", p.User}, {"role", p.Role}, {"method", p.Method}})
}

func (a *API) listUsers(c echo.Context) error {
	if err := a.needAuth(c); err != nil {
		return err
	}
	users, err := a.auth.ListUsers(c.Request().Context())
	if err != nil {
		return a.fault(c, err)
	}
	items := make([]object, len(users))
	for i, u := range users {
		items[i] = userJSON(u)
	}
	return writeJSON(c, http.StatusOK, object{{"users", items}})
}

var userAttrs = setOf("name", "role", "password", "email")

func (a *API) createUser(c echo.Context) error {
	if err := a.needAuth(c); err != nil {
		return err
	}
	m, err := a.decodeBody(c, "user", userAttrs)
	if err != nil {
		return a.fault(c, err)
	}
	name, _, err1 := stringField(m, "name")
	roleName, _, err2 := stringField(m, "role")
	password, _, err3 := stringField(m, "password")
	email, _, err4 := stringField(m, "email")
	if err := firstErr(err1, err2, err3, err4); err != nil {
		return a.fault(c, err)
	}
	if roleName == "" {
		roleName = string(auth.RoleViewer)
	}
	role, err := auth.ParseRole(roleName)
	if err != nil {
		return a.fault(c, err)
	}
	u, err := a.auth.CreateUserWithEmail(c.Request().Context(), guard.Actor(c, via(c)), name, role, password, email)
	if err != nil {
		return a.fault(c, err)
	}
	return writeJSON(c, http.StatusCreated, userJSON(u))
}

func (a *API) updateUser(c echo.Context) error {
	if err := a.needAuth(c); err != nil {
		return err
	}
	m, err := a.decodeBody(c, "user", userAttrs)
	if err != nil {
		return a.fault(c, err)
	}
	ctx := c.Request().Context()
	u, err := a.auth.GetUser(ctx, c.Param("name"))
	if err != nil {
		return a.fault(c, err)
	}
	role := u.Role
	if r, ok, err := stringField(m, "role"); err != nil {
		return a.fault(c, err)
	} else if ok {
		if role, err = auth.ParseRole(r); err != nil {
			return a.fault(c, err)
		}
	}
	password, _, err := stringField(m, "password")
	if err != nil {
		return a.fault(c, err)
	}
	// Checked before anything changes: a bad address changes nothing.
	email, setEmail, err := stringField(m, "email")
	if err == nil && setEmail {
		err = auth.CheckEmail(strings.TrimSpace(email))
	}
	if err != nil {
		return a.fault(c, err)
	}
	if err := a.auth.UpdateUser(ctx, guard.Actor(c, via(c)), u.Name, role, password); err != nil {
		return a.fault(c, err)
	}
	if setEmail {
		if err := a.auth.SetEmail(ctx, guard.Actor(c, via(c)), u.Name, email); err != nil {
			return a.fault(c, err)
		}
	}
	if u, err = a.auth.GetUser(ctx, u.Name); err != nil {
		return a.fault(c, err)
	}
	return writeJSON(c, http.StatusOK, userJSON(u))
}

func (a *API) deleteUser(c echo.Context) error {
	if err := a.needAuth(c); err != nil {
		return err
	}
	if err := a.auth.DeleteUser(c.Request().Context(), guard.Actor(c, via(c)), c.Param("name")); err != nil {
		return a.fault(c, err)
	}
	return c.NoContent(http.StatusNoContent)
}

func (a *API) listGroups(c echo.Context) error {
	if err := a.needAuth(c); err != nil {
		return err
	}
	groups, err := a.auth.ListGroups(c.Request().Context())
	if err != nil {
		return a.fault(c, err)
	}
	items := make([]object, len(groups))
	for i, g := range groups {
		members := g.Members
		if members == nil {
			members = []string{}
		}
		items[i] = object{{"name", g.Name}, {"role", g.Role}, {"members", members}, {"created_at", fmtTime(g.CreatedAt)}}
	}
	return writeJSON(c, http.StatusOK, object{{"groups", items}})
}

func (a *API) createGroup(c echo.Context) error {
	if err := a.needAuth(c); err != nil {
		return err
	}
	m, err := a.decodeBody(c, "group", setOf("name", "role"))
	if err != nil {
		return a.fault(c, err)
	}
	name, _, err1 := stringField(m, "name")
	roleName, _, err2 := stringField(m, "role")
	if err := firstErr(err1, err2); err != nil {
		return a.fault(c, err)
	}
	role, err := auth.ParseRole(roleName)
	if err != nil {
		return a.fault(c, err)
	}
	if err := a.auth.CreateGroup(c.Request().Context(), guard.Actor(c, via(c)), name, role); err != nil {
		return a.fault(c, err)
	}
	return writeJSON(c, http.StatusCreated, object{{"name", name}, {"role", role}, {"members", []string{}}})
}

func (a *API) deleteGroup(c echo.Context) error {
	if err := a.needAuth(c); err != nil {
		return err
	}
	if err := a.auth.DeleteGroup(c.Request().Context(), guard.Actor(c, via(c)), c.Param("name")); err != nil {
		return a.fault(c, err)
	}
	return c.NoContent(http.StatusNoContent)
}

func (a *API) addMember(c echo.Context) error { return a.setMember(c, true) }

func (a *API) removeMember(c echo.Context) error { return a.setMember(c, false) }

func (a *API) setMember(c echo.Context, member bool) error {
	if err := a.needAuth(c); err != nil {
		return err
	}
	if err := a.auth.SetMember(c.Request().Context(), guard.Actor(c, via(c)), c.Param("name"), c.Param("user"), member); err != nil {
		return a.fault(c, err)
	}
	return c.NoContent(http.StatusNoContent)
}

func (a *API) listTokens(c echo.Context) error {
	if err := a.needAuth(c); err != nil {
		return err
	}
	tokens, err := a.auth.ListTokens(c.Request().Context(), auth.KindAPI)
	if err != nil {
		return a.fault(c, err)
	}
	items := make([]object, len(tokens))
	for i, t := range tokens {
		items[i] = tokenJSON(t)
	}
	return writeJSON(c, http.StatusOK, object{{"tokens", items}})
}

// createToken serves POST /auth/tokens {"name", "role", "user"}: the token
// acts for user (default: the caller) with at most its role. The answer
// holds the value, which is never shown again.
func (a *API) createToken(c echo.Context) error {
	if err := a.needAuth(c); err != nil {
		return err
	}
	m, err := a.decodeBody(c, "token", setOf("name", "role", "user"))
	if err != nil {
		return a.fault(c, err)
	}
	name, _, err1 := stringField(m, "name")
	roleName, _, err2 := stringField(m, "role")
	user, _, err3 := stringField(m, "user")
	if err := firstErr(err1, err2, err3); err != nil {
		return a.fault(c, err)
	}
	if user == "" {
		if p := guard.FromContext(c); p != nil && p.User != "" {
			user = p.User
		} else {
			return a.fault(c, invalid("Name the user the token acts for (\"user\")."))
		}
	}
	if roleName == "" {
		roleName = string(auth.RoleViewer)
	}
	role, err := auth.ParseRole(roleName)
	if err != nil {
		return a.fault(c, err)
	}
	plain, t, err := a.auth.CreateToken(c.Request().Context(), guard.Actor(c, via(c)), user, name, role, auth.KindAPI, 0)
	if err != nil {
		return a.fault(c, err)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return writeJSON(c, http.StatusCreated, append(tokenJSON(t), field{"token", plain}))
}

func (a *API) revokeToken(c echo.Context) error {
	if err := a.needAuth(c); err != nil {
		return err
	}
	if err := a.auth.RevokeToken(c.Request().Context(), guard.Actor(c, via(c)), c.Param("id")); err != nil {
		return a.fault(c, err)
	}
	return c.NoContent(http.StatusNoContent)
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
