// Package guard is the HTTP side of package auth: the middleware that
// authenticates every request (an API token, the dashboard's session
// cookie, or an action's callback token) and applies the route Policy;
// the answers to what it refuses and to what no route answers, in the
// shape the client reads (Mistral's JSON fault, or the dashboard's page);
// the session cookie; the post-login redirect check; and the client
// address that logins are throttled by. MayMoveAction, the rule for who
// may move an action execution to which state, is here too: it joins
// auth's principals to the engine's states, which neither knows of the
// other.
package guard

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

const principalKey = "guard.principal"

// offPrincipal is everyone when authentication is off; shared, so it must
// not be changed.
var offPrincipal = &auth.Principal{Role: auth.RoleAdmin, Method: auth.MethodOff}

// Config configures the middleware and the error handler.
type Config struct {
	// Off disables authentication: every request acts as an admin. For
	// local development on a loopback address only.
	Off bool
	// Fault writes an API refusal (Mistral's JSON fault body).
	Fault func(c echo.Context, status int, msg string) error
	// PageError shows a dashboard refusal.
	PageError func(c echo.Context, status int, msg string) error
	// LoginPath is where people without a session are sent (default /login).
	LoginPath string
	// Secure says the base URL is https: the session cookie is then
	// HostSessionCookie, and SessionCookie is not read.
	Secure bool
}

// Middleware authenticates every request with accounts and applies the
// Policy. Install it with Echo's Use, after routing, so that the route
// pattern and its parameters are known.
func Middleware(accounts *auth.Service, cfg Config) echo.MiddlewareFunc {
	cfg = cfg.withDefaults()
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			rule, known := Lookup(c.Request().Method, c.Path())
			if !known {
				// No route of the table: the router found none (c.Path()
				// is then empty) or one with another method. The 404 or
				// 405 to come is told only to those who may see the routes,
				// in the shape of the path, or of the Accept header.
				rule.Surface = Page
				if answersJSON(c.Request()) {
					rule.Surface = API
				}
			}
			if cfg.Off {
				c.Set(principalKey, offPrincipal)
				return next(c)
			}
			if rule.Access == Public && rule.Surface == API {
				return next(c)
			}
			p, err := identify(accounts, c, rule, cfg.Secure)
			if p != nil {
				c.Set(principalKey, p)
			}
			if rule.Allows(p) {
				return next(c)
			}
			if p == nil {
				return unauthorized(c, cfg, rule, err)
			}
			msg := "Forbidden: this needs the " + string(rule.Access) + " role; you have " + string(p.Role) + "."
			if p.Method == auth.MethodCallback {
				msg = "Forbidden: a callback token may only complete its own action execution."
			}
			switch {
			case rule.Surface == Socket:
				return c.String(http.StatusForbidden, msg)
			case rule.Surface == API || PrefersJSON(c.Request().Header.Get("Accept")):
				return cfg.Fault(c, http.StatusForbidden, msg)
			}
			return cfg.PageError(c, http.StatusForbidden, msg)
		}
	}
}

// withDefaults fills in what cfg leaves out.
func (cfg Config) withDefaults() Config {
	if cfg.LoginPath == "" {
		cfg.LoginPath = "/login"
	}
	if cfg.Fault == nil {
		cfg.Fault = func(c echo.Context, status int, msg string) error {
			faultcode := "Client"
			if status >= 500 {
				faultcode = "Server"
			}
			return c.JSON(status, map[string]any{"faultcode": faultcode, "faultstring": msg, "debuginfo": nil})
		}
	}
	if cfg.PageError == nil {
		cfg.PageError = func(c echo.Context, status int, msg string) error { return c.String(status, msg) }
	}
	return cfg
}

func unauthorized(c echo.Context, cfg Config, rule Rule, err error) error {
	switch rule.Surface {
	case API:
		msg := "Authentication required: send an API token as 'Authorization: Bearer <token>' or 'X-Auth-Token: <token>'."
		if rule.Callback {
			msg = "Authentication required: send an API token ('Authorization: Bearer <token>' or 'X-Auth-Token') or this action's " + engine.CallbackTokenHeader + "."
		}
		if err != nil {
			msg = fault.Message(err)
		}
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="sirocco"`)
		return cfg.Fault(c, http.StatusUnauthorized, msg)
	case Socket:
		return c.String(http.StatusUnauthorized, "Log in to the dashboard first.")
	}
	if PrefersJSON(c.Request().Header.Get("Accept")) {
		// A program, not a browser: a redirect to a form would not help it.
		return cfg.Fault(c, http.StatusUnauthorized, "Authentication required: log in to the dashboard, or send an API token to the API under /v2.")
	}
	next := c.Request().URL.RequestURI()
	if c.Request().Method != http.MethodGet {
		next = c.Request().Referer()
		if u, err := url.Parse(next); err == nil {
			next = u.RequestURI()
		} else {
			next = "/"
		}
	}
	return c.Redirect(http.StatusSeeOther, cfg.LoginPath+"?next="+url.QueryEscape(SafeNext(next)))
}

// identify finds who makes the request: an API token on API routes (or a
// callback token on callback routes), the session cookie on pages.
func identify(accounts *auth.Service, c echo.Context, rule Rule, secure bool) (*auth.Principal, error) {
	ctx := c.Request().Context()
	r := c.Request()
	if rule.Surface != API {
		id := SessionID(r, secure)
		if id == "" {
			return nil, nil
		}
		p, err := accounts.SessionPrincipal(ctx, id)
		if err != nil {
			return nil, err
		}
		return p, nil
	}
	if tok := RequestToken(r); tok != "" {
		p, _, err := accounts.Authenticate(ctx, tok)
		if err != nil {
			return nil, err
		}
		return p, nil
	}
	if cb := r.Header.Get(engine.CallbackTokenHeader); cb != "" && rule.Callback {
		return accounts.CallbackPrincipal(ctx, c.Param("id"), cb)
	}
	return nil, nil
}

// RequestToken returns the API token of a request: X-Auth-Token (as the
// mistral CLI sends it) or Authorization: Bearer.
func RequestToken(r *http.Request) string {
	if t := strings.TrimSpace(r.Header.Get("X-Auth-Token")); t != "" {
		return t
	}
	if scheme, t, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(t)
	}
	return ""
}

// FromContext returns who makes the request, or nil.
func FromContext(c echo.Context) *auth.Principal {
	p, _ := c.Get(principalKey).(*auth.Principal)
	return p
}

// ClientAddr is the address logins are rate-limited by: Echo's
// IPExtractor's answer, which the server sets to believe X-Forwarded-For
// only from its trusted proxies. Without an extractor it is the peer of
// the connection: Echo's fallback would believe the header from anyone.
func ClientAddr(c echo.Context) string {
	if e := c.Echo(); e != nil && e.IPExtractor != nil {
		return c.RealIP()
	}
	return echo.ExtractIPDirect()(c.Request())
}
