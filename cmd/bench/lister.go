package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// listers are -listers clients that, beside the measured callbacks, page
// through the run's RUNNING action executions every -list-every, -list-limit
// at a time, the way a callback service polls for its work: they are load
// on the server's readers, and their page latency is reported beside the
// callbacks'.
type listers struct {
	b     *bench
	limit int
	rec   *Recorder // page latencies, one slot per lister

	pages, items, sweeps atomic.Int64
	overran              atomic.Int64 // sweeps longer than -list-every
}

func newListers(b *bench) *listers {
	return &listers{b: b, limit: b.cfg.listLimit, rec: NewRecorder(b.cfg.listers)}
}

// errMarkerStuck is a page that ends on the marker it was asked to start
// after: a server that ignores markers would otherwise be listed for ever.
var errMarkerStuck = errors.New("page ends on its own marker")

// sweep pages lister w through the run's RUNNING actions from the first to
// a page shorter than the limit (the last).
func (l *listers) sweep(ctx context.Context, w int) error {
	marker := ""
	for {
		t := time.Now()
		page, err := l.b.cl.PendingActions(ctx, l.b.workflow, l.limit, marker)
		if err != nil {
			return err
		}
		l.rec.Add(w, time.Since(t))
		l.pages.Add(1)
		l.items.Add(int64(len(page)))
		if len(page) < l.limit {
			return nil
		}
		last := page[len(page)-1].ID
		if last == marker {
			return fmt.Errorf("list after %s: %w", marker, errMarkerStuck)
		}
		marker = last
	}
}

// run sweeps at once and then once a tick, until ctx ends or tick closes.
// A sweep longer than -list-every does not queue sweeps up (a time.Ticker
// drops the ticks it missed, as a poller on a timer would); it is counted
// as overrun.
func (l *listers) run(ctx context.Context, w int, tick <-chan time.Time) {
	for {
		t0 := time.Now()
		if err := l.sweep(ctx, w); err != nil {
			if ctx.Err() != nil {
				return // stopped mid-sweep: not a failure
			}
			l.b.fail(fmt.Errorf("lister %d: %w", w, err))
		} else {
			l.sweeps.Add(1)
			if time.Since(t0) > l.b.cfg.listEvery {
				l.overran.Add(1)
			}
		}
		select {
		case <-ctx.Done():
			return
		case _, ok := <-tick:
			if !ok {
				return
			}
		}
	}
}

// start runs the listers until the returned stop is called; stop waits for
// them.
func (l *listers) start(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for w := range l.b.cfg.listers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tk := time.NewTicker(l.b.cfg.listEvery)
			defer tk.Stop()
			l.run(ctx, w, tk.C)
		}()
	}
	return func() { cancel(); wg.Wait() }
}

// startListers starts -listers listers (none without the flag); stop ends
// them and waits, so that their counts are final.
func (b *bench) startListers(ctx context.Context) (*listers, func()) {
	if b.cfg.listers == 0 {
		return nil, func() {}
	}
	l := newListers(b)
	return l, l.start(ctx)
}

// result prints the listers' line and returns their RESULT fields ("" with
// no listers, so the line is as before).
func (l *listers) result() string {
	if l == nil {
		return ""
	}
	s := Summarize(l.rec.All())
	fmt.Fprintf(l.b.out, "listers: %d every %s, limit %d: %d sweeps (%d longer than the interval), %d pages, %d actions listed; page latency %s\n",
		l.b.cfg.listers, l.b.cfg.listEvery, l.limit, l.sweeps.Load(), l.overran.Load(), l.pages.Load(), l.items.Load(), s)
	return fmt.Sprintf(" listers=%d list_every_ms=%.0f list_limit=%d list_sweeps=%d list_pages=%d list_items=%d list_p50_ms=%.2f list_p99_ms=%.2f",
		l.b.cfg.listers, msf(l.b.cfg.listEvery), l.limit, l.sweeps.Load(), l.pages.Load(), l.items.Load(), msf(s.P50), msf(s.P99))
}
