package main

import (
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/guard"
)

const testAdminPassword = "admin-secret-Pa55word"

// authServer is a server with authentication on, an admin password set,
// and accounts for each role.
type authServer struct {
	*testServer
	tokens   map[string]string       // role → API token
	sessions map[string]*http.Client // role → a dashboard client logged in as that role
	csrf     map[string]string       // role → the CSRF token of its session
	secrets  []string                // every secret the test saw: none may reach the log
}

// startAuthServer starts a server with -auth on and creates, for each
// role, a user, an API token and a logged-in dashboard session.
func startAuthServer(t *testing.T, extraArgs ...string) *authServer {
	t.Helper()
	s := &authServer{
		testServer: startServerEnv(t, map[string]string{"SIROCCO_AUTH": "on", "SIROCCO_ADMIN_PASSWORD": testAdminPassword}, extraArgs...),
		tokens:     map[string]string{}, sessions: map[string]*http.Client{}, csrf: map[string]string{},
		secrets: []string{testAdminPassword},
	}
	admin := s.keystoneLogin(t, "admin", testAdminPassword, http.StatusCreated)
	s.secrets = append(s.secrets, admin)
	passwords := map[string]string{"admin": testAdminPassword}
	for _, role := range []string{"viewer", "requester", "approver"} {
		name, pw := role+"1", role+"-password-1"
		passwords[role] = pw
		s.secrets = append(s.secrets, pw)
		r := s.req(t, "POST", "/auth/users", admin, map[string]any{"name": name, "role": role, "password": pw}, nil)
		if r.Status != http.StatusCreated {
			t.Fatalf("create user %s: %d %s", name, r.Status, r.Raw)
		}
	}
	for _, role := range []string{"viewer", "requester", "approver", "admin"} {
		user := role + "1"
		if role == "admin" {
			user = "admin"
		}
		r := s.req(t, "POST", "/auth/tokens", admin, map[string]any{"name": role + " token", "role": role, "user": user}, nil)
		if r.Status != http.StatusCreated {
			t.Fatalf("create %s token: %d %s", role, r.Status, r.Raw)
		}
		s.tokens[role] = str(t, r.JSON, "token")
		s.secrets = append(s.secrets, s.tokens[role])
		s.sessions[role], s.csrf[role] = s.dashboardLogin(t, user, passwords[role])
	}
	return s
}

// req sends a request with an optional API token and extra headers. A
// string body is sent as text/plain, url.Values as a form, others as JSON.
func (s *authServer) req(t *testing.T, method, path, token string, body any, header map[string]string) response {
	t.Helper()
	return sendWith(t, http.DefaultClient, method, s.URL+path, token, body, header)
}

// keystoneLogin logs in as the mistral CLI does and returns X-Subject-Token.
func (s *authServer) keystoneLogin(t *testing.T, user, password string, want int) string {
	t.Helper()
	body := map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{
			"user": map[string]any{"name": user, "domain": map[string]any{"name": "Default"}, "password": password}}},
		"scope": map[string]any{"project": map[string]any{"name": "sirocco", "domain": map[string]any{"name": "Default"}}},
	}}
	r := s.req(t, "POST", "/v3/auth/tokens", "", body, nil)
	if r.Status != want {
		t.Fatalf("POST /v3/auth/tokens as %s: %d, want %d; %s", user, r.Status, want, r.Raw)
	}
	return r.Header.Get("X-Subject-Token")
}

var csrfRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// noRedirect is a cookie-keeping client that returns redirects as they are.
func noRedirect() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: waitTimeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// dashboardLogin logs in through the login form and returns the client
// holding the session and the CSRF token of its pages.
func (s *authServer) dashboardLogin(t *testing.T, user, password string) (*http.Client, string) {
	t.Helper()
	c := noRedirect()
	page := sendWith(t, c, "GET", s.URL+"/login", "", nil, nil)
	m := csrfRE.FindStringSubmatch(page.Raw)
	if page.Status != http.StatusOK || m == nil {
		t.Fatalf("GET /login: %d, csrf %v", page.Status, m)
	}
	r := sendWith(t, c, "POST", s.URL+"/login", "", url.Values{"_csrf": {m[1]}, "username": {user}, "password": {password}, "next": {"/workflows"}}, nil)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/workflows" {
		t.Fatalf("POST /login as %s: %d Location %q, want 303 to /workflows; %s", user, r.Status, r.Header.Get("Location"), r.Raw)
	}
	home := sendWith(t, c, "GET", s.URL+"/workflows", "", nil, nil)
	if home.Status != http.StatusOK || !strings.Contains(home.Raw, `data-testid="user">`+user+`<`) {
		t.Fatalf("GET /workflows after login as %s: %d; page does not name the user", user, home.Status)
	}
	m = csrfRE.FindStringSubmatch(home.Raw)
	if m == nil {
		t.Fatalf("no CSRF token on /workflows")
	}
	return c, m[1]
}

// checkLogClean fails if any secret appears in the server's log.
func (s *authServer) checkLogClean(t *testing.T, extra ...string) {
	t.Helper()
	log := s.stderr.String()
	if log == "" {
		t.Fatal("the server logged nothing; the check would prove nothing")
	}
	for _, secret := range append(s.secrets, extra...) {
		if secret != "" && strings.Contains(log, secret) {
			t.Errorf("the log contains a secret %q…", secret[:min(6, len(secret))])
		}
	}
}

// TestAuthorizationMatrix walks every route of guard.Policy with each role
// and anonymously: anonymous API requests get 401 with a faultstring
// (Keystone's error body under /v3),
// anonymous pages redirect to the login page, a role too weak gets 403,
// and a strong enough role gets past authorization (whatever the handler
// then says about the made-up ids and empty bodies).
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t)
	rules := append([]guard.Rule(nil), guard.Policy...)
	// Logging out ends the session the other rows use: walk it last.
	sort.SliceStable(rules, func(i, j int) bool { return rules[j].Path == "/logout" && rules[i].Path != "/logout" })
	fill := strings.NewReplacer(":id", "00000000-0000-4000-8000-000000000000", ":name", "nobody", ":user", "nobody", "*", "app.css")
	for _, rule := range rules {
		path := fill.Replace(rule.Path)
		for _, who := range []string{"anonymous", "viewer", "requester", "approver", "admin"} {
			var r response
			var body any
			if rule.Method == "POST" || rule.Method == "PUT" {
				body = map[string]any{}
			}
			switch {
			case rule.Surface == guard.API && who == "anonymous":
				r = s.req(t, rule.Method, path, "", body, nil)
			case rule.Surface == guard.API:
				r = s.req(t, rule.Method, path, s.tokens[who], body, nil)
			case who == "anonymous":
				r = sendWith(t, noRedirect(), rule.Method, s.URL+path, "", url.Values{}, nil)
			default:
				var form any
				if rule.Method == "POST" {
					form = url.Values{"_csrf": {s.csrf[who]}}
				}
				r = sendWith(t, s.sessions[who], rule.Method, s.URL+path, "", form, nil)
			}
			allowed := rule.Access == guard.Public || (who != "anonymous" && (rule.Access == guard.AnyUser || auth.Role(who).Allows(auth.Role(rule.Access))))
			desc := fmt.Sprintf("%s %s as %s (needs %s)", rule.Method, path, who, rule.Access)
			toLogin := r.Status == http.StatusSeeOther && strings.HasPrefix(r.Header.Get("Location"), "/login?next=")
			switch {
			case rule.Access == guard.Public:
				// Open to all: the handler answers (the login form may
				// well say 401 or, without a CSRF token, 403).
				if toLogin {
					t.Errorf("%s: sent to the login page", desc)
				}
			case allowed:
				if r.Status == http.StatusUnauthorized || r.Status == http.StatusForbidden || toLogin {
					t.Errorf("%s: %d, want to pass authorization; %.200s", desc, r.Status, r.Raw)
				}
			case who == "anonymous" && rule.Surface == guard.API && strings.HasPrefix(rule.Path, "/v3"):
				if e, _ := r.JSON["error"].(map[string]any); r.Status != http.StatusUnauthorized || (rule.Method != "HEAD" && e["code"] != float64(401)) {
					t.Errorf("%s: %d %.200s, want 401 with Keystone's error body", desc, r.Status, r.Raw)
				}
			case who == "anonymous" && rule.Surface == guard.API:
				if r.Status != http.StatusUnauthorized || (rule.Method != "HEAD" && r.JSON["faultstring"] == nil) {
					t.Errorf("%s: %d %.200s, want 401 with a faultstring", desc, r.Status, r.Raw)
				}
			case who == "anonymous" && rule.Surface == guard.Page:
				if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login?next=") {
					t.Errorf("%s: %d Location %q, want 303 to /login", desc, r.Status, r.Header.Get("Location"))
				}
			case who == "anonymous":
				if r.Status != http.StatusUnauthorized {
					t.Errorf("%s: %d, want 401", desc, r.Status)
				}
			default:
				if r.Status != http.StatusForbidden {
					t.Errorf("%s: %d, want 403; %.200s", desc, r.Status, r.Raw)
				}
			}
		}
	}
	// X-Auth-Token (the mistral CLI's header) works as Bearer does.
	if r := s.req(t, "GET", "/v2/workflows", "", nil, map[string]string{"X-Auth-Token": s.tokens["viewer"]}); r.Status != http.StatusOK {
		t.Errorf("GET /v2/workflows with X-Auth-Token: %d, want 200", r.Status)
	}
	// A made-up or revoked token is refused.
	if r := s.req(t, "GET", "/v2/workflows", "", nil, map[string]string{"X-Auth-Token": s.tokens["viewer"] + "x"}); r.Status != http.StatusUnauthorized {
		t.Errorf("GET /v2/workflows with a wrong token: %d, want 401", r.Status)
	}
	s.checkLogClean(t)
}

// TestTokensAndSessions: tokens are shown once, listed without their
// value, revocable; a deleted user's tokens die; logout ends the session;
// the session cookie's attributes. (The login throttle over HTTP:
// TestLoginThrottleOverHTTP.)
func TestTokensAndSessions(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t)
	admin := s.tokens["admin"]

	r := s.req(t, "POST", "/auth/tokens", admin, map[string]any{"name": "adder service", "role": "approver", "user": "approver1"}, nil)
	if r.Status != http.StatusCreated {
		t.Fatalf("create token: %d %s", r.Status, r.Raw)
	}
	tok, id := str(t, r.JSON, "token"), str(t, r.JSON, "id")
	s.secrets = append(s.secrets, tok)
	if !strings.HasPrefix(tok, auth.TokenPrefix) {
		t.Errorf("token %q… lacks the prefix %q", tok[:8], auth.TokenPrefix)
	}
	list := s.req(t, "GET", "/auth/tokens", admin, nil, nil)
	if !strings.Contains(list.Raw, id) || strings.Contains(list.Raw, tok) {
		t.Errorf("GET /auth/tokens must list the token by id and never show its value: %s", list.Raw)
	}
	if r := s.req(t, "GET", "/v2/executions", tok, nil, nil); r.Status != http.StatusOK {
		t.Errorf("new token: %d", r.Status)
	}
	// A token cannot carry more than its user's role.
	if r := s.req(t, "POST", "/auth/tokens", admin, map[string]any{"name": "x", "role": "admin", "user": "viewer1"}, nil); r.Status != http.StatusForbidden {
		t.Errorf("admin token for a viewer: %d, want 403; %s", r.Status, r.Raw)
	}
	if r := s.req(t, "DELETE", "/auth/tokens/"+id, admin, nil, nil); r.Status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", r.Status, r.Raw)
	}
	if r := s.req(t, "GET", "/v2/executions", tok, nil, nil); r.Status != http.StatusUnauthorized {
		t.Errorf("revoked token: %d, want 401", r.Status)
	}
	// Deleting a user kills its tokens.
	if r := s.req(t, "DELETE", "/auth/users/viewer1", admin, nil, nil); r.Status != http.StatusNoContent {
		t.Fatalf("delete user: %d %s", r.Status, r.Raw)
	}
	if r := s.req(t, "GET", "/v2/executions", s.tokens["viewer"], nil, nil); r.Status != http.StatusUnauthorized {
		t.Errorf("token of a deleted user: %d, want 401", r.Status)
	}
	// The last admin stays.
	if r := s.req(t, "DELETE", "/auth/users/admin", admin, nil, nil); r.Status != http.StatusConflict {
		t.Errorf("delete the last admin: %d, want 409", r.Status)
	}

	// The session cookie.
	c := noRedirect()
	page := sendWith(t, c, "GET", s.URL+"/login", "", nil, nil)
	csrf := csrfRE.FindStringSubmatch(page.Raw)[1]
	login := sendWith(t, c, "POST", s.URL+"/login", "", url.Values{"_csrf": {csrf}, "username": {"approver1"}, "password": {"approver-password-1"}}, nil)
	var cookie string
	for _, sc := range login.Header.Values("Set-Cookie") {
		if strings.HasPrefix(sc, guard.SessionCookie+"=") {
			cookie = sc
		}
	}
	for _, want := range []string{"HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("session cookie %q lacks %s", cookie, want)
		}
	}
	if strings.Contains(cookie, "Secure") {
		t.Errorf("session cookie %q is Secure over http", cookie)
	}
	// A login form from elsewhere (no CSRF token) is refused.
	if r := sendWith(t, noRedirect(), "POST", s.URL+"/login", "", url.Values{"username": {"admin"}, "password": {testAdminPassword}}, nil); r.Status != http.StatusForbidden {
		t.Errorf("login without CSRF: %d, want 403", r.Status)
	}
	// Logout ends the session on the server, not only in the browser.
	home := sendWith(t, c, "GET", s.URL+"/inbox", "", nil, nil)
	csrf = csrfRE.FindStringSubmatch(home.Raw)[1]
	if r := sendWith(t, c, "POST", s.URL+"/logout", "", url.Values{"_csrf": {csrf}}, nil); r.Status != http.StatusSeeOther {
		t.Errorf("logout: %d", r.Status)
	}
	stolen := noRedirect()
	u, _ := url.Parse(s.URL)
	stolen.Jar.SetCookies(u, []*http.Cookie{{Name: guard.SessionCookie, Value: strings.TrimPrefix(strings.Split(cookie, ";")[0], guard.SessionCookie+"=")}})
	if r := sendWith(t, stolen, "GET", s.URL+"/inbox", "", nil, nil); r.Status != http.StatusSeeOther {
		t.Errorf("a logged-out session id: %d, want 303 to login", r.Status)
	}

	s.checkLogClean(t)
}

func keystoneBody(user, password string) map[string]any {
	return map[string]any{"auth": map[string]any{"identity": map[string]any{"methods": []string{"password"},
		"password": map[string]any{"user": map[string]any{"name": user, "domain": map[string]any{"name": "Default"}, "password": password}}}}}
}

// TestAccountVerbs drives users, groups and tokens with the client
// subcommands, logging in with SIROCCO_USERNAME and SIROCCO_PASSWORD.
func TestAccountVerbs(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t)
	env := map[string]string{"SIROCCO_URL": s.URL, "SIROCCO_USERNAME": "admin", "SIROCCO_PASSWORD": testAdminPassword,
		"SIROCCO_NEW_PASSWORD": "dave-password-1"}
	verb := func(env map[string]string, args ...string) (string, error) {
		var out, errOut strings.Builder
		err := run(t.Context(), args, func(k string) string { return env[k] }, &out, &errOut)
		return out.String(), err
	}
	must := func(args ...string) string {
		t.Helper()
		out, err := verb(env, args...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return out
	}
	must("user-create", "dave", "--role", "viewer")
	must("group-create", "deciders", "--role", "approver")
	must("group-add-user", "deciders", "dave")
	if out := must("user-list"); !strings.Contains(out, "dave") || !strings.Contains(out, "approver") || !strings.Contains(out, "deciders") {
		t.Errorf("user-list:\n%s", out)
	}
	out := must("token-create", "dave's service", "--role", "approver", "--user", "dave")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	token := lines[len(lines)-1]
	s.secrets = append(s.secrets, token, "dave-password-1")
	if !strings.HasPrefix(token, auth.TokenPrefix) {
		t.Fatalf("token-create printed %q", out)
	}
	who, err := verb(map[string]string{"SIROCCO_URL": s.URL, "SIROCCO_TOKEN": token}, "whoami")
	if err != nil || strings.TrimSpace(who) != "dave (approver)" {
		t.Errorf("whoami with the new token: %q %v", who, err)
	}
	if _, err := verb(map[string]string{"SIROCCO_URL": s.URL, "SIROCCO_TOKEN": token}, "action-execution-list"); err != nil {
		t.Errorf("action-execution-list with the token: %v", err)
	}
	if _, err := verb(map[string]string{"SIROCCO_URL": s.URL}, "action-execution-list"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("action-execution-list without credentials: %v, want a 401", err)
	}
	list := must("token-list")
	var id string
	for _, l := range strings.Split(list, "\n") {
		if strings.Contains(l, "dave's service") {
			id = strings.Fields(l)[0]
			// The value's start, to tell tokens apart (auth.TokenLabel).
			if !strings.Contains(l, token[:len(auth.TokenPrefix)+8]+"…") {
				t.Errorf("token-list's row %q does not show how the token starts (%.16s)", l, token)
			}
		}
	}
	must("token-revoke", id)
	if _, err := verb(map[string]string{"SIROCCO_URL": s.URL, "SIROCCO_TOKEN": token}, "whoami"); err == nil {
		t.Error("whoami with a revoked token succeeded")
	}
	must("group-remove-user", "deciders", "dave")
	must("group-delete", "deciders")
	must("user-delete", "dave")
	if _, err := verb(map[string]string{"SIROCCO_URL": s.URL, "SIROCCO_USERNAME": "admin", "SIROCCO_PASSWORD": "wrong-password"}, "user-list"); err == nil {
		t.Error("user-list with a wrong password succeeded")
	}
	s.checkLogClean(t)
}
