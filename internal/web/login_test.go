package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/sirocco-project/sirocco/internal/guard"
)

const testPassword = "correct horse battery"

// newBrowser returns the env seen from another browser: its own cookies.
func (e *env) newBrowser() *env {
	jar, _ := cookiejar.New(nil)
	b := *e
	b.client = &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &b
}

// onSite reports whether a Location keeps a browser on this site: a path
// from the root, in plain ASCII (no tab or newline a browser would drop,
// no backslash it would read as a slash).
func onSite(loc string) bool {
	if !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") {
		return false
	}
	for i := 0; i < len(loc); i++ {
		if loc[i] <= ' ' || loc[i] >= 0x7f || loc[i] == '\\' {
			return false
		}
	}
	return true
}

// TestLoginRedirectStaysOnSite: whatever next a link gives the login
// page, the form's hidden field and the redirect after logging in stay on
// this site; so does the guard's redirect to the login page.
func TestLoginRedirectStaysOnSite(t *testing.T) {
	t.Parallel()
	e := newEnvAuth(t, testPassword)
	for _, next := range []string{
		"/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "\t//evil.example", " //evil.example",
		"/\\evil.example", "\\\\evil.example", "/\t\\evil.example", "/%09/evil.example", "/%5Cevil.example",
		"/.//evil.example", "https:evil.example", "javascript:alert(1)", "/ /evil.example", "/ｅvil/\u3000",
		"/workflows?x=1",
	} {
		b := e.newBrowser()
		// The link: /login?next=/%09/evil.example, decoded once.
		form := b.get("/login?next=" + url.QueryEscape(next))
		hidden, _ := form.doc.Find(`input[name="next"]`).Attr("value")
		if hidden != guard.SafeNext(next) || !onSite(hidden) {
			t.Errorf("next %q: the form's next is %q", next, hidden)
		}
		// The form as posted by someone who edited the field.
		p := b.post("/login", url.Values{"_csrf": {form.csrf()}, "username": {"admin"}, "password": {testPassword}, "next": {next}})
		if loc := p.header.Get("Location"); p.status != http.StatusSeeOther || !onSite(loc) {
			t.Errorf("next %q: %d, Location %q", next, p.status, loc)
		}
	}
	if loc := e.newBrowser().post("/login", url.Values{"next": {"/workflows"}}).header.Get("Location"); loc != "" {
		t.Errorf("a refused login redirects to %q", loc)
	}
	// The guard sends a stranger to the login page with next set to where
	// they were going: for a form, the page it was on (its Referer).
	for _, ref := range []string{e.url + "/%09/evil.example", e.url + "/.//evil.example", e.url + "/%5C/evil.example", e.url + "/workflows"} {
		req, _ := http.NewRequest(http.MethodPost, e.url+"/admin/groups", strings.NewReader("name=x&role=admin"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Referer", ref)
		p := e.newBrowser().do(req)
		loc, _ := url.Parse(p.header.Get("Location"))
		if p.status != http.StatusSeeOther || loc == nil || loc.Path != "/login" || !onSite(loc.Query().Get("next")) {
			t.Errorf("Referer %q: %d, Location %q", ref, p.status, p.header.Get("Location"))
		}
	}
	// For a page, the page itself.
	for _, path := range []string{"/.//evil.example", "/%09/evil.example", "/%2e%2e//evil.example"} {
		p := e.newBrowser().get(path)
		loc, _ := url.Parse(p.header.Get("Location"))
		if p.status != http.StatusSeeOther || loc == nil || loc.Query().Get("next") != "/" {
			t.Errorf("GET %s: %d, Location %q, want next=/", path, p.status, p.header.Get("Location"))
		}
	}
}

// TestBrowserSafeNext asks Chromium's own URL parser where redirect
// targets lead, relative to the login page: the attacker's spellings
// leave the site as they are, and none does once SafeNext has cleaned it.
func TestBrowserSafeNext(t *testing.T) {
	ctx := browser(t)
	const base = "http://127.0.0.1:8989/login"
	leaving := []string{
		"//evil.example", "/\\evil.example", "\\\\evil.example", "\\/evil.example", "/\t/evil.example",
		"/\n/evil.example", "/\r\n/evil.example", "/\t\\evil.example", "\t//evil.example", " //evil.example",
		"\x00//evil.example", "/\r/evil.example", "https:evil.example", "https://evil.example", "javascript:alert(1)",
	}
	staying := []string{"/.//evil.example", "/%09/evil.example", "/%2F/evil.example", "/%5Cevil.example", "/%2e%2e//evil.example",
		"/ /evil.example", "/ｅvil", "/workflows?x=\\y#z"}
	origin := func(ref string) string {
		t.Helper()
		js, _ := json.Marshal(ref)
		return text(t, ctx, fmt.Sprintf(`(() => { try { return new URL(%s, %q).origin } catch (e) { return "error" } })()`, js, base))
	}
	do(t, ctx, 20*time.Second, chromedp.Navigate("about:blank"))
	for _, v := range append(leaving, staying...) {
		if got := origin(guard.SafeNext(v)); got != "http://127.0.0.1:8989" {
			t.Errorf("SafeNext(%q) = %q leads to %s", v, guard.SafeNext(v), got)
		}
	}
	for _, v := range leaving {
		if got := origin(v); got == "http://127.0.0.1:8989" {
			t.Errorf("%q does not leave the site (%s): not a test of SafeNext", v, got)
		}
	}
}
