package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// events measures the cross-replica event latency: executions are started
// through the last -url, and a websocket opened on the first (the
// dashboard's /ws, topic "executions") waits for each one's event. With
// two replicas' URLs, every event crosses from one replica to the other
// through the database. Latency runs from the start's answer (its commit
// is done by then) to the event's arrival; an event that arrives before
// the answer counts as 0. This is the one mode that speaks Sirocco's own
// websocket rather than the Mistral API.
func (b *bench) events(ctx context.Context) error {
	listen := b.cl.bases[0]
	act, err := NewClient(b.cl.bases[len(b.cl.bases)-1], b.cfg.c)
	if err != nil {
		return err
	}
	act.token = b.cl.token
	conn, err := dialEvents(ctx, listen, b.cl.token)
	if err != nil {
		return err
	}
	defer conn.Close()

	arrivals := newArrivals()
	readErr := make(chan error, 1)
	go func() {
		for {
			var m struct{ Kind, ID string }
			if err := conn.ReadJSON(&m); err != nil {
				readErr <- err
				return
			}
			if m.Kind == "execution" && m.ID != "" {
				arrivals.arrive(m.ID, time.Now())
			}
		}
	}()

	rec := NewRecorder(b.cfg.c)
	var missed int
	var mu sync.Mutex
	wall := parallel(ctx, b.cfg.n, b.cfg.c, func(w, _ int) {
		id, err := act.StartExecution(ctx, b.workflow)
		if err != nil {
			b.fail(err)
			return
		}
		answered := time.Now()
		select {
		case at := <-arrivals.wait(id):
			rec.Add(w, max(at.Sub(answered), 0))
		case <-time.After(b.cfg.eventWait):
			mu.Lock()
			missed++
			mu.Unlock()
		case <-ctx.Done():
		}
	})
	select {
	case err := <-readErr:
		return fmt.Errorf("websocket: %w", err)
	default:
	}
	s := Summarize(rec.All())
	fmt.Fprintf(b.out, "events: %d started through %s, seen on %s in %s; %d not seen within %s\n", b.cfg.n, act.bases[0], listen, wall.Round(time.Millisecond), missed, b.cfg.eventWait)
	fmt.Fprintf(b.out, "latency event %s\n", s)
	fmt.Fprintf(b.out, "RESULT mode=events n=%d c=%d missed=%d event_p50_ms=%.2f event_p99_ms=%.2f event_max_ms=%.2f\n",
		b.cfg.n, b.cfg.c, missed, msf(s.P50), msf(s.P99), msf(s.Max))
	if missed > 0 {
		return fmt.Errorf("%d events not seen within %s", missed, b.cfg.eventWait)
	}
	return nil
}

// dialEvents opens base's websocket (base ends in /v2) on the topic of
// executions' state changes.
func dialEvents(ctx context.Context, base, token string) (*websocket.Conn, error) {
	u := strings.TrimSuffix(base, "/v2") + "/ws?topic=executions"
	u = "ws" + strings.TrimPrefix(u, "http")
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	conn, resp, err := websocket.DefaultDialer.DialContext(ctx, u, h)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("websocket %s: %d: %w", u, resp.StatusCode, err)
		}
		return nil, fmt.Errorf("websocket %s: %w", u, err)
	}
	return conn, nil
}

// arrivals pairs each execution's first event with the worker waiting
// for it, whichever comes first: the event may arrive before the start's
// answer does.
type arrivals struct {
	mu    sync.Mutex
	slots map[string]chan time.Time
}

func newArrivals() *arrivals { return &arrivals{slots: map[string]chan time.Time{}} }

func (a *arrivals) slot(id string) chan time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	c, ok := a.slots[id]
	if !ok {
		c = make(chan time.Time, 1)
		a.slots[id] = c
	}
	return c
}

// arrive records id's event; only the first one counts.
func (a *arrivals) arrive(id string, at time.Time) {
	select {
	case a.slot(id) <- at:
	default:
	}
}

// wait returns the channel id's first event arrives on.
func (a *arrivals) wait(id string) <-chan time.Time { return a.slot(id) }
