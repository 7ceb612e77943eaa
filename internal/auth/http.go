package auth

import (
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// Header and cookie names.
const (
	// SessionCookie holds a dashboard session id over http.
	SessionCookie = "sirocco_session"
	// HostSessionCookie holds it over https: a browser takes a __Host-
	// cookie only from this host, Secure, for Path=/ and without Domain,
	// so a sibling subdomain cannot plant one.
	HostSessionCookie = "__Host-" + SessionCookie
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
	// Secure says the base URL is https: the session cookie is then
	// HostSessionCookie, and SessionCookie is not read.
	Secure bool
}

// Guard authenticates every request and applies the Policy. Install it
// with Echo's Use, after routing, so that the route pattern and its
// parameters are known.
func (s *Service) Guard(cfg GuardConfig) echo.MiddlewareFunc {
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
			p, err := s.identify(c, rule, cfg.Secure)
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
func (cfg GuardConfig) withDefaults() GuardConfig {
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

func (s *Service) unauthorized(c echo.Context, cfg GuardConfig, rule Rule, err error) error {
	switch rule.Surface {
	case API:
		msg := "Authentication required: send an API token as 'Authorization: Bearer <token>' or 'X-Auth-Token: <token>'."
		if rule.Callback {
			msg = "Authentication required: send an API token ('Authorization: Bearer <token>' or 'X-Auth-Token') or this action's " + CallbackHeader + "."
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
func (s *Service) identify(c echo.Context, rule Rule, secure bool) (*Principal, error) {
	ctx := c.Request().Context()
	r := c.Request()
	if rule.Surface != API {
		id := SessionID(r, secure)
		if id == "" {
			return nil, nil
		}
		p, err := s.SessionPrincipal(ctx, id)
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

// SessionCookieName is the name of the session cookie: with the __Host-
// prefix when the base URL is https.
func SessionCookieName(secure bool) string {
	if secure {
		return HostSessionCookie
	}
	return SessionCookie
}

// SessionID returns the session id the request carries, or "". Over https
// only the __Host- cookie counts: one without the prefix may have been
// planted by a sibling subdomain.
func SessionID(r *http.Request, secure bool) string {
	ck, err := r.Cookie(SessionCookieName(secure))
	if err != nil {
		return ""
	}
	return ck.Value
}

// SetSessionCookie gives the browser its session: HttpOnly, SameSite=Lax
// (a link from elsewhere still opens the dashboard logged in; a form from
// elsewhere is stopped by the CSRF check), and behind https Secure and
// __Host- (Path=/, no Domain).
func SetSessionCookie(c echo.Context, value string, expires time.Time, secure bool) {
	c.SetCookie(&http.Cookie{Name: SessionCookieName(secure), Value: value, Path: "/", Expires: expires, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: secure})
}

// ClearSessionCookie removes the session cookie.
func ClearSessionCookie(c echo.Context, secure bool) {
	c.SetCookie(&http.Cookie{Name: SessionCookieName(secure), Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: secure})
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

// SafeNext keeps a post-login redirect on this site. It reads next as a
// browser reads a Location (the WHATWG URL standard): ends trimmed of
// control characters and spaces, tabs and newlines dropped anywhere, '\'
// taken for '/' before the query. What is left must be a path from the
// root ("/" then anything but another slash): no scheme, no host, no
// userinfo, no control character, and the same once percent-decoded, so
// that a later decoding cannot turn it into a host either. Anything else,
// and the login and logout pages themselves, give "/". The answer is
// ASCII, with what a browser would escape percent-encoded.
func SafeNext(next string) string {
	if !utf8.ValidString(next) {
		return "/"
	}
	s := strings.TrimFunc(next, func(r rune) bool { return r <= ' ' })
	s = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, s)
	end := strings.IndexAny(s, "?#")
	if end < 0 {
		end = len(s)
	}
	path, rest := strings.ReplaceAll(s[:end], "\\", "/"), s[end:]
	if strings.ContainsFunc(s, unicode.IsControl) || !rootPath(path) {
		return "/"
	}
	u, err := url.Parse(path + rest)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	decoded, err := url.PathUnescape(path)
	if err != nil || !utf8.ValidString(decoded) || strings.ContainsFunc(decoded, unicode.IsControl) {
		return "/"
	}
	decoded = strings.ReplaceAll(decoded, "\\", "/")
	for _, p := range []string{path, decoded} {
		if p = withoutDotSegments(p); !rootPath(p) || strings.HasPrefix(p, "/login") || strings.HasPrefix(p, "/logout") {
			return "/"
		}
	}
	return escapeURL(path + rest)
}

// rootPath reports whether p is a path from the root of this site: a
// browser reads "//host" (and "/\host") as another host.
func rootPath(p string) bool { return strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "//") }

// withoutDotSegments resolves "." and ".." segments as a browser does,
// "%2e" counting as a dot, so that "/.//evil" is seen as the "//evil" it
// becomes.
func withoutDotSegments(p string) string {
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	out := make([]string, 0, len(segs))
	for i, seg := range segs {
		last := i == len(segs)-1
		switch strings.ToLower(seg) {
		case "..", ".%2e", "%2e.", "%2e%2e":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		case ".", "%2e":
		default:
			out = append(out, seg)
			continue
		}
		if last {
			out = append(out, "")
		}
	}
	return "/" + strings.Join(out, "/")
}

// escapeURL percent-encodes the bytes a browser would encode in a path or
// query (controls, spaces, quotes, angle brackets, backslashes, non-ASCII),
// so that the Location header is plain ASCII and reads the same everywhere.
func escapeURL(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"<>\\`{}|^", c) >= 0 {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
