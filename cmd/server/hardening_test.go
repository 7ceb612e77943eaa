package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/gorilla/websocket"
	"github.com/sirocco-project/sirocco/internal/guard"
)

// TestSecurityHeadersEverywhere: every kind of response — API answers,
// refusals, 404s, pages, the login page — carries the headers.
func TestSecurityHeadersEverywhere(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t)
	cases := []struct {
		name   string
		client *http.Client
		path   string
		token  string
	}{
		{"API read", http.DefaultClient, "/v2/workflows", s.tokens["viewer"]},
		{"API 401", http.DefaultClient, "/v2/workflows", ""},
		{"API 404", http.DefaultClient, "/v2/executions/nope", s.tokens["viewer"]},
		{"version document", http.DefaultClient, "/", ""},
		{"Keystone discovery", http.DefaultClient, "/v3", ""},
		{"unknown path", noRedirect(), "/no/such/page", ""},
		{"login page", noRedirect(), "/login", ""},
		{"dashboard redirect", noRedirect(), "/inbox", ""},
		{"inbox", s.sessions["viewer"], "/inbox", ""},
		{"admin refused", s.sessions["viewer"], "/admin", ""},
		{"admin", s.sessions["admin"], "/admin", ""},
	}
	for _, c := range cases {
		r := sendWith(t, c.client, "GET", s.URL+c.path, c.token, nil, nil)
		csp := r.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s (%d): CSP %q, want frame-ancestors 'none' and no unsafe-inline", c.name, r.Status, csp)
		}
		if strings.Contains(csp, "script-src") && !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("%s: script-src other than 'self': %q", c.name, csp)
		}
		if got := r.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q", c.name, got)
		}
		if got := r.Header.Get("Referrer-Policy"); got == "" {
			t.Errorf("%s: no Referrer-Policy", c.name)
		}
	}
}

// payloads try to break out of text, attributes and scripts.
var payloads = []string{
	`<script>alert("xss1")</script>`,
	`"><img src=x onerror=alert("xss2")>`,
	`' onmouseover='alert("xss3")`,
	`</textarea><script>alert("xss4")</script>`,
	`javascript:alert("xss5")`,
}

// TestPayloadsRenderInert puts script and attribute-breaking payloads in a
// workflow's name, description, input, output and a decision's comment,
// and checks every page: no script runs but the page's own file, no
// element grows an event handler, no link gets a javascript: URL.
func TestPayloadsRenderInert(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t)
	admin := s.tokens["admin"]
	name := `wf_"><script>alert(1)</script>`
	wf := "version: '2.0'\n'" + strings.ReplaceAll(name, "'", "''") + "':\n  description: '" + strings.ReplaceAll(payloads[1], "'", "''") +
		"'\n  input:\n    - p\n  output:\n    out: <% $.p %>\n  tasks:\n    ask:\n      action: std.async_noop\n"
	if r := s.req(t, "POST", "/v2/workflows", admin, wf, nil); r.Status != http.StatusCreated {
		t.Fatalf("create workflow with a payload name: %d %s", r.Status, r.Raw)
	}
	in := map[string]any{}
	for i, p := range payloads {
		in["k"+string(rune('a'+i))] = p
	}
	ex := s.req(t, "POST", "/v2/executions", admin, map[string]any{"workflow_name": name, "input": map[string]any{"p": in},
		"description": payloads[0]}, nil)
	if ex.Status != http.StatusCreated {
		t.Fatalf("start: %d %s", ex.Status, ex.Raw)
	}
	exID := str(t, ex.JSON, "id")
	pending := s.runningAction(t, exID)
	actionID := str(t, pending, "id")
	pages := []string{"/inbox", "/inbox?q=" + url.QueryEscape(payloads[0]), "/actions/" + actionID, "/executions", "/executions/" + exID,
		"/workflows", "/workflows/" + url.PathEscape(name), "/executions?workflow=" + url.QueryEscape(name)}
	check := func(when string) {
		for _, p := range append(pages, "/admin") {
			r := sendWith(t, s.sessions["admin"], "GET", s.URL+p, "", nil, nil)
			if r.Status != http.StatusOK {
				t.Errorf("%s GET %s: %d", when, p, r.Status)
				continue
			}
			doc, err := goquery.NewDocumentFromReader(strings.NewReader(r.Raw))
			if err != nil {
				t.Fatal(err)
			}
			doc.Find("script").Each(func(_ int, sel *goquery.Selection) {
				src, _ := sel.Attr("src")
				if !strings.HasPrefix(src, "/static/") || strings.TrimSpace(sel.Text()) != "" {
					t.Errorf("%s GET %s: a script that is not the page's own: %s", when, p, goquery.NewDocumentFromNode(sel.Get(0)).Text())
				}
			})
			doc.Find("*").Each(func(_ int, sel *goquery.Selection) {
				for _, a := range sel.Get(0).Attr {
					if strings.HasPrefix(strings.ToLower(a.Key), "on") {
						t.Errorf("%s GET %s: <%s %s=%q>", when, p, goquery.NodeName(sel), a.Key, a.Val)
					}
					if (a.Key == "href" || a.Key == "src" || a.Key == "action") && strings.HasPrefix(strings.ToLower(strings.TrimSpace(a.Val)), "javascript:") {
						t.Errorf("%s GET %s: %s=%q", when, p, a.Key, a.Val)
					}
				}
			})
			doc.Find("img").Each(func(_ int, sel *goquery.Selection) {
				t.Errorf("%s GET %s: an injected <img>", when, p)
			})
			if when == "pending" && !strings.Contains(r.Raw, "alert") && p != "/admin" && !strings.HasPrefix(p, "/inbox?") {
				// The payload must be shown (escaped), not dropped.
				t.Errorf("%s GET %s: the payload is not shown at all", when, p)
			}
		}
	}
	check("pending")
	// Complete with payloads in the output and the comment, from the dashboard.
	form := url.Values{"_csrf": {s.csrf["admin"]}, "state": {"SUCCESS"}, "output": {`{"x": "` + strings.ReplaceAll(payloads[0], `"`, `\"`) + `"}`},
		"comment": {payloads[1]}}
	if r := sendWith(t, s.sessions["admin"], "POST", s.URL+"/actions/"+actionID, "", form, nil); r.Status != http.StatusSeeOther {
		t.Fatalf("decide: %d %.300s", r.Status, r.Raw)
	}
	s.waitState(t, "/v2/executions/"+exID, "SUCCESS")
	check("done")
	// Accounts: a user name cannot carry markup at all.
	if r := s.req(t, "POST", "/auth/users", admin, map[string]any{"name": payloads[0], "role": "viewer", "password": "password-1"}, nil); r.Status != http.StatusBadRequest {
		t.Errorf("user named with markup: %d, want 400", r.Status)
	}
	if r := s.req(t, "POST", "/auth/tokens", admin, map[string]any{"name": payloads[1], "role": "viewer"}, nil); r.Status != http.StatusCreated {
		t.Errorf("token named with markup: %d", r.Status)
	}
	check("with a token named with markup")
}

// TestListQueriesRefuseInjection: sort keys, fields and filters accept
// known columns only; anything else is a 400, never SQL.
func TestListQueriesRefuseInjection(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t)
	for _, q := range []string{
		"sort_keys=name%3BDROP%20TABLE%20workflows",
		"sort_keys=(SELECT password_hash FROM users)",
		"sort_keys=created_at&sort_dirs=asc%3B--",
		"sort_keys=created_at&sort_dirs=asc,desc",
		"fields=id,(select 1)",
		"fields=password_hash",
		"name%3B--=x",
		"1=1",
		"limit=1%20OR%201=1",
	} {
		for _, res := range []string{"workflows", "executions", "tasks", "action_executions"} {
			r := s.req(t, "GET", "/v2/"+res+"?"+q, s.tokens["viewer"], nil, nil)
			if r.Status != http.StatusBadRequest {
				t.Errorf("GET /v2/%s?%s: %d, want 400; %.200s", res, q, r.Status, r.Raw)
			}
		}
	}
	// Values are bound parameters: a quote in one is just a character.
	if r := s.req(t, "POST", "/v2/workflows", s.tokens["admin"], "version: '2.0'\nw:\n  tasks:\n    a:\n      action: std.noop\n", nil); r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Raw)
	}
	for _, q := range []string{"name=x'%20OR%20'1'='1", "name=in:x')%20OR%20('1'='1", "name=has:%25'%20OR%201=1--"} {
		r := s.req(t, "GET", "/v2/workflows?"+q, s.tokens["viewer"], nil, nil)
		if list, _ := r.JSON["workflows"].([]any); r.Status != http.StatusOK || len(list) != 0 {
			t.Errorf("GET /v2/workflows?%s: %d %s, want 200 and no workflow", q, r.Status, r.Raw)
		}
	}
	if r := s.req(t, "GET", "/v2/workflows", s.tokens["viewer"], nil, nil); len(r.JSON["workflows"].([]any)) != 1 {
		t.Errorf("after the attempts: %s", r.Raw)
	}
}

// TestBodiesBounded: API bodies and dashboard forms past the limit are
// refused with 413 and change nothing.
func TestBodiesBounded(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t, "-max-output", "1000")
	big := strings.Repeat("x", 200<<10)
	if r := s.req(t, "POST", "/v2/workflows", s.tokens["admin"], big, nil); r.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("API body of 200 KiB: %d, want 413", r.Status)
	}
	if r := s.req(t, "POST", "/v3/auth/tokens", "", big, nil); r.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("Keystone body of 200 KiB: %d, want 413", r.Status)
	}
	form := url.Values{"_csrf": {s.csrf["admin"]}, "input": {big}}
	for _, path := range []string{"/workflows/x/executions", "/actions/x", "/admin/users", "/login"} {
		c := s.sessions["admin"]
		if path == "/login" {
			c = noRedirect()
		}
		if r := sendWith(t, c, "POST", s.URL+path, "", form, nil); r.Status != http.StatusRequestEntityTooLarge {
			t.Errorf("form of 200 KiB to %s: %d, want 413", path, r.Status)
		}
	}
}

// TestWebsocketNeedsSessionAndOrigin: /ws refuses anonymous browsers and
// other origins, and accepts a logged-in page of the base URL.
func TestWebsocketNeedsSessionAndOrigin(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t)
	wsURL := "ws" + strings.TrimPrefix(s.URL, "http") + "/ws?topic=inbox"
	u, _ := url.Parse(s.URL)
	dial := func(c *http.Client, origin string) int {
		d := websocket.Dialer{}
		if c != nil {
			d.Jar = c.Jar
		}
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		conn, resp, err := d.Dial(wsURL, h)
		if err == nil {
			conn.Close()
			return resp.StatusCode
		}
		if resp == nil {
			t.Fatalf("dial: %v", err)
		}
		t.Logf("dial with origin %q: %v", origin, err)
		return resp.StatusCode
	}
	if got := dial(nil, s.URL); got != http.StatusUnauthorized {
		t.Errorf("/ws without a session: %d, want 401", got)
	}
	if got := dial(s.sessions["viewer"], "http://evil.example"); got != http.StatusForbidden {
		t.Errorf("/ws from another origin: %d, want 403", got)
	}
	if got := dial(s.sessions["viewer"], u.Scheme+"://"+u.Host); got != http.StatusSwitchingProtocols {
		t.Errorf("/ws with a session from the base URL: %d, want 101", got)
	}
	_ = guard.SessionCookie
}

// TestDeleteUserClosesWebsocket: deleting an account closes its pages'
// live connections, as its logout would; another user's stay open.
func TestDeleteUserClosesWebsocket(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t)
	u, _ := url.Parse(s.URL)
	dial := func(role string) *websocket.Conn {
		d := websocket.Dialer{Jar: s.sessions[role].Jar}
		conn, _, err := d.Dial("ws"+strings.TrimPrefix(s.URL, "http")+"/ws?topic=inbox", http.Header{"Origin": {u.Scheme + "://" + u.Host}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}
	viewer, approver := dial("viewer"), dial("approver")
	if r := s.req(t, "DELETE", "/auth/users/viewer1", s.tokens["admin"], nil, nil); r.Status != http.StatusNoContent {
		t.Fatalf("DELETE /auth/users/viewer1: %d %s", r.Status, r.Raw)
	}
	viewer.SetReadDeadline(time.Now().Add(waitTimeout))
	for {
		_, _, err := viewer.ReadMessage()
		if err == nil {
			continue
		}
		if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
			t.Fatal("the deleted user's websocket stayed open")
		}
		break // closed by the server
	}
	// The approver's page still follows events: a ping answered with a pong
	// proves the connection open without waiting for an event.
	pong := make(chan struct{}, 1)
	approver.SetPongHandler(func(string) error { pong <- struct{}{}; return nil })
	if err := approver.WriteControl(websocket.PingMessage, nil, time.Now().Add(waitTimeout)); err != nil {
		t.Fatalf("the approver's websocket: %v", err)
	}
	approver.SetReadDeadline(time.Now().Add(waitTimeout))
	go func() { _, _, _ = approver.ReadMessage() }() // pong handlers run inside reads
	select {
	case <-pong:
	case <-time.After(waitTimeout):
		t.Error("the approver's websocket closed too")
	}
}

// TestLogoutClosesWebsocket: a page's live connection ends with its session.
func TestLogoutClosesWebsocket(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t)
	u, _ := url.Parse(s.URL)
	d := websocket.Dialer{Jar: s.sessions["approver"].Jar}
	conn, _, err := d.Dial("ws"+strings.TrimPrefix(s.URL, "http")+"/ws?topic=inbox", http.Header{"Origin": {u.Scheme + "://" + u.Host}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := sendWith(t, s.sessions["approver"], "POST", s.URL+"/logout", "", url.Values{"_csrf": {s.csrf["approver"]}}, nil)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("POST /logout: %d %s", r.Status, r.Raw)
	}
	conn.SetReadDeadline(time.Now().Add(waitTimeout))
	for {
		_, _, err := conn.ReadMessage()
		if err == nil {
			continue
		}
		if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
			t.Fatal("the websocket stayed open after logout")
		}
		break // closed by the server
	}
}
