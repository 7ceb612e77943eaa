package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// pipeline runs -n whole workflows with starts and callbacks overlapping,
// as on a busy server: each of -c workers completes a pending action when
// one is known and otherwise starts the next workflow; one lister finds the
// pending actions with a bulk list (GET /v2/action_executions?state=RUNNING,
// the way a service that polls for work would). The rate is -n divided by
// the time from the first start to the moment every execution is SUCCESS.
func (b *bench) pipeline(ctx context.Context) error {
	n, c := b.cfg.n, b.cfg.c
	start, cb := NewRecorder(c), NewRecorder(c)
	found := make(chan pendingAction, c)
	// started counts start tickets taken; tried the starts answered, ok
	// the ones that succeeded: the lister stops once it has handed out ok.
	var started, tried, ok, completed atomic.Int64
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	m := b.begin()
	t0 := time.Now()
	var lists atomic.Int64
	sh := shapes[b.cfg.shape]
	go func() {
		defer close(found)
		h := newHandout(sh.asyncActions, n)
		// Pages continue after the newest action listed (keyset). Once
		// every workflow is started, a page that finds nothing new is
		// followed by one from the start, for servers (Mistral) whose
		// creation times need not follow commit order.
		marker := ""
		const limit, listPause = 1000, 2 * time.Millisecond
		pause := listPause
		for ctx.Err() == nil && !h.done(n, tried.Load(), ok.Load()) {
			page, err := b.cl.PendingActions(ctx, b.workflow, limit, marker)
			lists.Add(1)
			if err != nil {
				b.fail(fmt.Errorf("list pending actions: %w", err))
				cancel() // without the lister nothing completes
				return
			}
			fresh := h.take(page)
			for _, a := range fresh {
				select {
				case found <- a:
				case <-ctx.Done():
					return
				}
			}
			if len(page) > 0 {
				marker = page[len(page)-1].ID
			}
			if len(page) == limit {
				continue // more are waiting already
			}
			if len(fresh) == 0 && tried.Load() == int64(n) {
				marker = "" // all started, some not found: look from the start
				// With no execution left unfinished no action will come:
				// stop, and let the SUCCESS count below tell what went
				// wrong, rather than list until -timeout.
				if more, err := b.cl.AnyUnfinished(ctx, b.workflow); err == nil && !more {
					return
				}
			}
			// A short pause lets actions accumulate, so that one list finds
			// several: the lister's requests are load on the server too.
			if len(fresh) > 0 {
				pause = listPause
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(pause):
			}
			pause = min(pause*2, 20*time.Millisecond)
		}
	}()

	ls, stopListers := b.startListers(ctx)
	var wg sync.WaitGroup
	for w := range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			complete := func(a pendingAction) {
				t := time.Now()
				if err := b.cl.Complete(ctx, a.ID); err != nil {
					b.fail(err)
					return
				}
				cb.Add(w, time.Since(t))
				completed.Add(1)
			}
			for ctx.Err() == nil {
				select {
				case a, ok := <-found:
					if !ok {
						return
					}
					complete(a)
					continue
				default:
				}
				if started.Add(1) > int64(n) {
					// All started: only callbacks are left.
					for a := range found {
						complete(a)
					}
					return
				}
				t := time.Now()
				_, err := b.cl.StartExecution(ctx, b.workflow)
				if err != nil {
					b.fail(err)
				} else {
					start.Add(w, time.Since(t))
					ok.Add(1)
				}
				tried.Add(1)
			}
		}()
	}
	wg.Wait()
	stopListers()
	if err := b.waitFinished(ctx); err != nil {
		return err
	}
	wall := time.Since(t0)
	cpu, peak := m.end()
	done, err := b.cl.CountExecutions(ctx, b.workflow, "SUCCESS", n)
	if err != nil {
		return err
	}
	// Task executions are counted on the server, after the timed part,
	// rather than taken from the shape: a task the engine skipped or ran
	// twice shows.
	tasks, err := b.cl.CountTasks(ctx, b.workflow, "SUCCESS", n*sh.taskExecs+1)
	if err != nil {
		return fmt.Errorf("count tasks: %w", err)
	}
	fmt.Fprintf(b.out, "pipeline: %d/%d workflows SUCCESS in %s: %.1f workflows/s end to end (%d callbacks, %d bulk lists)\n",
		done, n, wall.Round(time.Millisecond), Rate(done, wall), completed.Load(), lists.Load())
	fmt.Fprintf(b.out, "shape %s: %d task executions SUCCESS (%d a workflow), %.1f task transitions to SUCCESS/s; %.1f callbacks/s\n",
		b.cfg.shape, tasks, sh.taskExecs, Rate(tasks, wall), Rate(int(completed.Load()), wall))
	s, k := Summarize(start.All()), Summarize(cb.All())
	fmt.Fprintf(b.out, "latency start    %s\n", s)
	fmt.Fprintf(b.out, "latency callback %s\n", k)
	b.reportServer("run", cpu, peak, done)
	fmt.Fprintf(b.out, "RESULT mode=pipeline n=%d c=%d e2e_per_s=%.1f start_p50_ms=%.2f start_p99_ms=%.2f cb_p50_ms=%.2f cb_p95_ms=%.2f cb_p99_ms=%.2f cpu_ms_per_wf=%.3f peak_rss_mb=%.1f shape=%s tasks_per_s=%.1f callbacks_per_s=%.1f%s\n",
		n, c, Rate(done, wall), msf(s.P50), msf(s.P99), msf(k.P50), msf(k.P95), msf(k.P99), perWF(cpu, done), float64(peak)/1024,
		b.cfg.shape, Rate(tasks, wall), Rate(int(completed.Load()), wall), ls.result())
	if done != n {
		return fmt.Errorf("%d of %d executions reached SUCCESS", done, n)
	}
	if want := done * sh.taskExecs; tasks != want {
		return fmt.Errorf("%d task executions reached SUCCESS, want %d (%d a workflow)", tasks, want, sh.taskExecs)
	}
	if want := done * sh.asyncActions; int(completed.Load()) != want {
		return fmt.Errorf("%d callbacks, want %d (%d a workflow)", completed.Load(), want, sh.asyncActions)
	}
	return ctx.Err()
}

// handout is the lister's account of the actions it has handed to the
// workers: which, and whether that is all the run will have.
type handout struct {
	perWorkflow int // asynchronous actions per workflow
	seen        map[string]bool
}

func newHandout(perWorkflow, n int) *handout {
	return &handout{perWorkflow: perWorkflow, seen: make(map[string]bool, n*perWorkflow)}
}

// take returns the actions of a page to complete: the asynchronous ones not
// handed out before. A synchronous action (the chain's std.echo) is RUNNING
// while the engine runs it; it is not the client's to complete, and
// counting it would end the listing before the last asynchronous ones.
func (h *handout) take(page []pendingAction) []pendingAction {
	var fresh []pendingAction
	for _, a := range page {
		if a.Name != asyncAction || h.seen[a.ID] {
			continue // or handed out already, its callback not yet through
		}
		h.seen[a.ID] = true
		fresh = append(fresh, a)
	}
	return fresh
}

// done reports whether every start has been answered (tried of n) and every
// asynchronous action of the ok ones that succeeded handed out.
func (h *handout) done(n int, tried, ok int64) bool {
	return tried == int64(n) && int64(len(h.seen)) >= ok*int64(h.perWorkflow)
}
