package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/api"
	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/guard"
	"github.com/sirocco-project/sirocco/internal/sqlite"
	"golang.org/x/crypto/bcrypt"
)

// stepClock is a clock tests move by hand.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *stepClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// guarded is the API behind the guard, as serve wires it, over a real
// engine and SQLite file, with accounts and a clock the test moves.
type guarded struct {
	t       *testing.T
	url     string
	eng     *engine.Engine
	api     *api.API
	svc     *auth.Service
	clock   *stepClock
	pending chan string // ids of asynchronous actions that start waiting
	// admin is an admin API token (admin2 another of the same account).
	admin, admin2 string
}

func newGuarded(t *testing.T) *guarded {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "idem.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	g := &guarded{t: t, clock: &stepClock{now: time.Now().UTC()}, pending: make(chan string, 16)}
	g.svc = auth.New(auth.Config{Store: st.Auth(), BcryptCost: bcrypt.MinCost})
	if _, err := g.svc.Init(ctx, "a long enough password"); err != nil {
		t.Fatal(err)
	}
	g.admin = g.token("admin", auth.RoleAdmin)
	g.admin2 = g.token("admin", auth.RoleAdmin)
	e := echo.New()
	ts := httptest.NewServer(e)
	g.url = ts.URL
	g.eng = engine.New(engine.Config{Store: st, BaseURL: ts.URL, Clock: g.clock, Publisher: publisherFunc(func(ev engine.Event) {
		if ev.Kind == "action_execution" && ev.Async && ev.State == engine.StateRunning {
			g.pending <- ev.ID
		}
	})})
	g.api = api.New(g.eng, nil)
	g.api.SetAuth(g.svc)
	e.Use(guard.Middleware(g.svc, guard.Config{Fault: api.Fault}))
	g.api.Register(e)
	done := make(chan struct{})
	go func() { g.eng.Run(ctx); close(done) }()
	t.Cleanup(func() {
		ts.Close()
		cancel()
		<-done
		st.Close()
	})
	if _, err := g.eng.CreateWorkflows(ctx, nil, "version: '2.0'\nwait_wf:\n  tasks:\n    wait:\n      action: std.async_noop\n", "", ""); err != nil {
		t.Fatal(err)
	}
	return g
}

type publisherFunc func(engine.Event)

func (f publisherFunc) Publish(ev engine.Event) { f(ev) }

// token makes an API token of user.
func (g *guarded) token(user string, role auth.Role) string {
	g.t.Helper()
	plain, _, err := g.svc.CreateToken(context.Background(), auth.Actor{}, user, "t", role, auth.KindAPI, 0)
	if err != nil {
		g.t.Fatal(err)
	}
	return plain
}

// startAsync starts wait_wf and returns its execution's id and the id of
// the action it waits on.
func (g *guarded) startAsync() (exID, actionID string) {
	g.t.Helper()
	ex, err := g.eng.StartExecution(context.Background(), engine.StartRequest{WorkflowName: "wait_wf"})
	if err != nil {
		g.t.Fatal(err)
	}
	select {
	case id := <-g.pending:
		return ex.ID, id
	case <-time.After(10 * time.Second):
		g.t.Fatal("the asynchronous action never started")
	}
	return "", ""
}

// answer is a response as the test reads it.
type answer struct {
	status int
	header http.Header
	body   string
}

func (a answer) replayed() bool { return a.header.Get(api.ReplayedHeader) == "true" }

// call sends a callback. headers are name, value pairs (a name may come
// twice); "token" stands for X-Auth-Token.
func (g *guarded) call(method, path, body string, headers ...string) answer {
	g.t.Helper()
	req, err := http.NewRequest(method, g.url+path, strings.NewReader(body))
	if err != nil {
		g.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		name := headers[i]
		if name == "token" {
			name = "X-Auth-Token"
		}
		req.Header.Add(name, headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		g.t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, string(b)}
}

// want fails the test unless got has status and holds every fragment.
func want(t *testing.T, what string, got answer, status int, fragments ...string) {
	t.Helper()
	if got.status != status {
		t.Errorf("%s: status %d, want %d; body %s", what, got.status, status, got.body)
	}
	for _, f := range fragments {
		if !strings.Contains(got.body, f) {
			t.Errorf("%s: body %s lacks %q", what, got.body, f)
		}
	}
}

func faultstring(t *testing.T, body string) string {
	t.Helper()
	var m struct{ Faultstring string }
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("not a fault: %s", body)
	}
	return m.Faultstring
}

// TestIdempotencyReplay: a retry with the same key and the same body (in
// another spacing and key order) gets the first answer, byte for byte,
// marked as replayed, and the handler does not run: no timeline entry,
// and even once the action is deleted the retry still hears 200.
func TestIdempotencyReplay(t *testing.T) {
	t.Parallel()
	g := newGuarded(t)
	exID, aID := g.startAsync()
	path := "/v2/action_executions/" + aID

	first := g.call("PUT", path, `{"state": "SUCCESS", "output": {"a": 1, "b": [true, null]}}`, "token", g.admin, "Idempotency-Key", "k-1")
	want(t, "first", first, 200, `"state":"SUCCESS"`)
	if first.replayed() {
		t.Errorf("the first answer says it is replayed")
	}
	timeline, err := g.eng.Timeline(context.Background(), aID)
	if err != nil {
		t.Fatal(err)
	}

	again := g.call("PUT", path, "{\n  \"output\": {\"b\": [true, null], \"a\": 1},\n  \"state\": \"SUCCESS\"\n}", "token", g.admin, "Idempotency-Key", "k-1")
	want(t, "retry", again, 200)
	if !again.replayed() || again.body != first.body || again.header.Get("Content-Type") != first.header.Get("Content-Type") {
		t.Errorf("retry: replayed %v, %s %s; want the first answer %s %s", again.replayed(), again.header.Get("Content-Type"), again.body, first.header.Get("Content-Type"), first.body)
	}
	if again.header.Get(api.RepeatedHeader) != "true" {
		t.Errorf("a replayed success lacks %s (metrics count it as accepted again)", api.RepeatedHeader)
	}
	if now, err := g.eng.Timeline(context.Background(), aID); err != nil || len(now) != len(timeline) {
		t.Errorf("timeline after the retry: %d entries (%v), %d before", len(now), err, len(timeline))
	}

	if err := g.eng.DeleteExecution(context.Background(), nil, exID, true); err != nil {
		t.Fatal(err)
	}
	want(t, "without a key, once deleted", g.call("PUT", path, `{"state": "SUCCESS", "output": {"a": 1, "b": [true, null]}}`, "token", g.admin), 404)
	late := g.call("PUT", path, `{"state": "SUCCESS", "output": {"a": 1, "b": [true, null]}}`, "token", g.admin, "Idempotency-Key", "k-1")
	if late.status != 200 || !late.replayed() || late.body != first.body {
		t.Errorf("retry once deleted: %d replayed %v %s; want the first answer", late.status, late.replayed(), late.body)
	}
}

// TestIdempotencyBodyMismatch: the same key with another body is 422
// naming the key, and changes nothing; a refusal the same request would
// meet again (409, 400) is replayed too.
func TestIdempotencyBodyMismatch(t *testing.T) {
	t.Parallel()
	g := newGuarded(t)
	_, aID := g.startAsync()
	path := "/v2/action_executions/" + aID

	want(t, "first", g.call("PUT", path, `{"state": "SUCCESS", "output": 1}`, "token", g.admin, "Idempotency-Key", "key-A"), 200)
	other := g.call("PUT", path, `{"state": "SUCCESS", "output": 2}`, "token", g.admin, "Idempotency-Key", "key-A")
	want(t, "another body", other, 422, `"faultcode":"Client"`)
	if msg := faultstring(t, other.body); !strings.Contains(msg, `Idempotency-Key "key-A"`) || !strings.Contains(msg, "different request body") {
		t.Errorf("422 says %q; want it to name the key and the reason", msg)
	}
	if ae, err := g.eng.GetActionExecution(context.Background(), aID); err != nil || ae.OutputJSON == nil || *ae.OutputJSON != `{"result": 1}` {
		t.Errorf("the action after a 422: %+v, %v", ae, err)
	}

	// A 409 (the action was completed otherwise) is final: a retry hears it again.
	conflict := g.call("PUT", path, `{"state": "ERROR"}`, "token", g.admin, "Idempotency-Key", "key-B")
	want(t, "a different completion", conflict, 409, "already completed")
	if again := g.call("PUT", path, `{"state": "ERROR"}`, "token", g.admin, "Idempotency-Key", "key-B"); again.status != 409 || !again.replayed() || again.body != conflict.body {
		t.Errorf("retry of a 409: %d replayed %v %s", again.status, again.replayed(), again.body)
	}
	// A malformed body is hashed as it is: the same bytes replay, others are 422.
	bad := g.call("PUT", path, `{"state": `, "token", g.admin, "Idempotency-Key", "key-C")
	want(t, "malformed", bad, 400, "not in valid JSON format")
	if again := g.call("PUT", path, `{"state": `, "token", g.admin, "Idempotency-Key", "key-C"); again.status != 400 || !again.replayed() {
		t.Errorf("retry of a 400: %d replayed %v", again.status, again.replayed())
	}
	want(t, "malformed otherwise", g.call("PUT", path, `{"state":`, "token", g.admin, "Idempotency-Key", "key-C"), 422)
}

// TestIdempotencyScopes: the same key is another key for another action,
// another credential (API token or callback token) and another route.
func TestIdempotencyScopes(t *testing.T) {
	t.Parallel()
	g := newGuarded(t)
	_, a1 := g.startAsync()
	_, a2 := g.startAsync()
	key := []string{"Idempotency-Key", "shared"}
	first := g.call("PUT", "/v2/action_executions/"+a1, `{"state": "SUCCESS", "output": 1}`, append([]string{"token", g.admin}, key...)...)
	want(t, "first", first, 200)

	// Another action, same body: it runs and completes a2.
	other := g.call("PUT", "/v2/action_executions/"+a2, `{"state": "SUCCESS", "output": 1}`, append([]string{"token", g.admin}, key...)...)
	want(t, "another action", other, 200, `"id":"`+a2+`"`)
	if other.replayed() {
		t.Errorf("another action got a1's answer replayed: %s", other.body)
	}

	// Other bodies (a different one each time, so that any two scopes
	// taken for one would be a 422) from other credentials or routes
	// reach the engine (409: a1 is done) instead of the 422 of a reused
	// key.
	cb, err := g.svc.CallbackToken(context.Background(), a1)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range []struct {
		name, method, path string
		headers            []string
	}{
		{"another API token of the same account", "PUT", "/v2/action_executions/" + a1, []string{"token", g.admin2}},
		{"the action's callback token", "PUT", "/v2/action_executions/" + a1, []string{engine.CallbackTokenHeader, cb}},
		{"another route", "POST", "/v2/action-executions/" + a1, []string{"token", g.admin}},
		{"the same route with another method", "PUT", "/v2/action-executions/" + a1, []string{"token", g.admin}},
	} {
		got := g.call(c.method, c.path, fmt.Sprintf(`{"state": "SUCCESS", "output": %d}`, i+2), append(c.headers, key...)...)
		want(t, c.name, got, 409, "already completed")
	}
	// And the first scope still holds its key.
	want(t, "the first scope", g.call("PUT", "/v2/action_executions/"+a1, `{"state": "SUCCESS", "output": 2}`, append([]string{"token", g.admin}, key...)...), 422)
}

// TestIdempotencyExpiry: a key is kept 24 hours from its first use; after
// that the same key is a new key.
func TestIdempotencyExpiry(t *testing.T) {
	t.Parallel()
	g := newGuarded(t)
	_, aID := g.startAsync()
	path := "/v2/action_executions/" + aID
	send := func(output string) answer {
		return g.call("PUT", path, `{"state": "SUCCESS", "output": `+output+`}`, "token", g.admin, "Idempotency-Key", "daily")
	}
	want(t, "first", send("1"), 200)
	g.clock.advance(24*time.Hour - time.Microsecond)
	if got := send("1"); got.status != 200 || !got.replayed() {
		t.Errorf("just before 24 hours: %d replayed %v, want the first answer", got.status, got.replayed())
	}
	want(t, "just before 24 hours, another body", send("2"), 422)
	g.clock.advance(time.Microsecond)
	if got := send("1"); got.status != 200 || got.replayed() || got.header.Get(api.RepeatedHeader) != "true" {
		t.Errorf("after 24 hours: %d replayed %v repeated %q; want the engine's own answer to a repeat", got.status, got.replayed(), got.header.Get(api.RepeatedHeader))
	}
	// The retry above took the key again: a day later still, another
	// body is a new request, which the engine refuses (a1 is done).
	g.clock.advance(24 * time.Hour)
	want(t, "a day after that, another body", send("2"), 409, "already completed")
}

// TestIdempotencyConcurrent: while the first request with a key runs, a
// second with the same key is 409 (and told when to retry) without
// running, a third with another body 422; once the first is answered, a
// retry gets its answer.
func TestIdempotencyConcurrent(t *testing.T) {
	t.Parallel()
	g := newGuarded(t)
	_, aID := g.startAsync()
	path := "/v2/action_executions/" + aID
	body := `{"state": "SUCCESS", "output": "first"}`

	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	api.SetClaimed(g.api, func() {
		once.Do(func() {
			close(entered)
			<-release
		})
	})
	firstDone := make(chan answer, 1)
	go func() { firstDone <- g.call("PUT", path, body, "token", g.admin, "Idempotency-Key", "busy") }()
	select {
	case <-entered:
	case got := <-firstDone:
		t.Fatalf("the first request was answered without claiming its key: %d %s", got.status, got.body)
	}

	second := g.call("PUT", path, body, "token", g.admin, "Idempotency-Key", "busy")
	want(t, "while the first runs", second, 409, `"faultstring":"A request with Idempotency-Key \"busy\" is in progress`)
	if second.header.Get("Retry-After") == "" {
		t.Errorf("the in-progress 409 has no Retry-After")
	}
	want(t, "another body while the first runs", g.call("PUT", path, `{"state": "ERROR"}`, "token", g.admin, "Idempotency-Key", "busy"), 422)
	if ae, err := g.eng.GetActionExecution(context.Background(), aID); err != nil || ae.State != engine.StateRunning {
		t.Fatalf("the action while the first request is held: %+v, %v; nothing else may have run", ae, err)
	}

	close(release)
	first := <-firstDone
	want(t, "first", first, 200, `"state":"SUCCESS"`)
	if got := g.call("PUT", path, body, "token", g.admin, "Idempotency-Key", "busy"); got.status != 200 || !got.replayed() || got.body != first.body {
		t.Errorf("after the first: %d replayed %v %s", got.status, got.replayed(), got.body)
	}
}

// TestIdempotencyBadKey: a key that is empty, too long, has spaces or
// other than visible ASCII, or comes twice, is 400 naming the header, and
// nothing runs.
func TestIdempotencyBadKey(t *testing.T) {
	t.Parallel()
	g := newGuarded(t)
	_, aID := g.startAsync()
	path := "/v2/action_executions/" + aID
	for _, c := range []struct {
		name string
		keys []string
	}{
		{"empty", []string{""}},
		{"256 characters", []string{strings.Repeat("k", 256)}},
		{"a space", []string{"two words"}},
		{"a tab", []string{"a\tb"}},
		{"not ASCII", []string{"clé"}},
		{"twice", []string{"a", "b"}},
	} {
		var headers []string
		for _, k := range c.keys {
			headers = append(headers, "Idempotency-Key", k)
		}
		got := g.call("PUT", path, `{"state": "SUCCESS"}`, append([]string{"token", g.admin}, headers...)...)
		want(t, c.name, got, 400, "Idempotency-Key")
	}
	if ae, err := g.eng.GetActionExecution(context.Background(), aID); err != nil || ae.State != engine.StateRunning {
		t.Errorf("after refused keys the action is %+v, %v; want it still RUNNING", ae, err)
	}
	long := strings.Repeat("~", 255) // the longest key, of the last visible character
	want(t, "255 visible characters", g.call("PUT", path, `{"state": "SUCCESS"}`, "token", g.admin, "Idempotency-Key", long), 200)
	if got := g.call("PUT", path, `{"state": "SUCCESS"}`, "token", g.admin, "Idempotency-Key", long); !got.replayed() {
		t.Errorf("the longest key was not kept: %d %s", got.status, got.body)
	}
}

// TestIdempotencyNotKept: answers a retry should not get again are not
// kept: a 403 that an admin lifts, and an answer over the size bound,
// run again on retry.
func TestIdempotencyNotKept(t *testing.T) {
	t.Parallel()
	g := newGuarded(t)
	ctx := context.Background()
	_, aID := g.startAsync()
	path := "/v2/action_executions/" + aID
	if _, err := g.svc.CreateUser(ctx, auth.Actor{}, "bob", auth.RoleAdmin, "another long password"); err != nil {
		t.Fatal(err)
	}
	bob := g.token("bob", auth.RoleAdmin)
	if err := g.svc.UpdateUser(ctx, auth.Actor{}, "bob", auth.RoleApprover, ""); err != nil {
		t.Fatal(err)
	}
	pause := func() answer {
		return g.call("PUT", path, `{"state": "PAUSED"}`, "token", bob, "Idempotency-Key", "pause")
	}
	want(t, "pausing as an approver", pause(), 403)
	if err := g.svc.UpdateUser(ctx, auth.Actor{}, "bob", auth.RoleAdmin, ""); err != nil {
		t.Fatal(err)
	}
	want(t, "pausing once admin again, same key", pause(), 200, `"state":"PAUSED"`)

	big := `{"state": "SUCCESS", "output": "` + strings.Repeat("x", 70<<10) + `"}`
	first := g.call("PUT", path, big, "token", g.admin, "Idempotency-Key", "big")
	want(t, "a large answer", first, 200)
	if again := g.call("PUT", path, big, "token", g.admin, "Idempotency-Key", "big"); again.status != 200 || again.replayed() || again.header.Get(api.RepeatedHeader) != "true" {
		t.Errorf("retry of a large answer: %d replayed %v repeated %q; want it run again, and the engine's repeat", again.status, again.replayed(), again.header.Get(api.RepeatedHeader))
	}
}
