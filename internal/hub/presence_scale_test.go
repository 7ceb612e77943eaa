package hub

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/sirocco-project/sirocco/internal/engine"
)

// The scale of presence: 1,000 connections over 100 sessions (10 pages
// each, under DefaultMaxPerSession) of 100 people, following 50 actions
// (20 viewers each).
const (
	scaleConns    = 1000
	scaleSessions = 100
	scaleActions  = 50
)

// scaleHub runs a hub whose requests carry their session and person in
// headers (the dashboard sets them from the session cookie).
func scaleHub(tb testing.TB, cfg Config) (*Hub, string) {
	tb.Helper()
	srv := httptest.NewUnstartedServer(nil)
	cfg.BaseURL = "http://" + srv.Listener.Addr().String()
	h := New(cfg)
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := WithSession(r.Context(), r.Header.Get("X-Session"), time.Time{})
		r = r.WithContext(WithViewer(ctx, r.Header.Get("X-Viewer")))
		h.ServeHTTP(w, r)
	})
	srv.Start()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
	tb.Cleanup(func() {
		cancel()
		<-done
		srv.Close()
	})
	return h, "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws"
}

// scaleDial opens connection i: session i%100, person user<i%100>,
// action a<i%50>. Its client side keeps small buffers and no reader, so
// that the memory measured is mostly the server's.
func scaleDial(tb testing.TB, url string, i int) *websocket.Conn {
	d := websocket.Dialer{ReadBufferSize: 256, WriteBufferSize: 256, HandshakeTimeout: 10 * time.Second}
	hdr := http.Header{"X-Session": {fmt.Sprintf("s%03d", i%scaleSessions)}, "X-Viewer": {fmt.Sprintf("user%03d", i%scaleSessions)}}
	c, _, err := d.Dial(fmt.Sprintf("%s?topic=action:a%02d", url, i%scaleActions), hdr)
	if err != nil {
		tb.Fatalf("connection %d: %v", i, err)
	}
	return c
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// TestPresenceThousandConnections opens 1,000 connections over 100
// sessions and 50 actions and reports what each costs (heap and
// goroutines, both ends of the socket in this process: an upper bound of
// the server's share) and how many presence messages the joins fanned
// out; it checks that each action's viewers are its own and that every
// presence message went to that action's watchers only.
//
//	go test ./internal/hub -run ThousandConnections -v
func TestPresenceThousandConnections(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 1,000 sockets")
	}
	h, url := scaleHub(t, Config{})
	goroutines := runtime.NumGoroutine()
	before := heapInUse()
	conns := make([]*websocket.Conn, scaleConns)
	for i := range conns {
		conns[i] = scaleDial(t, url, i)
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	if h.Clients() != scaleConns {
		t.Fatalf("%d clients registered, want %d", h.Clients(), scaleConns)
	}
	after := heapInUse()
	perConn := float64(after-before) / scaleConns
	perGoroutines := float64(runtime.NumGoroutine()-goroutines) / scaleConns
	// Each action's viewers: the 2 people whose connections follow it
	// (user i%100 on action i%50), 10 pages each.
	for a := 0; a < scaleActions; a++ {
		want := []string{fmt.Sprintf("user%03d", a), fmt.Sprintf("user%03d", a+scaleActions)}
		if got := h.Viewers(fmt.Sprintf("a%02d", a)); !slices.Equal(got, want) {
			t.Fatalf("viewers of a%02d: %v, want %v", a, got, want)
		}
	}
	// Every message each connection got is about its own action; the
	// first page of each person on an action changes the list, the
	// other nine do not (the list stays the same): 2 changes per
	// action, each to the watchers connected at that time.
	// The joins' messages: per action, its first connection (user a)
	// got [a] then [a, a+50], its second (user a+50) [a, a+50], the
	// other eight nothing (the list did not change). Then a marker, a
	// viewer announced by another replica on every action: it must be
	// each connection's next message, so nothing else was sent to it.
	// Every join's messages were queued before its handshake completed.
	for a := 0; a < scaleActions; a++ {
		h.Publish(engine.Event{Kind: engine.PresenceKind, ID: fmt.Sprintf("a%02d", a), Via: "zz-marker", State: engine.PresenceViewing})
	}
	errs := make(chan error, scaleConns)
	var received atomic.Int64
	for i, c := range conns {
		go func() {
			want := fmt.Sprintf("a%02d", i%scaleActions)
			joins := 0
			switch {
			case i < scaleActions:
				joins = 2
			case i < 2*scaleActions:
				joins = 1
			}
			c.SetReadDeadline(time.Now().Add(30 * time.Second))
			for k := 0; k <= joins; k++ {
				var m presenceMessage
				if err := c.ReadJSON(&m); err != nil {
					errs <- fmt.Errorf("connection %d: message %d: %v", i, k, err)
					return
				}
				marker := slices.Contains(m.Viewers, "zz-marker")
				if m.Kind != "presence" || m.ID != want || marker != (k == joins) {
					errs <- fmt.Errorf("connection %d (action %s): message %d is %+v", i, want, k, m)
					return
				}
				if !marker {
					received.Add(1)
				}
			}
			errs <- nil
		}()
	}
	for range conns {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d connections, %d sessions, %d actions: %.1f KiB of heap and %.1f goroutines per connection (both ends); %d presence messages fanned out for the joins",
		scaleConns, scaleSessions, scaleActions, perConn/1024, perGoroutines, received.Load())
	if perConn > 256<<10 {
		t.Errorf("%.0f KiB per connection; want under 256 KiB", perConn/1024)
	}
}

// BenchmarkPresenceFanOut measures the cost of one presence change
// (another replica's viewer arriving or leaving) with 1,000 connections
// open: from Publish until every watcher of the action has read it. With
// 50 actions it reaches 20 watchers; "one-action" puts all 1,000 on one
// action's page.
//
//	go test ./internal/hub -run '^$' -bench PresenceFanOut -benchtime 200x
func BenchmarkPresenceFanOut(b *testing.B) {
	for _, bc := range []struct {
		name    string
		actions int
	}{{"50-actions", scaleActions}, {"one-action", 1}} {
		b.Run(bc.name, func(b *testing.B) {
			h, url := scaleHub(b, Config{SendBuffer: 256})
			watchers := make(chan struct{}, scaleConns*4)
			// cur is the remote viewer whose arrival is being timed: only
			// messages listing them count.
			var cur atomic.Value
			cur.Store("")
			conns := make([]*websocket.Conn, 0, scaleConns)
			done := make(chan struct{})
			defer func() {
				for _, c := range conns {
					c.Close()
				}
				close(done)
			}()
			for i := 0; i < scaleConns; i++ {
				d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
				hdr := http.Header{"X-Session": {fmt.Sprintf("s%03d", i%scaleSessions)}, "X-Viewer": {fmt.Sprintf("user%03d", i%scaleSessions)}}
				c, _, err := d.Dial(fmt.Sprintf("%s?topic=action:a%02d", url, i%bc.actions), hdr)
				if err != nil {
					b.Fatal(err)
				}
				conns = append(conns, c)
				counted := i%bc.actions == 0 // the watchers of a00
				go func() {
					for {
						var m presenceMessage
						if err := c.ReadJSON(&m); err != nil {
							return
						}
						if counted && m.ID == "a00" && slices.Contains(m.Viewers, cur.Load().(string)) {
							select {
							case watchers <- struct{}{}:
							case <-done:
								return
							}
						}
					}
				}()
			}
			n := scaleConns / bc.actions
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				who := fmt.Sprintf("remote%06d", i)
				cur.Store(who)
				start := time.Now()
				h.Publish(engine.Event{Kind: engine.PresenceKind, ID: "a00", Via: who, State: engine.PresenceViewing})
				for k := 0; k < n; k++ {
					select {
					case <-watchers:
					case <-time.After(10 * time.Second):
						b.Fatalf("change %d reached %d of %d watchers", i, k, n)
					}
				}
				lat = append(lat, time.Since(start))
				h.Publish(engine.Event{Kind: engine.PresenceKind, ID: "a00", Via: who, State: engine.PresenceGone})
			}
			b.StopTimer()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(n), "watchers")
		})
	}
}
