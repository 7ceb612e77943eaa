// Package web serves Sirocco's dashboard: the inbox of pending
// asynchronous actions, the approve/reject forms, executions, and the
// definitions: workflows, ad-hoc and built-in actions, workbooks. Handlers are thin: they read the request, call the engine and
// map its records to the view models of web/templates, which render HTML.
// Pages work without JavaScript; web/static/live.js adds live updates from
// the websocket hub (/ws).
package web

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/guard"
	"github.com/sirocco-project/sirocco/internal/httpstatus"
	"github.com/sirocco-project/sirocco/internal/hub"
	"github.com/sirocco-project/sirocco/web/templates"
)

// Config configures the dashboard.
type Config struct {
	Engine *engine.Engine
	// Live serves /ws (the hub); nil leaves the route out.
	Live LiveHandler
	// BaseURL is the public URL of the server: it names the websocket
	// origin in the Content-Security-Policy; under https cookies are
	// Secure and named with the __Host- prefix.
	BaseURL string
	Logger  *slog.Logger
	// Now tells the time (tests fix it); nil means time.Now.
	Now func() time.Time
	// Auth serves the login page and the accounts pages; nil leaves them
	// answering 404 (the dashboard is then open, as in tests).
	Auth *auth.Service
}

// Server is the dashboard.
type Server struct {
	engine  *engine.Engine
	live    LiveHandler
	log     *slog.Logger
	now     func() time.Time
	csp     string
	secure  bool
	pageMW  []echo.MiddlewareFunc
	maxBody int64
	auth    *auth.Service
	// formKey and crossOrigin guard the forms (csrf.go).
	formKey     []byte
	crossOrigin *http.CrossOriginProtection
	origin      string // the base URL's scheme://host[:port], for the page script
}

// New returns the dashboard; Register adds its routes.
func New(cfg Config) *Server {
	s := &Server{engine: cfg.Engine, live: cfg.Live, log: cfg.Logger, now: cfg.Now, auth: cfg.Auth}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.secure = strings.HasPrefix(cfg.BaseURL, "https://")
	if u, err := url.Parse(cfg.BaseURL); err == nil && u.Host != "" {
		s.origin = strings.ToLower(u.Scheme + "://" + u.Host)
	}
	connect := "'self'"
	if u, err := url.Parse(cfg.BaseURL); err == nil && u.Host != "" {
		ws := "ws://"
		if s.secure {
			ws = "wss://"
		}
		connect += " " + ws + u.Host
	}
	// No inline script or style anywhere: the page script and stylesheet
	// are files under /static.
	s.csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src " + connect +
		"; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
	s.maxBody = int64(cfg.Engine.MaxOutputBytes()) + 64<<10
	s.formKey = formKey(cfg.Auth)
	s.crossOrigin = http.NewCrossOriginProtection()
	s.pageMW = []echo.MiddlewareFunc{s.securityHeaders, s.limitBody, s.checkForms}
	return s
}

// securityHeaders sets the headers every dashboard response carries.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		s.setHeaders(c)
		return next(c)
	}
}

func (s *Server) setHeaders(c echo.Context) {
	h := c.Response().Header()
	h.Set("Content-Security-Policy", s.csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
}

// BaseHeaders sets the security headers every response of the server
// carries, API answers and 404s included: nothing may frame, sniff or
// run inline what it sends. Dashboard pages replace the CSP with theirs.
func BaseHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		return next(c)
	}
}

// limitBody bounds what a form may post, as the API bounds its bodies:
// the largest output plus room for the other fields.
func (s *Server) limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Method == http.MethodPost {
			if r.ContentLength > s.maxBody {
				return s.tooLarge(c)
			}
			r.Body = http.MaxBytesReader(c.Response(), r.Body, s.maxBody)
			if err := r.ParseForm(); err != nil {
				var tooBig *http.MaxBytesError
				if errors.As(err, &tooBig) {
					return s.tooLarge(c)
				}
				return s.errorPage(c, http.StatusBadRequest, "The form cannot be read.")
			}
		}
		return next(c)
	}
}

// tooLarge answers a form past the hard cap, which cannot be read and so
// cannot be shown again: the page says so, and that the browser's Back
// returns to the form with the text still in it (browsers restore a
// form's fields on Back).
func (s *Server) tooLarge(c echo.Context) error {
	return s.errorPage(c, http.StatusRequestEntityTooLarge, fmt.Sprintf(
		"Nothing was recorded: the form sent more than the %d bytes a form may send (an output may be up to %d bytes). "+
			"Your browser's Back button returns to the form with your text still in it, to shorten it or keep it elsewhere.",
		s.maxBody, s.engine.MaxOutputBytes()))
}

// page returns the shared view model of a full page.
func (s *Server) page(c echo.Context, title, nav string) templates.Page {
	p := templates.Page{Title: title, Nav: nav, CSRF: s.formToken(c), CanDecide: true, Origin: s.origin}
	if who := guard.FromContext(c); who != nil {
		p.CanDecide = who.Role.Allows(auth.RoleApprover)
		if who.Method == auth.MethodSession {
			p.User, p.Admin = who.User, who.Role.Allows(auth.RoleAdmin)
		}
	}
	if !fragment(c) {
		p.Waiting = s.waiting(c)
	}
	return p
}

// LiveHandler is the websocket hub as the dashboard needs it: it serves
// /ws, and closes a session's connections when it logs out.
type LiveHandler interface {
	http.Handler
	EndSession(key string)
}

// serveLive hands /ws to the hub, telling it which session opened the
// connection so that the connection ends with the session.
func (s *Server) serveLive(c echo.Context) error {
	r := c.Request()
	if who := guard.FromContext(c); who != nil && who.Session != "" {
		r = r.WithContext(hub.WithSession(r.Context(), who.Session, who.Expires))
		if who.User != "" {
			// The pages it follows show this person viewing them.
			r = r.WithContext(hub.WithViewer(r.Context(), who.User))
		}
	}
	s.live.ServeHTTP(c.Response(), r)
	return nil
}

// ErrorPage shows an error page with status and message; the auth Guard
// uses it for refusals.
func (s *Server) ErrorPage(c echo.Context, status int, msg string) error {
	s.setHeaders(c)
	return s.errorPage(c, status, msg)
}

// fragment reports whether the page script asks for the page's regions
// only (?fragment=1).
func fragment(c echo.Context) bool { return c.QueryParam("fragment") == "1" }

// render writes a component. It renders into a buffer first, so that a
// failing template gives a clean error page rather than half a page.
func (s *Server) render(c echo.Context, status int, comp templ.Component) error {
	var buf bytes.Buffer
	if err := comp.Render(c.Request().Context(), &buf); err != nil {
		return s.fail(c, err)
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// fail renders the error page for an engine (or other) error. Internal
// errors are logged; people see a generic message.
func (s *Server) fail(c echo.Context, err error) error {
	status := httpstatus.Of(err)
	if status == httpstatus.ClientClosedRequest {
		return c.NoContent(status) // recorded for the log; nobody reads it
	}
	switch {
	case status == http.StatusServiceUnavailable:
		// An outage (the database restarting) passes: retry, and warn.
		c.Response().Header().Set("Retry-After", "1")
		s.log.Warn("dashboard request refused for now", "method", c.Request().Method, "path", guard.LogPath(c.Request()), "err", err)
	case status >= 500:
		s.log.Error("dashboard request failed", "method", c.Request().Method, "path", guard.LogPath(c.Request()), "err", err)
	}
	return s.errorPage(c, status, fault.Message(err))
}

func (s *Server) errorPage(c echo.Context, status int, msg string) error {
	v := templates.ErrorView{Page: s.page(c, http.StatusText(status), ""), Status: status, Message: msg}
	var buf bytes.Buffer
	if err := templates.ErrorPage(v).Render(c.Request().Context(), &buf); err != nil {
		return c.String(http.StatusInternalServerError, "Internal server error")
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// prefersHTML reports whether an Accept header ranks HTML above JSON, as a
// browser's does ("text/html,…,*/*;q=0.8"). curl's "*/*", python-requests'
// and the mistral CLI's headers do not, so they keep getting JSON at /.
func prefersHTML(accept string) bool {
	htmlQ, jsonQ := -1.0, -1.0
	htmlPos, jsonPos := 0, 0
	for i, part := range strings.Split(accept, ",") {
		fields := strings.Split(part, ";")
		mt := strings.ToLower(strings.TrimSpace(fields[0]))
		q := 1.0
		for _, p := range fields[1:] {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(k, "q") {
				if f, err := parseQ(v); err == nil {
					q = f
				}
			}
		}
		switch mt {
		case "text/html", "application/xhtml+xml":
			if q > htmlQ {
				htmlQ, htmlPos = q, i
			}
		case "application/json", "*/*", "application/*":
			if q > jsonQ {
				jsonQ, jsonPos = q, i
			}
		}
	}
	if htmlQ <= 0 {
		return false
	}
	return htmlQ > jsonQ || (htmlQ == jsonQ && htmlPos < jsonPos)
}

func parseQ(s string) (float64, error) { return strconv.ParseFloat(strings.TrimSpace(s), 64) }
