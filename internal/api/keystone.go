package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/guard"
	"github.com/sirocco-project/sirocco/internal/httpstatus"
	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

// The Keystone v3 subset: enough for keystoneauth (and so the mistral CLI
// with OS_AUTH_URL=<base>/v3) to discover the identity API, log in with a
// password and find Sirocco's /v2 in the catalog as the workflowv2
// endpoint. There is one domain ("Default") and any project name is
// accepted: Sirocco has no projects, only roles.

const (
	keystoneTimeLayout = "2006-01-02T15:04:05.000000Z"
	keystoneRegion     = "RegionOne"
	keystoneDomainID   = "default"
	keystoneDomainName = "Default"
	keystoneProject    = "sirocco"
)

// keystoneVersion serves GET /v3: the version document of discovery.
func (a *API) keystoneVersion(c echo.Context) error {
	return writeJSON(c, http.StatusOK, object{{"version", object{
		{"id", "v3.14"}, {"status", "stable"}, {"updated", "2020-04-07T00:00:00Z"},
		{"links", []object{{{"rel", "self"}, {"href", a.base + "/v3/"}}}},
		{"media-types", []object{{{"base", "application/json"}, {"type", "application/vnd.openstack.identity-v3+json"}}}},
	}}})
}

// KeystoneFault writes Keystone's error body; a 401 names the identity
// endpoint in WWW-Authenticate, as Keystone does.
func (a *API) KeystoneFault(c echo.Context, status int, msg string) error {
	if status == http.StatusUnauthorized {
		c.Response().Header().Set("WWW-Authenticate", `Keystone uri="`+a.base+`/v3"`)
	}
	return writeJSON(c, status, object{{"error", object{{"code", status}, {"message", msg}, {"title", http.StatusText(status)}}}})
}

type keystoneAuthRequest struct {
	Auth struct {
		Identity struct {
			Methods  []string `json:"methods"`
			Password struct {
				User struct {
					ID       string `json:"id"`
					Name     string `json:"name"`
					Password string `json:"password"`
				} `json:"user"`
			} `json:"password"`
			Token struct {
				ID string `json:"id"`
			} `json:"token"`
		} `json:"identity"`
		Scope json.RawMessage `json:"scope"`
	} `json:"auth"`
}

// keystoneLogin serves POST /v3/auth/tokens: the password method (and
// the token method, which keystoneauth uses to rescope) → 201 with the
// token in X-Subject-Token and its body.
func (a *API) keystoneLogin(c echo.Context) error {
	if a.auth == nil {
		return a.KeystoneFault(c, http.StatusNotFound, "Authentication is not configured.")
	}
	b, err := a.readBody(c)
	if err != nil {
		return a.KeystoneFault(c, httpstatus.Of(err), fault.Message(err))
	}
	// As every JSON body: refused past the depth limit before decoding.
	if err := jsonvalue.CheckDepth(b); err != nil {
		return a.KeystoneFault(c, http.StatusBadRequest, "The request body is not accepted: "+err.Error()+".")
	}
	var req keystoneAuthRequest
	if err := json.Unmarshal(b, &req); err != nil {
		return a.KeystoneFault(c, http.StatusBadRequest, "The request body is not valid JSON.")
	}
	ctx := c.Request().Context()
	id := req.Auth.Identity
	var plain string
	var tok *auth.Token
	var user *auth.User
	switch {
	case slices.Contains(id.Methods, "password"):
		name := id.Password.User.Name
		if name == "" {
			name = id.Password.User.ID // user ids are names here
		}
		user, err = a.auth.Login(ctx, name, id.Password.User.Password, guard.ClientAddr(c))
		if errors.Is(err, auth.ErrTooManyAttempts) {
			c.Response().Header().Set("Retry-After", strconv.Itoa(auth.RetryAfterSeconds(err)))
			return a.KeystoneFault(c, http.StatusTooManyRequests, fault.Message(err))
		}
		if auth.IsUnauthorized(err) {
			return a.KeystoneFault(c, http.StatusUnauthorized, "The request you have made requires authentication.")
		}
		if err != nil {
			return a.keystoneError(c, err)
		}
		if plain, tok, err = a.auth.KeystoneToken(ctx, user); err != nil {
			return a.keystoneError(c, err)
		}
	case slices.Contains(id.Methods, "token"):
		var p *auth.Principal
		p, tok, err = a.auth.Authenticate(ctx, id.Token.ID)
		if err != nil {
			return a.KeystoneFault(c, http.StatusUnauthorized, "The request you have made requires authentication.")
		}
		if user, err = a.auth.GetUser(ctx, p.User); err != nil {
			return a.KeystoneFault(c, http.StatusUnauthorized, "The request you have made requires authentication.")
		}
		plain = id.Token.ID
	default:
		return a.KeystoneFault(c, http.StatusBadRequest, "Unsupported authentication method: use password or token.")
	}
	c.Response().Header().Set("X-Subject-Token", plain)
	return writeJSON(c, http.StatusCreated, a.keystoneTokenBody(user, tok, id.Methods, req.Auth.Scope))
}

func (a *API) keystoneError(c echo.Context, err error) error {
	status := httpstatus.Of(err)
	if status >= 500 {
		a.log.Error("keystone login failed", "err", err)
	}
	return a.KeystoneFault(c, status, fault.Message(err))
}

// keystoneTokenBody is the token document: user, project, roles and the
// catalog whose workflowv2 endpoint is this server's /v2.
func (a *API) keystoneTokenBody(u *auth.User, t *auth.Token, methods []string, scope json.RawMessage) object {
	projectID, projectName := keystoneProject, keystoneProject
	var sc struct {
		Project struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"project"`
	}
	if json.Unmarshal(scope, &sc) == nil {
		if sc.Project.ID != "" {
			projectID, projectName = sc.Project.ID, sc.Project.ID
		}
		if sc.Project.Name != "" {
			projectName = sc.Project.Name
			if sc.Project.ID == "" {
				projectID = sc.Project.Name
			}
		}
	}
	if len(methods) == 0 {
		methods = []string{"password"}
	}
	domain := object{{"id", keystoneDomainID}, {"name", keystoneDomainName}}
	expires := time.Now().Add(time.Hour)
	if t.ExpiresAt != nil {
		expires = *t.ExpiresAt
	}
	v2 := a.base + "/v2"
	var endpoints []object
	for _, iface := range []string{"public", "internal", "admin"} {
		endpoints = append(endpoints, object{{"id", "sirocco-" + iface}, {"interface", iface}, {"region", keystoneRegion},
			{"region_id", keystoneRegion}, {"url", v2}})
	}
	identity := []object{{{"id", "sirocco-identity-public"}, {"interface", "public"}, {"region", keystoneRegion},
		{"region_id", keystoneRegion}, {"url", a.base + "/v3"}}}
	role := string(u.Effective())
	return object{{"token", object{
		{"methods", methods},
		{"user", object{{"id", u.Name}, {"name", u.Name}, {"domain", domain}, {"password_expires_at", nil}}},
		{"audit_ids", []string{t.ID}},
		{"expires_at", expires.UTC().Format(keystoneTimeLayout)},
		{"issued_at", t.CreatedAt.UTC().Format(keystoneTimeLayout)},
		{"project", object{{"id", projectID}, {"name", projectName}, {"domain", domain}}},
		{"is_domain", false},
		{"roles", []object{{{"id", role}, {"name", role}}}},
		{"catalog", []object{
			{{"id", "sirocco-workflow"}, {"type", "workflowv2"}, {"name", "mistral"}, {"endpoints", endpoints}},
			{{"id", "sirocco-identity"}, {"type", "identity"}, {"name", "keystone"}, {"endpoints", identity}},
		}},
	}}}
}

// keystoneValidate serves GET|HEAD /v3/auth/tokens: the caller (any
// valid token) asks about X-Subject-Token.
func (a *API) keystoneValidate(c echo.Context) error {
	if a.auth == nil {
		return a.KeystoneFault(c, http.StatusNotFound, "Authentication is not configured.")
	}
	ctx := c.Request().Context()
	subject := strings.TrimSpace(c.Request().Header.Get("X-Subject-Token"))
	p, tok, err := a.auth.Authenticate(ctx, subject)
	if err != nil {
		return a.KeystoneFault(c, http.StatusNotFound, "Could not find token.")
	}
	u, err := a.auth.GetUser(ctx, p.User)
	if err != nil {
		return a.KeystoneFault(c, http.StatusNotFound, "Could not find token.")
	}
	c.Response().Header().Set("X-Subject-Token", subject)
	if c.Request().Method == http.MethodHead {
		return c.NoContent(http.StatusOK)
	}
	return writeJSON(c, http.StatusOK, a.keystoneTokenBody(u, tok, []string{"password"}, nil))
}

// keystoneRevoke serves DELETE /v3/auth/tokens: X-Subject-Token stops
// working.
func (a *API) keystoneRevoke(c echo.Context) error {
	if a.auth == nil {
		return a.KeystoneFault(c, http.StatusNotFound, "Authentication is not configured.")
	}
	ctx := c.Request().Context()
	_, tok, err := a.auth.Authenticate(ctx, strings.TrimSpace(c.Request().Header.Get("X-Subject-Token")))
	if err != nil {
		return a.KeystoneFault(c, http.StatusNotFound, "Could not find token.")
	}
	caller := guard.FromContext(c)
	if caller != nil && caller.Method != auth.MethodOff && caller.User != tok.UserName && caller.Role != auth.RoleAdmin {
		return a.KeystoneFault(c, http.StatusForbidden, "You may revoke only your own tokens.")
	}
	if err := a.auth.RevokeToken(ctx, guard.Actor(c, via(c)), tok.ID); err != nil {
		return a.keystoneError(c, err)
	}
	return c.NoContent(http.StatusNoContent)
}
