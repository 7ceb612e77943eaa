package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/guard"
)

// Forms are guarded twice against requests made from elsewhere.
//
// The browser says where a request comes from: a POST whose
// Sec-Fetch-Site is same-site or cross-site (another port of this host, a
// sibling subdomain, another site) is refused whatever it carries; a
// browser too old to send Sec-Fetch-Site is held to an Origin naming this
// host (http.CrossOriginProtection).
//
// And every form carries a token bound to what authorises the page: with
// a session, an HMAC of the session under a server key, so that no cookie
// is involved and one planted by a neighbour cannot help; without one (the
// login form, -auth off), an HMAC of a random nonce kept in this
// browser's HttpOnly, SameSite=Strict cookie (__Host- over https).
const (
	csrfField  = "_csrf"
	csrfHeader = "X-CSRF-Token"
	csrfKey    = "csrf"
	// formCookie holds the nonce of a browser without a session.
	formCookie = "sirocco_form"
)

// formKey returns the key form tokens derive from: the accounts' key,
// which survives restarts, or a key of this process when there are no
// accounts.
func formKey(a *auth.Service) []byte {
	if a != nil {
		if k := a.FormKey(); k != nil {
			return k
		}
	}
	k := make([]byte, 32)
	_, _ = rand.Read(k) // never fails (crypto/rand)
	return k
}

func (s *Server) formCookieName() string {
	if s.secure {
		return "__Host-" + formCookie
	}
	return formCookie
}

// formToken returns the token this request's page puts in its forms, and
// the one a form it receives must carry.
func (s *Server) formToken(c echo.Context) string {
	if tok, ok := c.Get(csrfKey).(string); ok {
		return tok
	}
	binding := ""
	if who := guard.FromContext(c); who != nil && who.Session != "" {
		binding = "session\x00" + who.Session
	} else {
		binding = "browser\x00" + s.browserNonce(c)
	}
	m := hmac.New(sha256.New, s.formKey)
	m.Write([]byte("sirocco form token\x00" + binding))
	tok := base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	c.Set(csrfKey, tok)
	return tok
}

// browserNonce returns the nonce of the browser's form cookie, giving it
// one first if it has none.
func (s *Server) browserNonce(c echo.Context) string {
	name := s.formCookieName()
	if ck, err := c.Cookie(name); err == nil && validNonce(ck.Value) {
		return ck.Value
	}
	n := rand.Text()
	c.SetCookie(&http.Cookie{Name: name, Value: n, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secure})
	return n
}

// validNonce reports whether v is what rand.Text makes (26 characters of
// base32), so that a cookie cannot feed anything larger to the HMAC.
func validNonce(v string) bool {
	if len(v) != 26 {
		return false
	}
	for _, r := range v {
		if !strings.ContainsRune("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", r) {
			return false
		}
	}
	return true
}

// checkForms refuses a state change that comes from another origin or
// without the page's token.
func (s *Server) checkForms(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		tok := s.formToken(c) // also for the error page's logout form
		if err := s.crossOrigin.Check(r); err != nil {
			return s.errorPage(c, http.StatusForbidden, "This form was sent from another site (or another port of this host) and was refused. Nothing was changed.")
		}
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		sent := r.Header.Get(csrfHeader)
		if sent == "" {
			sent = r.PostFormValue(csrfField)
		}
		if !auth.Equal(sent, tok) {
			return s.errorPage(c, http.StatusForbidden, "This form has expired or did not come from this dashboard. Reload the page and try again.")
		}
		return next(c)
	}
}
