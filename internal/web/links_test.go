package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/engine"
)

// linkClock is the engine's clock in the link tests; they move it.
type linkClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *linkClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *linkClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// accountPeople is engine.People over the env's accounts, as the server
// wires it (cmd/server/people.go).
type accountPeople struct{ e **env }

func (p accountPeople) Deciders(ctx context.Context, approvers []string) ([]engine.Person, error) {
	users, err := (*p.e).accounts.Deciders(ctx, approvers)
	if err != nil {
		return nil, err
	}
	out := make([]engine.Person, len(users))
	for i, u := range users {
		out[i] = engine.Person{User: u.Name}
	}
	return out, nil
}

const linkWorkflows = `---
version: '2.0'
no_login:
  tasks:
    ask:
      action: std.approval
      input:
        title: Restart the cache
        approvers: [user:fin2]
        require_login: false
`

// linkEnv is approvalEnv with decision links (an hour long) on the
// engine's clock, which the test moves.
func linkEnv(t *testing.T) (*env, *linkClock) {
	t.Helper()
	clock := &linkClock{now: time.Now().UTC().Truncate(time.Second)}
	var e *env
	e = newEnvWith(t, testPassword, func(c *engine.Config) {
		c.Clock = clock
		c.People = accountPeople{&e}
		c.Links = engine.LinkConfig{Key: []byte("web test decision link key......"), TTL: time.Hour}
	})
	seedApprovalAccounts(t, e)
	if _, err := e.eng.CreateWorkflows(context.Background(), nil, linkWorkflows, "", engine.ScopePrivate); err != nil {
		t.Fatal(err)
	}
	return e, clock
}

// linkPaths returns the paths of an approval's links by person.
func (e *env) linkPaths(actionID string) map[string]string {
	e.t.Helper()
	links, err := e.eng.DecisionLinks(context.Background(), actionID)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]string{}
	for _, l := range links {
		out[l.User] = "/links/" + e.eng.LinkToken(l)
	}
	return out
}

// votes returns an approval's votes as "user channel" strings.
func (e *env) votes(actionID string) []string {
	e.t.Helper()
	st, err := e.eng.ApprovalStatus(context.Background(), actionID)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, v := range st.Votes {
		out = append(out, v.User+" "+v.Channel)
	}
	return out
}

// linkForm returns the decision form's action and token on a link page.
func linkForm(t *testing.T, p *page) (action, csrf string) {
	t.Helper()
	form := p.doc.Find(`form[data-testid="approval-form"]`)
	if form.Length() != 1 {
		t.Fatalf("no decision form on the link page (%d):\n%.2000s", p.status, p.body)
	}
	action, _ = form.Attr("action")
	csrf, _ = form.Find(`input[name="_csrf"]`).Attr("value")
	return action, csrf
}

// TestLinkPageDecidesNothing: fetching a link, as a mail scanner or a chat
// unfurler does (GET and HEAD, logged in or not, again and again), changes
// nothing: no vote, the link unused. Its pages send Referrer-Policy:
// no-referrer; without a login it asks for one and comes back.
func TestLinkPageDecidesNothing(t *testing.T) {
	t.Parallel()
	e, _ := linkEnv(t)
	id := e.startAs("rita", "request_vm")
	paths := e.linkPaths(id)
	for _, who := range []string{"fin1", "fin2", "sec1"} {
		if paths[who] == "" {
			t.Fatalf("no link for %s: %v", who, paths)
		}
	}
	for _, who := range []string{"rita", "vic", "val", "ada"} {
		if paths[who] != "" {
			t.Errorf("%s got a link; only the approvers who may decide get one", who)
		}
	}
	path := paths["fin1"]
	scanner := e.newBrowser()
	for range 3 {
		p := scanner.get(path)
		if p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/login?next=") {
			t.Fatalf("GET without a login: %d, Location %q; want a redirect to the login page", p.status, p.header.Get("Location"))
		}
		if next, _ := url.QueryUnescape(strings.TrimPrefix(p.header.Get("Location"), "/login?next=")); next != path {
			t.Errorf("the login page comes back to %q; want %q", next, path)
		}
		if rp := p.header.Get("Referrer-Policy"); rp != "no-referrer" {
			t.Errorf("Referrer-Policy of the redirect: %q", rp)
		}
		req, _ := http.NewRequest(http.MethodHead, e.url+path, nil)
		if p := scanner.do(req); p.status >= 500 {
			t.Errorf("HEAD of a link: %d", p.status)
		}
	}
	fin1 := e.as("fin1")
	for range 3 {
		req, _ := http.NewRequest(http.MethodHead, e.url+path, nil)
		if p := fin1.do(req); p.status >= 500 {
			t.Errorf("HEAD of a link as fin1: %d", p.status)
		}
		p := fin1.get(path)
		if p.status != http.StatusOK {
			t.Fatalf("GET as fin1: %d %s", p.status, p.text(`[data-testid="error-message"]`))
		}
		if rp := p.header.Get("Referrer-Policy"); rp != "no-referrer" {
			t.Errorf("Referrer-Policy: %q; want no-referrer", rp)
		}
		if got := p.text(`[data-testid="approval-title"]`); got != "A VM for the Q3 load test" {
			t.Errorf("title %q", got)
		}
		if !strings.Contains(p.text(`[data-testid="context"]`), "checkout") || p.doc.Find(`[data-name="cores"]`).Length() != 1 {
			t.Errorf("the page lacks the context or the schema's fields:\n%.3000s", p.body)
		}
		if action, _ := linkForm(t, p); action != path {
			t.Errorf("the form posts to %q; want the link %q", action, path)
		}
		if p.doc.Find(`[data-testid="override"]`).Length() != 0 {
			t.Error("a link page offers an override")
		}
	}
	if v := e.votes(id); len(v) != 0 {
		t.Errorf("votes after the GETs: %v; want none", v)
	}
	links, _ := e.eng.DecisionLinks(context.Background(), id)
	for _, l := range links {
		if l.UsedAt != nil || l.Version != 0 {
			t.Errorf("link of %s written by a GET: %+v", l.User, l)
		}
	}
}

// TestLinkDecides: the link's POST is its person's vote, channel link,
// through the approval's schema; then the link is used up: a replay, the
// same or another decision, is refused with a page that says so, and
// changes nothing.
func TestLinkDecides(t *testing.T) {
	t.Parallel()
	e, _ := linkEnv(t)
	id := e.startAs("rita", "request_vm")
	path := e.linkPaths(id)["fin1"]
	fin1 := e.as("fin1")
	action, csrf := linkForm(t, fin1.get(path))

	// A schema error shows the form again, and leaves the link usable.
	p := fin1.post(action, url.Values{"_csrf": {csrf}, "answering": {"1"}, "state": {"SUCCESS"}, "cores": {"65"}, "zone": {"eu-west"}})
	if p.status != http.StatusUnprocessableEntity || p.doc.Find(`[data-testid="field-error"]`).Length() == 0 {
		t.Fatalf("an answer out of bounds: %d; want 422 with the field's error", p.status)
	}
	if rp := p.header.Get("Referrer-Policy"); rp != "no-referrer" {
		t.Errorf("Referrer-Policy of the form again: %q", rp)
	}
	// A form token that is not this link's is refused.
	if p := fin1.post(action, url.Values{"_csrf": {fin1.get("/").csrf()}, "state": {"SUCCESS"}, "cores": {"4"}, "zone": {"eu-west"}}); p.status != http.StatusForbidden {
		t.Errorf("the dashboard's form token on a link: %d; want 403", p.status)
	}
	form := url.Values{"_csrf": {csrf}, "answering": {"1"}, "state": {"SUCCESS"}, "cores": {"4"}, "zone": {"eu-west"}, "comment": {"fine"}}
	p = fin1.post(action, form)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != path+"?done=1" {
		t.Fatalf("the link's decision: %d → %q; want 303 to the link's done page", p.status, p.header.Get("Location"))
	}
	if done := fin1.get(path + "?done=1"); done.status != http.StatusOK || !strings.Contains(done.text(`[data-testid="link-done"]`), "fin1") {
		t.Errorf("done page: %d %q", done.status, done.text(`[data-testid="link-done"]`))
	}
	if v := e.votes(id); len(v) != 1 || v[0] != "fin1 link" {
		t.Fatalf("votes: %v; want fin1's, via link", v)
	}
	for _, state := range []string{"SUCCESS", "ERROR"} {
		form.Set("state", state)
		p := fin1.post(action, form)
		if p.status != http.StatusGone || !strings.Contains(p.text(`[data-testid="error-message"]`), "already used") {
			t.Errorf("a replayed link (%s): %d %q; want 410 saying it was used", state, p.status, p.text(`[data-testid="error-message"]`))
		}
		if p.doc.Find(`[data-testid="approval-title"]`).Length() != 0 {
			t.Error("a used link's page shows the approval")
		}
	}
	if p := fin1.get(path); p.status != http.StatusGone {
		t.Errorf("GET of a used link: %d; want 410", p.status)
	}
	if v := e.votes(id); len(v) != 1 {
		t.Errorf("votes after the replays: %v; want fin1's alone", v)
	}
}

// TestLinkRefusals: another person's link (whoever is logged in), a
// revoked and an expired link are refused with a page saying why, and
// show nothing of the approval; revoking is for an admin or the link's
// person, from the action page, which lists the links they may see.
func TestLinkRefusals(t *testing.T) {
	t.Parallel()
	e, clock := linkEnv(t)
	id := e.startAs("rita", "request_vm")
	paths := e.linkPaths(id)

	sec1 := e.as("sec1")
	p := sec1.get(paths["fin1"])
	if p.status != http.StatusForbidden || !strings.Contains(p.text(`[data-testid="error-message"]`), "sent to fin1") {
		t.Errorf("sec1 opens fin1's link: %d %q; want 403 naming fin1", p.status, p.text(`[data-testid="error-message"]`))
	}
	_, csrf := linkForm(t, e.as("fin1").get(paths["fin1"]))
	if p := sec1.post(paths["fin1"], url.Values{"_csrf": {csrf}, "state": {"SUCCESS"}, "answering": {"1"}, "cores": {"4"}, "zone": {"eu-west"}}); p.status != http.StatusForbidden {
		t.Errorf("sec1 posts fin1's link: %d; want 403", p.status)
	}

	// The action page: the admin sees every link, fin2 only theirs.
	ada := e.as("ada")
	page := ada.get("/actions/" + id)
	if n := page.doc.Find(`[data-testid="decision-link"]`).Length(); n != 3 {
		t.Errorf("ada sees %d links; want 3 (fin1, fin2, sec1)", n)
	}
	fin2 := e.as("fin2")
	own := fin2.get("/actions/" + id).doc.Find(`[data-testid="decision-link"]`)
	if user, _ := own.Attr("data-user"); own.Length() != 1 || user != "fin2" {
		t.Errorf("fin2 sees %d links (%s); want their own", own.Length(), user)
	}
	fin2Link, _ := e.eng.GetDecisionLink(context.Background(), strings.Split(strings.TrimPrefix(paths["fin2"], "/links/"), ".")[0])
	revoke := "/actions/" + id + "/links/" + fin2Link.ID + "/revoke"
	if p := e.as("fin1").post(revoke, url.Values{"_csrf": {e.as("fin1").get("/").csrf()}}); p.status != http.StatusForbidden {
		t.Errorf("fin1 revokes fin2's link: %d; want 403", p.status)
	}
	if p := ada.post(revoke, url.Values{"_csrf": {page.csrf()}}); p.status != http.StatusSeeOther {
		t.Fatalf("ada revokes fin2's link: %d %s", p.status, p.text(`[data-testid="error-message"]`))
	}
	p = fin2.get(paths["fin2"])
	if p.status != http.StatusGone || !strings.Contains(p.text(`[data-testid="error-message"]`), "revoked by ada") {
		t.Errorf("a revoked link: %d %q; want 410 saying who revoked it", p.status, p.text(`[data-testid="error-message"]`))
	}
	if p.doc.Find(`[data-testid="approval-title"]`).Length() != 0 {
		t.Error("a revoked link's page shows the approval")
	}

	// Past the TTL, sec1's link is expired.
	clock.advance(time.Hour)
	p = sec1.get(paths["sec1"])
	if p.status != http.StatusGone || !strings.Contains(p.text(`[data-testid="error-message"]`), "expired") {
		t.Errorf("an expired link: %d %q; want 410 saying it expired", p.status, p.text(`[data-testid="error-message"]`))
	}
	// A token cut short is no link.
	if p := sec1.get(paths["sec1"][:len(paths["sec1"])-5]); p.status != http.StatusNotFound {
		t.Errorf("a link cut short: %d; want 404", p.status)
	}
	if v := e.votes(id); len(v) != 0 {
		t.Errorf("votes after the refusals: %v; want none", v)
	}
}

// TestLinkWithoutLogin: an approval with require_login: false takes its
// link alone, in a browser with no session, as the link's person.
func TestLinkWithoutLogin(t *testing.T) {
	t.Parallel()
	e, _ := linkEnv(t)
	id := e.startAs("rita", "no_login")
	path := e.linkPaths(id)["fin2"]
	anon := e.newBrowser()
	p := anon.get(path)
	if p.status != http.StatusOK {
		t.Fatalf("the link without a login: %d", p.status)
	}
	action, csrf := linkForm(t, p)
	if p := anon.post(action, url.Values{"_csrf": {csrf}, "state": {"SUCCESS"}}); p.status != http.StatusSeeOther {
		t.Fatalf("the decision without a login: %d %s", p.status, p.text(`[data-testid="error-message"]`))
	}
	a, _ := e.eng.GetActionExecution(context.Background(), id)
	if v := e.votes(id); len(v) != 1 || v[0] != "fin2 link" || a.State != engine.StateSuccess {
		t.Errorf("after the link: votes %v, %s; want fin2's via link, SUCCESS", v, a.State)
	}
}

// TestLinksAPI: GET /sirocco/approvals/<id>/links lists an approval's
// links (all for an admin, one's own otherwise; never a token), DELETE
// /sirocco/links/<id> revokes one (an admin or its person).
func TestLinksAPI(t *testing.T) {
	t.Parallel()
	e, _ := linkEnv(t)
	id := e.startAs("rita", "request_vm")
	ctx := context.Background()
	token := func(user string, role auth.Role) string {
		plain, _, err := e.accounts.CreateToken(ctx, auth.Actor{}, user, "t", role, "api", 0)
		if err != nil {
			t.Fatal(err)
		}
		return plain
	}
	call := func(method, path, tok string) (int, map[string]any) {
		req, _ := http.NewRequest(method, e.url+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		return res.StatusCode, m
	}
	admin, fin1 := token("ada", auth.RoleAdmin), token("fin1", auth.RoleApprover)
	status, body := call("GET", "/sirocco/approvals/"+id+"/links", admin)
	list, _ := body["links"].([]any)
	if status != http.StatusOK || len(list) != 3 {
		t.Fatalf("the admin's list: %d %v; want 3 links", status, body)
	}
	paths := e.linkPaths(id)
	for _, l := range list {
		m := l.(map[string]any)
		b, _ := json.Marshal(m)
		if m["state"] != "live" || strings.Contains(string(b), strings.Split(paths[m["user"].(string)], ".")[1]) {
			t.Errorf("listed link %s: want live, and no token", b)
		}
	}
	_, body = call("GET", "/sirocco/approvals/"+id+"/links", fin1)
	if list, _ := body["links"].([]any); len(list) != 1 || list[0].(map[string]any)["user"] != "fin1" {
		t.Errorf("fin1's list: %v; want their own link", body)
	}
	var fin2ID string
	for _, l := range list {
		if m := l.(map[string]any); m["user"] == "fin2" {
			fin2ID = m["id"].(string)
		}
	}
	if status, body := call("DELETE", "/sirocco/links/"+fin2ID, fin1); status != http.StatusForbidden || body["faultstring"] == nil {
		t.Errorf("fin1 revokes fin2's link: %d %v; want 403 with a fault", status, body)
	}
	if status, body := call("DELETE", "/sirocco/links/"+fin2ID, admin); status != http.StatusOK || body["state"] != "revoked" || body["revoked_by"] != "ada" {
		t.Errorf("the admin revokes fin2's link: %d %v", status, body)
	}
	if status, body := call("DELETE", "/sirocco/links/nope", admin); status != http.StatusNotFound || body["faultstring"] == nil {
		t.Errorf("an unknown link: %d %v; want 404 with a fault", status, body)
	}
	if status, _ := call("GET", "/sirocco/approvals/nope/links", admin); status != http.StatusNotFound {
		t.Errorf("links of an unknown approval: %d; want 404", status)
	}
}
