package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// idleRSS reads the server's RSS, leaves -n actions waiting, and reads it
// again: the target is under 40 MB idle and under 8 MB more per 10,000.
func (b *bench) idleRSS(ctx context.Context) error {
	if b.procs == nil {
		return errors.New("idle-rss needs -pid")
	}
	before := b.procs.Sample()
	fmt.Fprintf(b.out, "before: rss=%s hwm=%s threads=%d fds=%d\n", mb(before.RSSkB), mb(before.HWMkB), before.Threads, before.FDs)
	ok, _, _ := b.startPhase(ctx)
	if _, err := b.waitActions(ctx, ok); err != nil {
		return fmt.Errorf("waiting for %d pending actions: %w", ok, err)
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(b.cfg.settle):
	}
	after := b.procs.Sample()
	delta := after.RSSkB - before.RSSkB
	per10k := float64(delta) / 1024 * 10000 / float64(max(ok, 1))
	fmt.Fprintf(b.out, "after %d waiting actions: rss=%s hwm=%s threads=%d fds=%d\n", ok, mb(after.RSSkB), mb(after.HWMkB), after.Threads, after.FDs)
	fmt.Fprintf(b.out, "RESULT mode=idle-rss n=%d rss_before_mb=%.1f rss_after_mb=%.1f hwm_after_mb=%.1f delta_mb=%.1f mb_per_10k=%.2f\n",
		ok, float64(before.RSSkB)/1024, float64(after.RSSkB)/1024, float64(after.HWMkB)/1024, float64(delta)/1024, per10k)
	return ctx.Err()
}

// soak starts -rate workflows per second (each a full e2e cycle, at most
// -c in flight) for -duration and samples the server every -sample.
func (b *bench) soak(ctx context.Context) error {
	cfg := b.cfg
	total := int(cfg.rate * cfg.duration.Seconds())
	start, cb, e2e := NewRecorder(cfg.c), NewRecorder(cfg.c), NewRecorder(cfg.c)

	// Workers take launch tickets; a ticket that finds no free worker
	// waits, and is counted late, so the offered rate is never exceeded.
	tickets := make(chan struct{}, cfg.c)
	var late, done atomic.Int64
	var wg sync.WaitGroup
	for w := range cfg.c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range tickets {
				if err := b.cycle(ctx, w, start, cb, e2e); err != nil {
					b.fail(err)
					continue
				}
				done.Add(1)
			}
		}()
	}

	var samples []Status
	sampleNow := func(t0 time.Time) {
		if b.procs == nil {
			return
		}
		s := b.procs.Sample()
		s.Goroutines = b.cl.Goroutines(ctx)
		samples = append(samples, s)
		fmt.Fprintf(b.out, "t=%4.0fs done=%d rss=%s threads=%d fds=%d goroutines=%d\n", time.Since(t0).Seconds(), done.Load(), mb(s.RSSkB), s.Threads, s.FDs, s.Goroutines)
	}

	m := b.begin()
	t0 := time.Now()
	sampleNow(t0)
	interval := time.Duration(float64(time.Second) / cfg.rate)
	tick := time.NewTicker(interval)
	sample := time.NewTicker(cfg.sample)
	sent := 0
loop:
	for sent < total {
		select {
		case <-ctx.Done():
			break loop
		case <-sample.C:
			sampleNow(t0)
		case <-tick.C:
			select {
			case tickets <- struct{}{}:
			default:
				late.Add(1)
				select {
				case tickets <- struct{}{}:
				case <-ctx.Done():
					break loop
				}
			}
			sent++
		}
	}
	tick.Stop()
	sample.Stop()
	close(tickets)
	wg.Wait()
	wall := time.Since(t0)
	sampleNow(t0)
	cpu, peak := m.end()

	fmt.Fprintf(b.out, "soak: %d/%d workflows in %s (offered %.0f/s, achieved %.1f/s, %d launches late)\n",
		done.Load(), total, wall.Round(time.Second), cfg.rate, Rate(int(done.Load()), wall), late.Load())
	fmt.Fprintf(b.out, "latency start    %s\n", Summarize(start.All()))
	fmt.Fprintf(b.out, "latency callback %s\n", Summarize(cb.All()))
	fmt.Fprintf(b.out, "latency e2e      %s\n", Summarize(e2e.All()))
	b.reportServer("soak", cpu, peak, int(done.Load()))
	if len(samples) >= 4 {
		g := growth(samples)
		fmt.Fprintf(b.out, "growth (mean of last quarter of samples minus first quarter, after the first sample): rss %+.1f MB, threads %+.1f, fds %+.1f, goroutines %+.1f; max rss %s, max threads %d, max fds %d, max goroutines %d\n",
			g.rssMB, g.threads, g.fds, g.goroutines, mb(g.maxRSS), g.maxThreads, g.maxFDs, g.maxGoroutines)
		k := Summarize(cb.All())
		fmt.Fprintf(b.out, "RESULT mode=soak rate=%.0f duration_s=%.0f done=%d late=%d cb_p99_ms=%.2f e2e_p99_ms=%.2f cpu_ms_per_wf=%.3f rss_first_mb=%.1f rss_last_mb=%.1f rss_growth_mb=%.1f threads_first=%d threads_last=%d fds_first=%d fds_last=%d goroutines_first=%d goroutines_last=%d\n",
			cfg.rate, wall.Seconds(), done.Load(), late.Load(), msf(k.P99), msf(Summarize(e2e.All()).P99), perWF(cpu, int(done.Load())),
			float64(samples[1].RSSkB)/1024, float64(samples[len(samples)-1].RSSkB)/1024, g.rssMB,
			samples[1].Threads, samples[len(samples)-1].Threads, samples[1].FDs, samples[len(samples)-1].FDs,
			samples[1].Goroutines, samples[len(samples)-1].Goroutines)
	}
	return ctx.Err()
}

type soakGrowth struct {
	rssMB, threads, fds, goroutines   float64
	maxRSS                            int64
	maxThreads, maxFDs, maxGoroutines int
}

// growth compares the mean of the last quarter of samples with the first
// quarter, skipping sample 0 (taken before any load, when the server has
// not yet grown its pools to their working size).
func growth(samples []Status) soakGrowth {
	s := samples[1:]
	q := max(len(s)/4, 1)
	mean := func(xs []Status) (rss, th, fd, gr float64) {
		for _, x := range xs {
			rss += float64(x.RSSkB) / 1024
			th += float64(x.Threads)
			fd += float64(x.FDs)
			gr += float64(x.Goroutines)
		}
		n := float64(len(xs))
		return rss / n, th / n, fd / n, gr / n
	}
	r0, t0, f0, g0 := mean(s[:q])
	r1, t1, f1, g1 := mean(s[len(s)-q:])
	g := soakGrowth{rssMB: r1 - r0, threads: t1 - t0, fds: f1 - f0, goroutines: g1 - g0}
	for _, x := range samples {
		g.maxRSS = max(g.maxRSS, x.RSSkB)
		g.maxThreads = max(g.maxThreads, x.Threads)
		g.maxFDs = max(g.maxFDs, x.FDs)
		g.maxGoroutines = max(g.maxGoroutines, x.Goroutines)
	}
	return g
}
