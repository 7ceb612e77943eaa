package hub

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/sirocco-project/sirocco/internal/engine"
)

func TestTopics(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		ev   engine.Event
		want []string
	}{
		{engine.Event{Kind: "action_execution", ID: "a", ExecutionID: "x", Async: true}, []string{"inbox", "action:a", "execution:x"}},
		{engine.Event{Kind: "action_execution", ID: "a", Async: true}, []string{"inbox", "action:a"}},
		{engine.Event{Kind: "action_execution", ID: "a", ExecutionID: "x"}, []string{"action:a", "execution:x"}},
		{engine.Event{Kind: "action_execution", ID: "a", Async: true, Detail: true}, []string{"action:a"}},
		{engine.Event{Kind: "action_execution", ID: "a", ExecutionID: "x", Async: true, Approval: true}, []string{"inbox", "approvals", "action:a", "execution:x"}},
		{engine.Event{Kind: "task", ID: "t", ExecutionID: "x"}, []string{"execution:x"}},
		{engine.Event{Kind: "execution", ID: "x", ExecutionID: "x"}, []string{"executions", "execution:x"}},
		// A notification's outcome: an approval's goes to its action's page.
		{engine.Event{Kind: engine.KindNotification, ID: "a", ExecutionID: "x", Detail: true, Approval: true}, []string{"action:a", "execution:x"}},
		{engine.Event{Kind: engine.KindNotification, ID: "a", Detail: true, Approval: true}, []string{"action:a"}},
		{engine.Event{Kind: engine.KindNotification, ID: "d", ExecutionID: "x", Detail: true}, []string{"execution:x"}},
	} {
		if got := Topics(tc.ev); !slices.Equal(got, tc.want) {
			t.Errorf("Topics(%+v) = %v, want %v", tc.ev, got, tc.want)
		}
	}
}

// start runs a hub behind a test server and stops both at cleanup.
func start(t *testing.T, cfg Config) (*Hub, *httptest.Server) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	cfg.BaseURL = "http://" + srv.Listener.Addr().String()
	h := New(cfg)
	srv.Config.Handler = h
	srv.Start()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
	t.Cleanup(func() {
		cancel()
		<-done
		srv.Close()
	})
	return h, srv
}

func dial(t *testing.T, srv *httptest.Server, origin string, topics ...string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	u := "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws?topic=" + strings.Join(topics, "&topic=")
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	c, res, err := websocket.DefaultDialer.Dial(u, h)
	if err == nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, res, err
}

func read(t *testing.T, c *websocket.Conn) message {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var m message
	if err := c.ReadJSON(&m); err != nil {
		t.Fatalf("read: %v", err)
	}
	return m
}

func TestFanOutByTopic(t *testing.T) {
	t.Parallel()
	h, srv := start(t, Config{})
	inbox, _, err := dial(t, srv, srv.URL, "inbox", "executions")
	if err != nil {
		t.Fatal(err)
	}
	exec, _, err := dial(t, srv, srv.URL, "execution:x", "executions")
	if err != nil {
		t.Fatal(err)
	}

	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	h.Publish(engine.Event{Kind: "task", ID: "t", State: engine.StateRunning, ExecutionID: "x", At: at})
	h.Publish(engine.Event{Kind: "action_execution", ID: "a", State: engine.StateSuccess, ExecutionID: "x", Via: "dashboard", Note: "ok", At: at, Async: true})

	if m := read(t, exec); m.Kind != "task" || m.ID != "t" {
		t.Errorf("execution page got %+v first, want the task", m)
	}
	if m := read(t, exec); m.Kind != "action_execution" {
		t.Errorf("execution page got %+v, want the action", m)
	}
	want := message{Kind: "action_execution", ID: "a", State: "SUCCESS", ExecutionID: "x", Via: "dashboard", Note: "ok", At: "2026-01-02T03:04:05Z"}
	if m := read(t, inbox); m != want {
		t.Errorf("inbox got %+v, want %+v (and not the task)", m, want)
	}
	// A page's header follows the approvals alone: their votes too, which
	// change no state.
	header, _, err := dial(t, srv, srv.URL, "approvals")
	if err != nil {
		t.Fatal(err)
	}
	h.Publish(engine.Event{Kind: "action_execution", ID: "n", State: engine.StateRunning, At: at, Async: true})
	h.Publish(engine.Event{Kind: "action_execution", ID: "v", State: engine.StateRunning, Via: "api", Note: "approved", At: at, Async: true, Approval: true})
	want = message{Kind: "action_execution", ID: "v", State: "RUNNING", Via: "api", Note: "approved", At: "2026-01-02T03:04:05Z", Approval: true}
	if m := read(t, header); m != want {
		t.Errorf("the approvals' follower got %+v, want %+v (and not the other action)", m, want)
	}
}

func TestCheckOrigin(t *testing.T) {
	t.Parallel()
	_, srv := start(t, Config{})
	if _, res, err := dial(t, srv, "http://evil.example", "inbox"); err == nil || res == nil || res.StatusCode != http.StatusForbidden {
		t.Errorf("foreign origin: %v %v", res, err)
	}
	// A DNS-rebound name has the right address but not the configured origin.
	if _, res, err := dial(t, srv, strings.Replace(srv.URL, "127.0.0.1", "rebound.example", 1), "inbox"); err == nil || res.StatusCode != http.StatusForbidden {
		t.Errorf("other host name: %v %v", res, err)
	}
	// A loopback base URL accepts the other loopback spellings of the same
	// scheme and port (browsers resolve localhost themselves), and no other port.
	for _, o := range []string{strings.Replace(srv.URL, "127.0.0.1", "localhost", 1), strings.Replace(srv.URL, "127.0.0.1", "[::1]", 1)} {
		if _, _, err := dial(t, srv, o, "inbox"); err != nil {
			t.Errorf("loopback spelling %s: %v", o, err)
		}
	}
	if _, res, err := dial(t, srv, "http://localhost:1", "inbox"); err == nil || res.StatusCode != http.StatusForbidden {
		t.Errorf("loopback on another port: %v %v", res, err)
	}
	if _, res, err := dial(t, srv, strings.Replace(srv.URL, "http:", "https:", 1), "inbox"); err == nil || res.StatusCode != http.StatusForbidden {
		t.Errorf("loopback with another scheme: %v %v", res, err)
	}
	if _, _, err := dial(t, srv, srv.URL, "inbox"); err != nil {
		t.Errorf("own origin: %v", err)
	}
	if _, _, err := dial(t, srv, "", "inbox"); err != nil {
		t.Errorf("no origin (not a browser): %v", err)
	}
	if _, res, err := dial(t, srv, srv.URL); err == nil || res.StatusCode != http.StatusBadRequest {
		t.Errorf("no topic: %v %v", res, err)
	}
}

func TestSlowClientIsDroppedNotWaitedOn(t *testing.T) {
	t.Parallel()
	// The connected client's queue holds every event sent, so that only
	// the stuck one can overflow, however the machine schedules them.
	h, srv := start(t, Config{SendBuffer: 64})
	fast, _, err := dial(t, srv, srv.URL, "inbox")
	if err != nil {
		t.Fatal(err)
	}
	// A client whose writer never drains its queue (a stuck connection).
	slow := &client{send: make(chan []byte, 2), topics: map[string]bool{"inbox": true}}
	h.register <- slow

	const n = 20
	done := make(chan struct{})
	go func() {
		for i := 0; i < n; i++ {
			h.Publish(engine.Event{Kind: "action_execution", ID: "a", State: engine.StateRunning, Async: true})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Publish blocked on a slow client")
	}
	for i := 0; i < n; i++ {
		if m := read(t, fast); m.ID != "a" {
			t.Fatalf("fast client got %+v", m)
		}
	}
	// The slow client's queue was closed once it overflowed.
	deadline := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-slow.send:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatal("the slow client was not dropped")
		}
	}
}

func TestOverflowAsksClientsToResync(t *testing.T) {
	t.Parallel()
	// A hub that is not running yet fills its queue: Publish must still
	// return at once, and clients are told to resynchronise later.
	h := New(Config{EventBuffer: 1, BaseURL: "http://127.0.0.1"})
	begin := time.Now()
	for i := 0; i < 1000; i++ {
		h.Publish(engine.Event{Kind: "execution", ID: "x"})
	}
	if d := time.Since(begin); d > time.Second {
		t.Fatalf("Publish took %v", d)
	}
	c := &client{send: make(chan []byte, 8), topics: map[string]bool{"inbox": true}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
	h.register <- c
	h.overflow.Store(true)
	h.Publish(engine.Event{Kind: "action_execution", ID: "a", Async: true})
	var kinds []string
	for len(kinds) < 1 {
		select {
		case msg := <-c.send:
			var m message
			json.Unmarshal(msg, &m)
			kinds = append(kinds, m.Kind)
		case <-time.After(5 * time.Second):
			t.Fatal("no message")
		}
	}
	if kinds[0] != "resync" && kinds[0] != "action_execution" {
		t.Errorf("got %v", kinds)
	}
	cancel()
	<-done
	if _, ok := <-c.send; ok {
		// drain: the channel must end closed
		for range c.send {
		}
	}
}

// TestSessionEndsConnections: a logout closes the connections its session
// opened, an expired session's connections close at the next check, and
// other connections stay.
func TestSessionEndsConnections(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(nil)
	h := New(Config{BaseURL: "http://" + srv.Listener.Addr().String(), SessionCheck: 10 * time.Millisecond})
	expired := time.Now().Add(50 * time.Millisecond)
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("as") {
		case "alice":
			r = r.WithContext(WithSession(r.Context(), "alice-session", time.Now().Add(time.Hour)))
		case "bob":
			r = r.WithContext(WithSession(r.Context(), "bob-session", expired))
		}
		h.ServeHTTP(w, r)
	})
	srv.Start()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; srv.Close() })

	dialAs := func(who string) *websocket.Conn {
		u := "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws?topic=inbox&as=" + who
		c, _, err := websocket.DefaultDialer.Dial(u, http.Header{"Origin": {srv.URL}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	alice, bob, token := dialAs("alice"), dialAs("bob"), dialAs("token")
	closed := func(c *websocket.Conn) bool {
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return !strings.Contains(err.Error(), "timeout")
			}
		}
	}
	if !closed(bob) {
		t.Error("the expired session's connection stayed open")
	}
	h.EndSession("alice-session")
	if !closed(alice) {
		t.Error("the logged-out session's connection stayed open")
	}
	h.Publish(engine.Event{Kind: "action_execution", ID: "a", Async: true})
	if m := read(t, token); m.ID != "a" {
		t.Errorf("a connection without a session got %+v", m)
	}
}

// TestConnectionsPerSession: a session holds at most MaxPerSession live
// connections; the next handshake is refused with 429 and Retry-After
// (other sessions are not), and closing one frees its place.
func TestConnectionsPerSession(t *testing.T) {
	t.Parallel()
	const max = 3
	srv := httptest.NewUnstartedServer(nil)
	h := New(Config{BaseURL: "http://" + srv.Listener.Addr().String(), MaxPerSession: max})
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := r.URL.Query().Get("session")
		r = r.WithContext(WithSession(r.Context(), s, time.Now().Add(time.Hour)))
		h.ServeHTTP(w, r)
	})
	srv.Start()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; srv.Close() })

	dialAs := func(session string) (*websocket.Conn, *http.Response, error) {
		u := "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws?topic=inbox&session=" + session
		c, res, err := websocket.DefaultDialer.Dial(u, http.Header{"Origin": {srv.URL}})
		if err == nil {
			t.Cleanup(func() { c.Close() })
		}
		return c, res, err
	}
	var first *websocket.Conn
	for i := range max {
		c, _, err := dialAs("s1")
		if err != nil {
			t.Fatalf("connection %d of s1: %v", i+1, err)
		}
		if i == 0 {
			first = c
		}
	}
	_, res, err := dialAs("s1")
	if err == nil || res == nil || res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("connection %d of s1: %v %v, want 429 with Retry-After", max+1, res, err)
	}
	if _, _, err := dialAs("s2"); err != nil {
		t.Errorf("another session: %v", err)
	}
	// Closing a connection frees its place once the hub has dropped it.
	first.Close()
	for h.Clients() > max { // s1's three and s2's one, until first is dropped
		runtime.Gosched()
	}
	if _, _, err := dialAs("s1"); err != nil {
		t.Errorf("s1 after closing one: %v", err)
	}
}

// TestResyncReachesClients: Resync (the engine's listener lost its link to
// the other replicas) sends every client, whatever its topics, a resync
// at once, with no event to carry it.
func TestResyncReachesClients(t *testing.T) {
	t.Parallel()
	h, srv := start(t, Config{})
	page, _, err := dial(t, srv, srv.URL, "execution:x")
	if err != nil {
		t.Fatal(err)
	}
	inbox, _, err := dial(t, srv, srv.URL, "inbox")
	if err != nil {
		t.Fatal(err)
	}
	h.Resync()
	for _, c := range []*websocket.Conn{page, inbox} {
		if m := read(t, c); m.Kind != "resync" {
			t.Errorf("got %+v, want a resync", m)
		}
	}
}

func TestLoopbackOrigins(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		base string
		want []string
	}{
		{"http://127.0.0.1:8080", []string{"http://localhost:8080", "http://127.0.0.1:8080", "http://[::1]:8080"}},
		{"http://localhost:8080/", []string{"http://localhost:8080", "http://127.0.0.1:8080", "http://[::1]:8080"}},
		{"https://[::1]", []string{"https://localhost", "https://127.0.0.1", "https://[::1]"}},
		{"https://sirocco.example.com", nil},
		{"http://10.0.0.5:8080", nil},
		{"", nil},
	} {
		if got := loopbackOrigins(tc.base); strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("loopbackOrigins(%q) = %v, want %v", tc.base, got, tc.want)
		}
	}
}
