package hub

import (
	"context"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/sirocco-project/sirocco/internal/engine"
)

// BenchmarkFanOut1000 measures how long a state change takes to reach 1,000
// connected dashboard websockets (real connections on loopback): from
// Publish until the last client has read it. It reports the p50 and p99
// over b.N events:
//
//	go test ./internal/hub -run '^$' -bench FanOut1000 -benchtime 200x
func BenchmarkFanOut1000(b *testing.B) {
	const clients = 1000
	srv := httptest.NewUnstartedServer(nil)
	h := New(Config{BaseURL: "http://" + srv.Listener.Addr().String(), SendBuffer: 256})
	srv.Config.Handler = h
	srv.Start()
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws?topic=inbox"
	received := make(chan struct{}, clients*4)
	var wg sync.WaitGroup
	conns := make([]*websocket.Conn, 0, clients)
	for i := 0; i < clients; i++ {
		c, _, err := websocket.DefaultDialer.Dial(url, map[string][]string{"Origin": {srv.URL}})
		if err != nil {
			b.Fatalf("client %d: %v", i, err)
		}
		conns = append(conns, c)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					return
				}
				received <- struct{}{}
			}
		}()
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
		wg.Wait()
	}()
	for h.Clients() < clients { // every client registered
		time.Sleep(time.Millisecond)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		h.Publish(engine.Event{Kind: "action_execution", ID: "a", State: engine.StateSuccess, Async: true, At: start})
		for n := 0; n < clients; n++ {
			select {
			case <-received:
			case <-time.After(10 * time.Second):
				b.Fatalf("event %d reached %d of %d clients", i, n, clients)
			}
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
