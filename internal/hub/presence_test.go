package hub

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/sirocco-project/sirocco/internal/engine"
)

// fakeClock is the hub's clock in the presence tests.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// startPresence runs a hub whose requests name their person in the
// X-Viewer header (the dashboard sets WithViewer from the session), with
// the clock and ticks of the test.
func startPresence(t *testing.T, cfg Config) (*Hub, *httptest.Server) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	cfg.BaseURL = "http://" + srv.Listener.Addr().String()
	h := New(cfg)
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u := r.Header.Get("X-Viewer"); u != "" {
			r = r.WithContext(WithViewer(r.Context(), u))
		}
		h.ServeHTTP(w, r)
	})
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

func dialAs(t *testing.T, srv *httptest.Server, user string, topics ...string) *websocket.Conn {
	t.Helper()
	u := "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws?topic=" + strings.Join(topics, "&topic=")
	hdr := http.Header{}
	if user != "" {
		hdr.Set("X-Viewer", user)
	}
	c, _, err := websocket.DefaultDialer.Dial(u, hdr)
	if err != nil {
		t.Fatalf("dial as %s: %v", user, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// readPresence reads the next message, which must be a presence one.
func readPresence(t *testing.T, c *websocket.Conn) presenceMessage {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var m presenceMessage
	if err := c.ReadJSON(&m); err != nil {
		t.Fatalf("read: %v", err)
	}
	if m.Kind != "presence" {
		t.Fatalf("message %+v, want a presence one", m)
	}
	return m
}

// TestPresence: the viewers of an action learn who has it open; someone
// whose heartbeat lapsed on the hub's clock is gone, and back with their
// next heartbeat; someone whose socket closed is gone; the viewers of
// another action, and the inbox, are told nothing.
func TestPresence(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	clock := &fakeClock{now: t0}
	tick := make(chan time.Time)
	h, srv := startPresence(t, Config{Now: clock.Now, PresenceLapse: time.Minute, PresenceTick: tick})

	other := dialAs(t, srv, "olga", "action:B", "inbox")
	bob := dialAs(t, srv, "bob", "action:A")
	if m := readPresence(t, bob); m.ID != "A" || !slices.Equal(m.Viewers, []string{"bob"}) {
		t.Fatalf("bob opens A: %+v", m)
	}
	clock.set(t0.Add(40 * time.Second))
	alice := dialAs(t, srv, "alice", "action:A")
	for _, c := range []*websocket.Conn{bob, alice} {
		if m := readPresence(t, c); !slices.Equal(m.Viewers, []string{"alice", "bob"}) {
			t.Fatalf("alice opens A: %+v", m)
		}
	}
	if got := h.Viewers("A"); !slices.Equal(got, []string{"alice", "bob"}) {
		t.Errorf("Viewers(A) = %v", got)
	}

	// At t0+70s bob's heartbeat (t0) has lapsed, alice's (t0+40s) not.
	clock.set(t0.Add(70 * time.Second))
	tick <- clock.Now()
	if m := readPresence(t, alice); !slices.Equal(m.Viewers, []string{"alice"}) {
		t.Fatalf("after bob's lapse: %+v", m)
	}
	// His next heartbeat brings him back.
	if err := bob.WriteMessage(websocket.TextMessage, []byte(`{"kind":"heartbeat"}`)); err != nil {
		t.Fatal(err)
	}
	if m := readPresence(t, alice); !slices.Equal(m.Viewers, []string{"alice", "bob"}) {
		t.Fatalf("after bob's heartbeat: %+v", m)
	}
	// He closes his page: gone.
	bob.Close()
	if m := readPresence(t, alice); !slices.Equal(m.Viewers, []string{"alice"}) {
		t.Fatalf("after bob left: %+v", m)
	}
	// olga, on B and the inbox, was told nothing of A: after her own
	// presence on B, and its lapse (she sent no heartbeat either), the
	// next message she gets is the inbox event published now.
	if m := readPresence(t, other); m.ID != "B" || !slices.Equal(m.Viewers, []string{"olga"}) {
		t.Fatalf("olga opens B: %+v", m)
	}
	if m := readPresence(t, other); m.ID != "B" || len(m.Viewers) != 0 {
		t.Fatalf("olga's lapse: %+v", m)
	}
	h.Publish(engine.Event{Kind: "action_execution", ID: "x", Async: true, State: engine.StateRunning})
	other.SetReadDeadline(time.Now().Add(5 * time.Second))
	var m message
	if err := other.ReadJSON(&m); err != nil || m.Kind != "action_execution" || m.ID != "x" {
		t.Fatalf("olga's first message: %+v %v, want the inbox event", m, err)
	}
}

// TestPresenceAcrossReplicas: two hubs, wired as the engine wires them
// through the store's notices (Announce on one, Publish on the other):
// a viewer on one replica is shown on the other, and is gone there when
// they leave, or when their replica stops announcing them (it died).
func TestPresenceAcrossReplicas(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	clock := &fakeClock{now: t0}
	tickB := make(chan time.Time)
	var hb *Hub
	wire := make(chan []engine.Event, 16) // what replica A announced
	ha, srvA := startPresence(t, Config{Now: clock.Now, PresenceLapse: time.Minute, PresenceTick: make(chan time.Time),
		Announce: func(_ context.Context, evs []engine.Event) error { wire <- evs; return nil }})
	hb, srvB := startPresence(t, Config{Now: clock.Now, PresenceLapse: time.Minute, PresenceTick: tickB})
	_ = ha
	relay := func() {
		t.Helper()
		select {
		case evs := <-wire:
			for _, ev := range evs {
				hb.Publish(ev)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("replica A announced nothing")
		}
	}

	bob := dialAs(t, srvB, "bob", "action:A")
	readPresence(t, bob) // himself
	alice := dialAs(t, srvA, "alice", "action:A")
	readPresence(t, alice)
	relay()
	if m := readPresence(t, bob); !slices.Equal(m.Viewers, []string{"alice", "bob"}) {
		t.Fatalf("bob on B sees %+v, want alice (on A) too", m)
	}
	alice.Close()
	relay()
	if m := readPresence(t, bob); !slices.Equal(m.Viewers, []string{"bob"}) {
		t.Fatalf("after alice left A: %+v", m)
	}
	// A replica that stops announcing (it died): its viewers lapse.
	hb.Publish(engine.Event{Kind: engine.PresenceKind, ID: "A", Via: "carol", State: engine.PresenceViewing})
	if m := readPresence(t, bob); !slices.Equal(m.Viewers, []string{"bob", "carol"}) {
		t.Fatalf("carol announced: %+v", m)
	}
	clock.set(t0.Add(61 * time.Second))
	tickB <- clock.Now()
	if m := readPresence(t, bob); len(m.Viewers) != 0 {
		t.Fatalf("after a minute of silence from everyone: %+v", m)
	}
	// bob's heartbeat brings him back; carol's replica said nothing more.
	if err := bob.WriteMessage(websocket.TextMessage, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if m := readPresence(t, bob); !slices.Equal(m.Viewers, []string{"bob"}) {
		t.Fatalf("after bob's heartbeat: %+v", m)
	}
}
