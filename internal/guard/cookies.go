package guard

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// Cookie names.
const (
	// SessionCookie holds a dashboard session id over http.
	SessionCookie = "sirocco_session"
	// HostSessionCookie holds it over https: a browser takes a __Host-
	// cookie only from this host, Secure, for Path=/ and without Domain,
	// so a sibling subdomain cannot plant one.
	HostSessionCookie = "__Host-" + SessionCookie
)

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
