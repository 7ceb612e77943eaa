package web_test

import (
	"context"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/api"
	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/guard"
	"github.com/sirocco-project/sirocco/internal/sqlite"
	"github.com/sirocco-project/sirocco/internal/web"
	"golang.org/x/crypto/bcrypt"
)

var csrfRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// login logs this browser in as admin and returns the token of its pages.
func (e *env) login() string {
	e.t.Helper()
	form := e.get("/login")
	p := e.post("/login", url.Values{"_csrf": {form.csrf()}, "username": {"admin"}, "password": {testPassword}})
	if p.status != http.StatusSeeOther {
		e.t.Fatalf("login: %d %s", p.status, p.text(`[data-testid="error-message"]`))
	}
	return e.get("/admin").csrf()
}

// cookie returns the value of this browser's cookie name, or "".
func (e *env) cookie(name string) string {
	u, _ := url.Parse(e.url)
	for _, c := range e.client.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// plant copies every cookie of another browser into this one, for path:
// what a page on another port of the host (or on a sibling subdomain) can
// do with document.cookie, since cookies are not scoped by port. A cookie
// with a longer path is sent first, and so is the one a server reads.
func (e *env) plant(from *env, path string) {
	u, _ := url.Parse(e.url)
	var planted []*http.Cookie
	for _, c := range from.client.Jar.Cookies(u) {
		planted = append(planted, &http.Cookie{Name: c.Name, Value: c.Value, Path: path})
	}
	if len(planted) == 0 {
		e.t.Fatal("nothing to plant")
	}
	e.client.Jar.SetCookies(u, planted)
}

// postFrom submits a form with the given Sec-Fetch-Site and Origin
// headers ("" leaves one out).
func (e *env) postFrom(path string, form url.Values, site, origin string) *page {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	if site != "" {
		req.Header.Set("Sec-Fetch-Site", site)
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	return e.do(req)
}

func (e *env) groups() []string {
	e.t.Helper()
	gs, err := e.st.Auth().ListGroups(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	var names []string
	for _, g := range gs {
		names = append(names, g.Name)
	}
	return names
}

// TestFormTokensBoundToSession: a logged-in form's token belongs to its
// session, so neither another session's token nor cookies planted by a
// neighbour make a form acceptable.
func TestFormTokensBoundToSession(t *testing.T) {
	t.Parallel()
	e := newEnvAuth(t, testPassword)
	a, b := e.newBrowser(), e.newBrowser()
	tokA, tokB := a.login(), b.login()
	if tokA == "" || tokA == tokB {
		t.Fatalf("tokens of two sessions: %q and %q", tokA, tokB)
	}
	if again := a.get("/workflows").csrf(); again != tokA {
		t.Errorf("the token changed within the session: %q, then %q", tokA, again)
	}

	group := func(name string) url.Values { return url.Values{"name": {name}, "role": {"admin"}} }
	with := func(v url.Values, tok string) url.Values { v.Set("_csrf", tok); return v }
	if p := b.post("/admin/groups", with(group("from_a_token"), tokA)); p.status != http.StatusForbidden {
		t.Errorf("session B with session A's token: %d, want 403", p.status)
	}

	// A neighbour gets a valid pair of cookies and token by opening the
	// login page itself, and plants the cookies in the admin's browser.
	mallory := e.newBrowser()
	tokM := mallory.get("/login").csrf()
	a.plant(mallory, "/admin")
	if p := a.post("/admin/groups", with(group("planted"), tokM)); p.status != http.StatusForbidden {
		t.Errorf("planted cookies and their token: %d, want 403", p.status)
	}
	if p := a.post("/admin/groups", group("no_token")); p.status != http.StatusForbidden {
		t.Errorf("no token: %d, want 403", p.status)
	}
	if p := a.post("/admin/groups", with(group("forged"), "forged")); p.status != http.StatusForbidden {
		t.Errorf("a forged token: %d, want 403", p.status)
	}
	if got := e.groups(); len(got) != 0 {
		t.Errorf("groups %v were created by refused forms", got)
	}

	// Sec-Fetch-Site: same-site (another port, a sibling subdomain) and
	// cross-site are refused even with the right token; a browser without
	// it must name this host in Origin.
	for _, tc := range []struct {
		site, origin string
		want         int
	}{
		{"same-site", "", http.StatusForbidden},
		{"cross-site", "", http.StatusForbidden},
		{"same-site", e.url, http.StatusForbidden},
		{"", "http://127.0.0.1:1", http.StatusForbidden},
		{"", "http://sirocco.example.org", http.StatusForbidden},
		{"same-origin", e.url, http.StatusSeeOther},
		{"none", "", http.StatusSeeOther},
		{"", e.url, http.StatusSeeOther},
		{"", "", http.StatusSeeOther}, // not a browser: the token alone
	} {
		name := strings.ReplaceAll("g_"+tc.site+"_"+strings.TrimPrefix(strings.TrimPrefix(tc.origin, "http://"), "127.0.0.1:"), "-", "_")
		name = strings.NewReplacer(".", "_", ":", "_").Replace(name)
		p := a.postFrom("/admin/groups", with(group(name), tokA), tc.site, tc.origin)
		if p.status != tc.want {
			t.Errorf("Sec-Fetch-Site %q, Origin %q: %d, want %d", tc.site, tc.origin, p.status, tc.want)
		}
		if created := slices.Contains(e.groups(), name); created != (tc.want == http.StatusSeeOther) {
			t.Errorf("Sec-Fetch-Site %q, Origin %q: group created = %v", tc.site, tc.origin, created)
		}
		if tc.want == http.StatusForbidden && !strings.Contains(p.text(`[data-testid="error-message"]`), "another site") {
			t.Errorf("Sec-Fetch-Site %q: message %q", tc.site, p.text(`[data-testid="error-message"]`))
		}
	}
	// A same-origin request still needs the token.
	if p := a.postFrom("/admin/groups", group("same_origin_no_token"), "same-origin", e.url); p.status != http.StatusForbidden {
		t.Errorf("same-origin without a token: %d, want 403", p.status)
	}
	// The page script's header works as the form field does.
	req, _ := http.NewRequest(http.MethodPost, a.url+"/admin/groups", strings.NewReader(group("by_header").Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-CSRF-Token", tokA)
	if p := a.do(req); p.status != http.StatusSeeOther {
		t.Errorf("X-CSRF-Token: %d, want 303", p.status)
	}
	// A refusal's page still lets one log out (its form has the token).
	if p := b.post("/admin/groups", group("x")); p.csrf() != tokB {
		t.Errorf("the refusal page's logout form has token %q, want the session's", p.csrf())
	}
}

// TestLoginFormToken: before a session the token is bound to the
// browser's nonce cookie, and a login from another origin is refused.
func TestLoginFormToken(t *testing.T) {
	t.Parallel()
	e := newEnvAuth(t, testPassword)
	creds := func(tok string) url.Values {
		return url.Values{"_csrf": {tok}, "username": {"admin"}, "password": {testPassword}}
	}
	victim, mallory := e.newBrowser(), e.newBrowser()
	tokV, tokM := victim.get("/login").csrf(), mallory.get("/login").csrf()
	if tokV == "" || tokV == tokM {
		t.Fatalf("login tokens of two browsers: %q and %q", tokV, tokM)
	}
	if p := victim.post("/login", creds(tokM)); p.status != http.StatusForbidden {
		t.Errorf("another browser's login token: %d, want 403", p.status)
	}
	if p := e.newBrowser().post("/login", creds(tokV)); p.status != http.StatusForbidden {
		t.Errorf("a login token without its cookie: %d, want 403", p.status)
	}
	// Login CSRF from another port of the host: the neighbour's own pair,
	// planted, is refused on Sec-Fetch-Site, and on Origin for a browser
	// that does not send it.
	victim.plant(mallory, "/login")
	if p := victim.postFrom("/login", creds(tokM), "same-site", ""); p.status != http.StatusForbidden {
		t.Errorf("a same-site login: %d, want 403", p.status)
	}
	if p := victim.postFrom("/login", creds(tokM), "", "http://127.0.0.1:1"); p.status != http.StatusForbidden {
		t.Errorf("a login from another origin: %d, want 403", p.status)
	}
	if victim.cookie(guard.SessionCookie) != "" {
		t.Error("a refused login gave a session")
	}
	fresh := e.newBrowser()
	if p := fresh.postFrom("/login", creds(fresh.get("/login").csrf()), "same-origin", e.url); p.status != http.StatusSeeOther {
		t.Errorf("a login from the login page: %d, want 303", p.status)
	}
}

// TestCookiesOverHTTPS: with an https base URL the session and form
// cookies are __Host- cookies (Secure, Path=/, no Domain), and a session
// cookie without the prefix — which a sibling subdomain could plant — is
// not read.
func TestCookiesOverHTTPS(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "https.db"), sqlite.Options{Sync: sqlite.SyncNormal})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	accounts := auth.New(auth.Config{Store: st.Auth(), BcryptCost: bcrypt.MinCost})
	if _, err := accounts.Init(ctx, testPassword); err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	eng := engine.New(engine.Config{Store: st, BaseURL: "https://sirocco.example"})
	dash := web.New(web.Config{Engine: eng, BaseURL: "https://sirocco.example", Auth: accounts})
	e.Use(guard.Middleware(accounts, guard.Config{Fault: api.Fault, PageError: dash.ErrorPage, Secure: true}))
	dash.Register(e)

	send := func(method, path string, form url.Values, cookies ...*http.Cookie) *httptest.ResponseRecorder {
		var body *strings.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		} else {
			body = strings.NewReader("")
		}
		req := httptest.NewRequest(method, "https://sirocco.example"+path, body)
		req.Header.Set("Accept", "text/html")
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		for _, c := range cookies {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec
	}
	setCookie := func(rec *httptest.ResponseRecorder, name string) *http.Cookie {
		t.Helper()
		for _, c := range rec.Result().Cookies() {
			if c.Name == name {
				if !c.Secure || !c.HttpOnly || c.Path != "/" || c.Domain != "" {
					t.Errorf("cookie %s: Secure %v, HttpOnly %v, Path %q, Domain %q", name, c.Secure, c.HttpOnly, c.Path, c.Domain)
				}
				return c
			}
		}
		t.Fatalf("no %s cookie in %v", name, rec.Header().Values("Set-Cookie"))
		return nil
	}

	form := send(http.MethodGet, "/login", nil)
	nonce := setCookie(form, "__Host-sirocco_form")
	if nonce.SameSite != http.SameSiteStrictMode {
		t.Errorf("form cookie SameSite = %v", nonce.SameSite)
	}
	tok := csrfRE.FindStringSubmatch(form.Body.String())
	if tok == nil {
		t.Fatal("no token on the login page")
	}
	login := send(http.MethodPost, "/login", url.Values{"_csrf": {tok[1]}, "username": {"admin"}, "password": {testPassword}}, nonce)
	if login.Code != http.StatusSeeOther {
		t.Fatalf("login: %d", login.Code)
	}
	sess := setCookie(login, guard.HostSessionCookie)
	if sess.SameSite != http.SameSiteLaxMode {
		t.Errorf("session cookie SameSite = %v", sess.SameSite)
	}
	if rec := send(http.MethodGet, "/admin", nil, sess); rec.Code != http.StatusOK {
		t.Errorf("with the __Host- session cookie: %d, want 200", rec.Code)
	}
	if rec := send(http.MethodGet, "/admin", nil, &http.Cookie{Name: guard.SessionCookie, Value: sess.Value}); rec.Code != http.StatusSeeOther {
		t.Errorf("with the session id in a cookie without the prefix: %d, want 303 to the login page", rec.Code)
	}
	// A plain sirocco_form cookie is not the form cookie over https either.
	plain := &http.Cookie{Name: "sirocco_form", Value: nonce.Value}
	if rec := send(http.MethodPost, "/login", url.Values{"_csrf": {tok[1]}, "username": {"admin"}, "password": {testPassword}}, plain); rec.Code != http.StatusForbidden {
		t.Errorf("login with the nonce in a cookie without the prefix: %d, want 403", rec.Code)
	}
	logout := send(http.MethodPost, "/logout", url.Values{"_csrf": {csrfRE.FindStringSubmatch(send(http.MethodGet, "/admin", nil, sess).Body.String())[1]}}, sess)
	if logout.Code != http.StatusSeeOther {
		t.Fatalf("logout: %d", logout.Code)
	}
	if c := logout.Result().Cookies(); len(c) == 0 || c[0].Name != guard.HostSessionCookie || c[0].MaxAge >= 0 {
		t.Errorf("logout cookies %v, want %s removed", logout.Header().Values("Set-Cookie"), guard.HostSessionCookie)
	}
}

// TestBrowserCrossPortForm is the cookie-tossing attack of issue 11 in a
// real browser. The admin logs in (through a link whose next is
// "/%09/evil.example", which must not take them away), then opens a page
// served on another port of 127.0.0.1. To the browser that page is the
// same site, its cookies reach Sirocco (cookies are not scoped by port),
// and the session cookie (SameSite=Lax) goes with its form. The page
// plants the cookies a double-submit check would compare — with a token
// pair it fetched itself — and posts a form creating an admin group. The
// post must be refused (403) and no group created.
func TestBrowserCrossPortForm(t *testing.T) {
	ctx := browser(t)
	e := newEnvAuth(t, testPassword)

	do(t, ctx, 20*time.Second, chromedp.Navigate(e.url+"/login?next=/%09/evil.example"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)),
		chromedp.SetValue(chromedp.CSS(`[data-testid="login-name"]`), "admin"),
		chromedp.SetValue(chromedp.CSS(`[data-testid="login-password"]`), testPassword),
		chromedp.Click(chromedp.CSS(`button[data-testid="login"]`)),
	)
	eventually(t, ctx, 10*time.Second, "the login completes",
		`document.readyState === "complete" && location.pathname !== "/login"`)
	if got := text(t, ctx, `location.origin + location.pathname`); got != e.url+"/" {
		t.Fatalf("after logging in through next=/%%09/evil.example the browser is at %s, want %s/", got, e.url)
	}
	do(t, ctx, 10*time.Second, chromedp.WaitVisible(chromedp.CSS(`[data-testid="logout"]`)))

	page := template.Must(template.New("attack").Parse(`<!doctype html>
<title>Win a prize</title>
<form id="f" method="post" action="{{.Action}}">
<input name="_csrf" value="{{.Token}}"><input name="name" value="tossed"><input name="role" value="admin">
</form>
<script>
document.cookie = "sirocco_csrf={{.Token}}; path=/admin";
document.cookie = "sirocco_form={{.Nonce}}; path=/admin";
document.getElementById("f").submit();
</script>`))
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A token and the cookie it belongs to, from Sirocco's login page.
		res, err := http.Get(e.url + "/login")
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		v := struct{ Action, Token, Nonce string }{Action: e.url + "/admin/groups"}
		if m := csrfRE.FindSubmatch(body); m != nil {
			v.Token = string(m[1])
		}
		for _, c := range res.Cookies() {
			if c.Name == "sirocco_form" || c.Name == "sirocco_csrf" {
				v.Nonce = c.Value
			}
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = page.Execute(w, v)
	}))
	t.Cleanup(attacker.Close)
	if a, _ := url.Parse(attacker.URL); !strings.HasPrefix(a.Host, "127.0.0.1:") || strings.HasSuffix(e.url, a.Host) {
		t.Fatalf("the attacker %s should be another port of Sirocco's host %s", attacker.URL, e.url)
	}

	do(t, ctx, 20*time.Second, chromedp.Navigate(attacker.URL+"/"))
	eventually(t, ctx, 10*time.Second, "the attacker's form is answered by Sirocco",
		fmt.Sprintf(`location.origin === %q && document.readyState === "complete"`, e.url))
	status := text(t, ctx, `String(performance.getEntriesByType("navigation")[0].responseStatus)`)
	where := text(t, ctx, `location.pathname + location.search`)
	msg := text(t, ctx, `(document.querySelector('[data-testid="error-message"]') || {}).textContent || ""`)
	if status != "403" || where != "/admin/groups" || !strings.Contains(msg, "another site") {
		t.Errorf("the cross-port form got %s at %s (%q), want 403 refusing it", status, where, msg)
	}
	if got := e.groups(); len(got) != 0 {
		t.Errorf("the cross-port form created groups %v", got)
	}
	// The admin's own form still works in the same browser.
	do(t, ctx, 20*time.Second, chromedp.Navigate(e.url+"/admin"),
		chromedp.SetValue(chromedp.CSS(`[data-testid="new-group"] input[name="name"]`), "mine"),
		chromedp.Submit(chromedp.CSS(`[data-testid="new-group"]`)),
	)
	eventually(t, ctx, 10*time.Second, "the admin's own form is saved", `location.search === "?notice=saved"`)
	if got := e.groups(); len(got) != 1 || got[0] != "mine" {
		t.Errorf("groups %v, want [mine]", got)
	}
}
