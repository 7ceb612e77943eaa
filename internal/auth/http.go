package auth

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/engine"
)

// Header and cookie names.
const (
	// SessionCookie holds a dashboard session id.
	SessionCookie = "sirocco_session"
	// CallbackHeader carries a callback token: std.mistral_http sends it
	// to the web service, which sends it back with its result.
	CallbackHeader = "Sirocco-Callback-Token"
)

const principalKey = "auth.principal"

// offPrincipal is everyone when authentication is off; shared, so it must
// not be changed.
var offPrincipal = &Principal{Role: RoleAdmin, Method: MethodOff}

// GuardConfig configures the Guard middleware.
type GuardConfig struct {
	// Off disables authentication: every request acts as an admin. For
	// local development on a loopback address only.
	Off bool
	// Fault writes an API refusal (Mistral's JSON fault body).
	Fault func(c echo.Context, status int, msg string) error
	// PageError shows a dashboard refusal.
	PageError func(c echo.Context, status int, msg string) error
	// LoginPath is where people without a session are sent (default /login).
	LoginPath string
}

// Guard authenticates every request and applies the Policy. Install it
// with Echo's Use, after routing, so that the route pattern and its
// parameters are known.
func (s *Service) Guard(cfg GuardConfig) echo.MiddlewareFunc {
	if cfg.LoginPath == "" {
		cfg.LoginPath = "/login"
	}
	if cfg.Fault == nil {
		cfg.Fault = func(c echo.Context, status int, msg string) error {
			return c.JSON(status, map[string]any{"faultcode": "Client", "faultstring": msg, "debuginfo": nil})
		}
	}
	if cfg.PageError == nil {
		cfg.PageError = func(c echo.Context, status int, msg string) error { return c.String(status, msg) }
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			rule, _ := Lookup(c.Request().Method, c.Path())
			if cfg.Off {
				c.Set(principalKey, offPrincipal)
				return next(c)
			}
			if rule.Access == Public && rule.Surface == API {
				return next(c)
			}
			p, err := s.identify(c, rule)
			if p != nil {
				c.Set(principalKey, p)
			}
			if rule.Allows(p) {
				return next(c)
			}
			if p == nil {
				return s.unauthorized(c, cfg, rule, err)
			}
			msg := "Forbidden: this needs the " + string(rule.Access) + " role; you have " + string(p.Role) + "."
			if p.Method == MethodCallback {
				msg = "Forbidden: a callback token may only complete its own action execution."
			}
			switch rule.Surface {
			case API:
				return cfg.Fault(c, http.StatusForbidden, msg)
			case Socket:
				return c.String(http.StatusForbidden, msg)
			}
			return cfg.PageError(c, http.StatusForbidden, msg)
		}
	}
}

func (s *Service) unauthorized(c echo.Context, cfg GuardConfig, rule Rule, err error) error {
	switch rule.Surface {
	case API:
		msg := "Authentication required: send an API token as 'Authorization: Bearer <token>' or 'X-Auth-Token: <token>'."
		if rule.Callback {
			msg = "Authentication required: send an API token ('Authorization: Bearer <token>' or 'X-Auth-Token') or this action's " + CallbackHeader + "."
		}
		if err != nil {
			msg = engine.ErrorMessage(err)
		}
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="sirocco"`)
		return cfg.Fault(c, http.StatusUnauthorized, msg)
	case Socket:
		return c.String(http.StatusUnauthorized, "Log in to the dashboard first.")
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
func (s *Service) identify(c echo.Context, rule Rule) (*Principal, error) {
	ctx := c.Request().Context()
	r := c.Request()
	if rule.Surface != API {
		ck, err := r.Cookie(SessionCookie)
		if err != nil {
			return nil, nil
		}
		p, err := s.SessionPrincipal(ctx, ck.Value)
		if err != nil {
			return nil, err
		}
		return p, nil
	}
	if tok := RequestToken(r); tok != "" {
		p, _, err := s.Authenticate(ctx, tok)
		if err != nil {
			return nil, err
		}
		return p, nil
	}
	if cb := r.Header.Get(CallbackHeader); cb != "" && rule.Callback {
		return s.CallbackPrincipal(ctx, c.Param("id"), cb)
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
func FromContext(c echo.Context) *Principal {
	p, _ := c.Get(principalKey).(*Principal)
	return p
}

// SetSessionCookie gives the browser its session: HttpOnly, SameSite=Lax
// (a link from elsewhere still opens the dashboard logged in; a form from
// elsewhere is stopped by the CSRF check), Secure behind https.
func SetSessionCookie(c echo.Context, value string, expires time.Time, secure bool) {
	c.SetCookie(&http.Cookie{Name: SessionCookie, Value: value, Path: "/", Expires: expires, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: secure})
}

// ClearSessionCookie removes the session cookie.
func ClearSessionCookie(c echo.Context, secure bool) {
	c.SetCookie(&http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: secure})
}

// ClientAddr is the address logins are rate-limited by: the peer of the
// connection. Forwarded-for headers are not trusted, since anyone can
// send them.
func ClientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// SafeNext keeps a post-login redirect on this site: a path, never
// another host (//evil.example or https://evil.example).
func SafeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.HasPrefix(next, "/login") || strings.HasPrefix(next, "/logout") {
		return "/"
	}
	return next
}
