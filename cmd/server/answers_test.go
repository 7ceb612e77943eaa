package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/api"
	"github.com/sirocco-project/sirocco/internal/guard"
)

// TestAnswersNotARoutesOwn: unknown paths, wrong methods and refusals get
// one kind of answer. Under /v2, /auth and /metrics, and for clients that
// prefer JSON, it is Mistral's fault body; under /v3 Keystone's error body;
// elsewhere the dashboard's page or, without a session, the login page.
// Never echo's {"message": …}, and never a 404 before authentication.
func TestAnswersNotARoutesOwn(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t)
	const (
		fault    = "fault"    // {"faultcode","faultstring","debuginfo"}
		keystone = "keystone" // {"error":{"code","message","title"}}
		page     = "page"     // the dashboard's styled error page
		login    = "login"    // 303 to /login?next=
		empty    = "empty"    // no body (HEAD)
	)
	const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	tests := []struct {
		method, path, accept string
		creds                string // "", "token" (a viewer's API token) or "session" (a viewer's dashboard session)
		status               int
		shape                string
		allow                string // the Allow header of a 405
	}{
		// /v2: authentication first, then 404 or 405, always a faultstring.
		{"GET", "/v2/no_such_resource", "", "", http.StatusUnauthorized, fault, ""},
		{"GET", "/v2/no_such_resource", "", "token", http.StatusNotFound, fault, ""},
		{"GET", "/v2/no_such_resource", browser, "", http.StatusUnauthorized, fault, ""},
		{"GET", "/v2/no_such_resource", "application/json", "token", http.StatusNotFound, fault, ""},
		{"GET", "/v2/no_such_resource", "", "session", http.StatusUnauthorized, fault, ""}, // the API takes tokens, not sessions
		{"POST", "/v2/cron_triggers", "application/json", "", http.StatusUnauthorized, fault, ""},
		{"PATCH", "/v2/workflows", "", "", http.StatusUnauthorized, fault, ""},
		{"PATCH", "/v2/workflows", "", "token", http.StatusMethodNotAllowed, fault, "OPTIONS, GET, POST, PUT"},
		{"DELETE", "/v2/executions", "", "token", http.StatusMethodNotAllowed, fault, "OPTIONS, GET, POST"},
		{"HEAD", "/v2/no_such_resource", "", "token", http.StatusNotFound, empty, ""},
		// /v3: Keystone's body.
		{"GET", "/v3/projects", "application/json", "", http.StatusUnauthorized, keystone, ""},
		{"GET", "/v3/projects", "application/json", "token", http.StatusNotFound, keystone, ""},
		{"GET", "/v3/projects", "", "token", http.StatusNotFound, keystone, ""},
		{"PATCH", "/v3/auth/tokens", "", "token", http.StatusMethodNotAllowed, keystone, "OPTIONS, DELETE, GET, HEAD, POST"},
		// /auth and /metrics.
		{"GET", "/auth/nothing", "", "", http.StatusUnauthorized, fault, ""},
		{"GET", "/auth/nothing", "", "token", http.StatusNotFound, fault, ""},
		{"GET", "/metrics/more", "", "token", http.StatusNotFound, fault, ""},
		{"POST", "/metrics", "", "token", http.StatusMethodNotAllowed, fault, "OPTIONS, GET"},
		// The dashboard: the login page first, then the styled page.
		{"GET", "/no-such-page", browser, "", http.StatusSeeOther, login, ""},
		{"GET", "/no-such-page", "", "", http.StatusSeeOther, login, ""},
		{"GET", "/no-such-page", "*/*", "", http.StatusSeeOther, login, ""},
		{"GET", "/no-such-page", browser, "session", http.StatusNotFound, page, ""},
		{"GET", "/v2x", browser, "session", http.StatusNotFound, page, ""}, // not under /v2
		{"GET", "/workflows/a/b/c", browser, "session", http.StatusNotFound, page, ""},
		{"PUT", "/workflows", browser, "session", http.StatusMethodNotAllowed, page, "OPTIONS, GET"},
		// …unless the client prefers JSON.
		{"GET", "/no-such-page", "application/json", "", http.StatusUnauthorized, fault, ""},
		{"GET", "/no-such-page", "application/json", "token", http.StatusNotFound, fault, ""},
		{"GET", "/workflows", "application/json", "", http.StatusUnauthorized, fault, ""},
		{"GET", "/admin", "application/json", "session", http.StatusForbidden, fault, ""},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%s %s Accept=%q creds=%q", tt.method, tt.path, tt.accept, tt.creds)
		header := map[string]string{"Accept": tt.accept}
		client, token := noRedirect(), ""
		switch tt.creds {
		case "token":
			token = s.tokens["viewer"]
		case "session":
			client = s.sessions["viewer"]
		}
		r := sendWith(t, client, tt.method, s.URL+tt.path, token, nil, header)
		if r.Status != tt.status {
			t.Errorf("%s: %d, want %d; %.200s", name, r.Status, tt.status, r.Raw)
			continue
		}
		if got := r.Header.Get("Allow"); got != tt.allow {
			t.Errorf("%s: Allow %q, want %q", name, got, tt.allow)
		}
		ctype := r.Header.Get("Content-Type")
		if _, ok := r.JSON["message"]; ok {
			t.Errorf("%s: echo's {\"message\": …} body %s", name, r.Raw)
		}
		switch tt.shape {
		case fault:
			if msg, _ := r.JSON["faultstring"].(string); !strings.HasPrefix(ctype, "application/json") || msg == "" || r.JSON["faultcode"] != "Client" {
				t.Errorf("%s: %s %.200s, want a JSON fault with a faultstring", name, ctype, r.Raw)
			}
		case keystone:
			e, _ := r.JSON["error"].(map[string]any)
			if msg, _ := e["message"].(string); !strings.HasPrefix(ctype, "application/json") || msg == "" ||
				e["code"] != float64(tt.status) || e["title"] != http.StatusText(tt.status) {
				t.Errorf("%s: %s %.200s, want Keystone's error body", name, ctype, r.Raw)
			}
		case page:
			if !strings.HasPrefix(ctype, "text/html") || !strings.Contains(r.Raw, `data-testid="error-message"`) ||
				!strings.Contains(r.Raw, `data-testid="user">viewer1<`) {
				t.Errorf("%s: %s %.200s, want the dashboard's error page for viewer1", name, ctype, r.Raw)
			}
		case login:
			if loc := r.Header.Get("Location"); !strings.HasPrefix(loc, "/login?next=") {
				t.Errorf("%s: Location %q, want /login?next=…", name, loc)
			}
		case empty:
			if r.Raw != "" {
				t.Errorf("%s: body %.200s, want none", name, r.Raw)
			}
		}
	}
}

// TestMistralCLIUnknownRoute: what the mistral CLI prints when Sirocco
// lacks a route (here under a Mistral URL with a path Sirocco does not
// serve) is the faultstring, not "ERROR (app) None", logged in with a
// token or not.
func TestMistralCLIUnknownRoute(t *testing.T) {
	t.Parallel()
	cli := newMistralCLI(t)
	s := startAuthServer(t)
	r := cli.keystone(t, s.URL, "admin", testAdminPassword, "--os-mistral-url", s.URL+"/v2/no_such_resource", "environment-list")
	if r.code == 0 || !strings.Contains(r.stderr, "Not Found") || strings.Contains(r.stderr, "None") || strings.Contains(r.stderr, "/login") {
		t.Errorf("environment-list logged in: exit %d, stderr %q; want the faultstring of a 404", r.code, r.stderr)
	}
	cli.url = s.URL + "/v2" // OS_MISTRAL_URL without a token
	r = cli.run(t, "cron-trigger-list")
	if r.code == 0 || !strings.Contains(r.stderr, "Authentication required") || strings.Contains(r.stderr, "None") {
		t.Errorf("cron-trigger-list without a token: exit %d, stderr %q; want the faultstring of a 401", r.code, r.stderr)
	}
}

// TestPanicAnswer: a handler that panics is logged and answered 500 in
// the shape of its surface, like any other answer that is not its own.
func TestPanicAnswer(t *testing.T) {
	t.Parallel()
	var logged strings.Builder
	log := slog.New(slog.NewTextHandler(&logged, nil))
	e := echo.New()
	page := func(c echo.Context, status int, msg string) error { return c.HTML(status, "<p>"+msg+"</p>") }
	e.HTTPErrorHandler = guard.ErrorHandler(guard.Config{Fault: api.Fault, PageError: page}, log)
	e.Use(requestLog(log))
	e.GET("/*", func(echo.Context) error { panic("boom") })
	for _, tt := range []struct{ path, ctype, body string }{
		{"/v2/workflows", "application/json", `"faultstring":"Internal server error."`},
		{"/inbox", "text/html", "<p>Internal server error.</p>"},
	} {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest("GET", tt.path, nil))
		if rec.Code != http.StatusInternalServerError || !strings.HasPrefix(rec.Header().Get("Content-Type"), tt.ctype) || !strings.Contains(rec.Body.String(), tt.body) {
			t.Errorf("GET %s: %d %s %s, want 500 %s with %s", tt.path, rec.Code, rec.Header().Get("Content-Type"), rec.Body, tt.ctype, tt.body)
		}
	}
	if !strings.Contains(logged.String(), "handler panicked") {
		t.Errorf("the panic was not logged:\n%s", logged.String())
	}
}
