package main

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestWeakPasswordsRefused: a common password is refused at every place a
// password is set — the API, the client verbs, the dashboard's accounts
// forms, the self-service change, and SIROCCO_ADMIN_PASSWORD at start —
// each time naming the rule.
func TestWeakPasswordsRefused(t *testing.T) {
	t.Parallel()
	const rule = "10,000 most common"
	s := startAuthServer(t)
	admin := s.tokens["admin"]
	if r := s.req(t, "POST", "/auth/users", admin, map[string]any{"name": "carol", "role": "viewer", "password": "Password123"}, nil); r.Status != http.StatusBadRequest || !strings.Contains(r.Raw, rule) {
		t.Errorf("POST /auth/users with a common password: %d %s, want 400 naming the rule", r.Status, r.Raw)
	}
	if r := s.req(t, "PUT", "/auth/users/viewer1", admin, map[string]any{"password": "qwertyuiop"}, nil); r.Status != http.StatusBadRequest || !strings.Contains(r.Raw, rule) {
		t.Errorf("PUT /auth/users/viewer1 with a common password: %d %s, want 400 naming the rule", r.Status, r.Raw)
	}
	var out, errOut strings.Builder
	env := map[string]string{"SIROCCO_URL": s.URL, "SIROCCO_TOKEN": admin, "SIROCCO_NEW_PASSWORD": "iloveyou1"}
	if err := run(t.Context(), []string{"user-create", "carol", "--role", "viewer"}, func(k string) string { return env[k] }, &out, &errOut); err == nil || !strings.Contains(err.Error(), rule) {
		t.Errorf("user-create with a common password: %v, want an error naming the rule", err)
	}
	dash := s.sessions["admin"]
	for path, form := range map[string]url.Values{
		"/admin/users":         {"name": {"carol"}, "role": {"viewer"}, "password": {"sunshine1"}},
		"/admin/users/viewer1": {"role": {"viewer"}, "password": {"welcome1"}},
		"/account/password":    {"current_password": {testAdminPassword}, "new_password": {"trustno1"}, "confirm_password": {"trustno1"}},
	} {
		form.Set("_csrf", s.csrf["admin"])
		if r := sendWith(t, dash, "POST", s.URL+path, "", form, nil); r.Status != http.StatusBadRequest || !strings.Contains(r.Raw, rule) {
			t.Errorf("dashboard POST %s with a common password: %d, want 400 naming the rule; %.300s", path, r.Status, r.Raw)
		}
	}
	// None of them took: the old passwords still work.
	s.keystoneLogin(t, "viewer1", "viewer-password-1", http.StatusCreated)
	s.keystoneLogin(t, "admin", testAdminPassword, http.StatusCreated)

	// A weak SIROCCO_ADMIN_PASSWORD stops the server before it listens,
	// on the first start and on later ones (after this server stops: a
	// SQLite file serves one server).
	s.Stop(t)
	for _, db := range []string{filepath.Join(t.TempDir(), "new.db"), s.DB} {
		var stdout, stderr strings.Builder
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		err := run(ctx, []string{"-addr", "127.0.0.1:0", "-db", db, "-seed=false"}, func(k string) string {
			return map[string]string{"SIROCCO_AUTH": "on", "SIROCCO_ADMIN_PASSWORD": "password1"}[k]
		}, &stdout, &stderr)
		cancel()
		if err == nil || !strings.Contains(err.Error(), "SIROCCO_ADMIN_PASSWORD") || !strings.Contains(err.Error(), rule) {
			t.Errorf("start with SIROCCO_ADMIN_PASSWORD=password1 (%s): %v, want a refusal naming the variable and the rule", filepath.Base(db), err)
		}
		if strings.Contains(stdout.String(), "listening") {
			t.Errorf("the server listened with a weak admin password:\n%s", stdout.String())
		}
	}
}

// TestPasswordChange: a user changes their own password on the page the
// header's name links to, giving the current one; that ends their other
// dashboard sessions (and their live connections) and their Keystone
// tokens, and keeps the session that made the change. An admin's reset
// ends the user's sessions and Keystone tokens too.
func TestPasswordChange(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t)
	const oldPW, newPW = "viewer-password-1", "a new viewer passphrase"
	s.secrets = append(s.secrets, newPW)
	current := s.sessions["viewer"]
	other, _ := s.dashboardLogin(t, "viewer1", oldPW)
	u, _ := url.Parse(s.URL)
	conn, _, err := (&websocket.Dialer{Jar: other.Jar}).Dial("ws"+strings.TrimPrefix(s.URL, "http")+"/ws?topic=inbox", http.Header{"Origin": {u.Scheme + "://" + u.Host}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	keystone := s.keystoneLogin(t, "viewer1", oldPW, http.StatusCreated)

	home := sendWith(t, current, "GET", s.URL+"/inbox", "", nil, nil)
	if !strings.Contains(home.Raw, `href="/account/password"`) {
		t.Errorf("the header does not link to /account/password:\n%.2000s", home.Raw)
	}
	page := sendWith(t, current, "GET", s.URL+"/account/password", "", nil, nil)
	for _, want := range []string{`name="current_password"`, `name="new_password"`, `name="confirm_password"`, `name="_csrf"`, `autocomplete="current-password"`} {
		if page.Status != http.StatusOK || !strings.Contains(page.Raw, want) {
			t.Errorf("GET /account/password: %d, lacks %s", page.Status, want)
		}
	}
	m := csrfRE.FindStringSubmatch(page.Raw)
	if m == nil {
		t.Fatalf("GET /account/password: %d, no CSRF token", page.Status)
	}
	csrf := m[1]
	post := func(c *http.Client, form url.Values) response {
		return sendWith(t, c, "POST", s.URL+"/account/password", "", form, nil)
	}
	for _, bad := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"new_password": {newPW}, "confirm_password": {newPW}}, "current password"},
		{url.Values{"current_password": {"not-the-password"}, "new_password": {newPW}, "confirm_password": {newPW}}, "current password is not correct"},
		{url.Values{"current_password": {oldPW}, "new_password": {newPW}, "confirm_password": {newPW + "x"}}, "do not match"},
		{url.Values{"current_password": {oldPW}, "new_password": {"short"}, "confirm_password": {"short"}}, "too short"},
	} {
		bad.form.Set("_csrf", csrf)
		if r := post(current, bad.form); r.Status != http.StatusBadRequest || !strings.Contains(r.Raw, bad.want) {
			t.Errorf("POST /account/password %v: %d, want 400 saying %q; %.300s", bad.form, r.Status, bad.want, r.Raw)
		}
	}
	if r := post(current, url.Values{"current_password": {oldPW}, "new_password": {newPW}, "confirm_password": {newPW}}); r.Status != http.StatusForbidden {
		t.Errorf("POST /account/password without the CSRF token: %d, want 403", r.Status)
	}
	// Nothing so far changed anything.
	if r := sendWith(t, other, "GET", s.URL+"/inbox", "", nil, nil); r.Status != http.StatusOK {
		t.Fatalf("the other session after refused changes: %d, want 200", r.Status)
	}

	r := post(current, url.Values{"_csrf": {csrf}, "current_password": {oldPW}, "new_password": {newPW}, "confirm_password": {newPW}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/account/password") {
		t.Fatalf("change the password: %d Location %q, want 303 back to the page; %.300s", r.Status, r.Header.Get("Location"), r.Raw)
	}
	if done := sendWith(t, current, "GET", s.URL+r.Header.Get("Location"), "", nil, nil); done.Status != http.StatusOK || !strings.Contains(done.Raw, "Password changed") {
		t.Errorf("after the change: %d, want the page saying so; %.500s", done.Status, done.Raw)
	}
	if r := sendWith(t, current, "GET", s.URL+"/inbox", "", nil, nil); r.Status != http.StatusOK {
		t.Errorf("the session that changed the password: %d, want 200 (it stays)", r.Status)
	}
	if r := sendWith(t, other, "GET", s.URL+"/inbox", "", nil, nil); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Errorf("the user's other session after the change: %d, want 303 to /login", r.Status)
	}
	waitClosed(t, conn, "the other session's websocket")
	if r := s.req(t, "GET", "/v2/workflows", keystone, nil, nil); r.Status != http.StatusUnauthorized {
		t.Errorf("the user's Keystone token after the change: %d, want 401", r.Status)
	}
	if r := s.req(t, "GET", "/v2/workflows", s.tokens["viewer"], nil, nil); r.Status != http.StatusOK {
		t.Errorf("the user's API token after the change: %d, want 200 (named tokens are revoked on their own)", r.Status)
	}
	s.keystoneLogin(t, "viewer1", oldPW, http.StatusUnauthorized)
	s.keystoneLogin(t, "viewer1", newPW, http.StatusCreated)

	// An admin's reset ends every session and Keystone token of the user.
	appKeystone := s.keystoneLogin(t, "approver1", "approver-password-1", http.StatusCreated)
	if r := s.req(t, "PUT", "/auth/users/approver1", s.tokens["admin"], map[string]any{"password": "a reset approver passphrase"}, nil); r.Status != http.StatusOK {
		t.Fatalf("admin resets approver1's password: %d %s", r.Status, r.Raw)
	}
	if r := sendWith(t, s.sessions["approver"], "GET", s.URL+"/inbox", "", nil, nil); r.Status != http.StatusSeeOther {
		t.Errorf("approver1's session after an admin reset: %d, want 303 to /login", r.Status)
	}
	if r := s.req(t, "GET", "/v2/workflows", appKeystone, nil, nil); r.Status != http.StatusUnauthorized {
		t.Errorf("approver1's Keystone token after an admin reset: %d, want 401", r.Status)
	}
	s.checkLogClean(t)
}

// waitClosed reads conn until the server closes it; a read that times out
// means it stayed open.
func waitClosed(t *testing.T, conn *websocket.Conn, what string) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(waitTimeout))
	for {
		_, _, err := conn.ReadMessage()
		if err == nil {
			continue
		}
		if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
			t.Fatalf("%s stayed open", what)
		}
		return
	}
}

// TestLoginThrottleOverHTTP: the dashboard and /v3 share one throttle and
// answer it with 429 and Retry-After (the back-off's figures are tested
// with a fixed clock in internal/auth). Every attempt the throttle lets
// through is a counted failure that doubles the wait, so each loop ends
// in a few steps however slowly the requests go.
func TestLoginThrottleOverHTTP(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t)
	retryAfter := func(r response) int {
		n, err := strconv.Atoi(r.Header.Get("Retry-After"))
		if err != nil || n < 1 {
			t.Errorf("429 with Retry-After %q, want whole seconds ≥ 1", r.Header.Get("Retry-After"))
		}
		return n
	}
	var r response
	for range 12 {
		if r = s.req(t, "POST", "/v3/auth/tokens", "", keystoneBody("approver1", "wrong"), nil); r.Status != http.StatusUnauthorized {
			break
		}
	}
	if r.Status != http.StatusTooManyRequests {
		t.Fatalf("POST /v3/auth/tokens after failures: %d, want 429; %s", r.Status, r.Raw)
	}
	retryAfter(r)
	if fault, _ := r.JSON["error"].(map[string]any); fault == nil || fault["code"] != float64(429) || !strings.Contains(r.Raw, "try again in") {
		t.Errorf("429 body %s, want Keystone's error with code 429 and the wait", r.Raw)
	}
	// The dashboard is held by the same count: far fewer than 5 further
	// failures get through before it answers 429 too.
	c := noRedirect()
	csrf := csrfRE.FindStringSubmatch(sendWith(t, c, "GET", s.URL+"/login", "", nil, nil).Raw)[1]
	through := 0
	for range 12 {
		r = sendWith(t, c, "POST", s.URL+"/login", "", url.Values{"_csrf": {csrf}, "username": {"approver1"}, "password": {"wrong"}}, nil)
		if r.Status != http.StatusUnauthorized {
			break
		}
		through++
	}
	if r.Status != http.StatusTooManyRequests || through >= 5 || !strings.Contains(r.Raw, "try again in") {
		t.Fatalf("dashboard login for the held account: %d after %d more failures, want 429 with the wait; %.300s", r.Status, through, r.Raw)
	}
	retryAfter(r)
	// Another account from the same address is not held.
	s.keystoneLogin(t, "admin", testAdminPassword, http.StatusCreated)
}
