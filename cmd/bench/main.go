// Command bench loads a Mistral v2 API server — Sirocco or a real OpenStack
// Mistral — with workflows of one asynchronous task (std.async_noop), or in
// pipeline mode with -shape chain or fanout, of several tasks, and
// reports throughput, latency percentiles and, given the server's PIDs, its
// CPU time per workflow, memory, threads and open files.
//
// It speaks only the public Mistral v2 REST API, so the same command measures
// both servers side by side. It refuses non-loopback URLs, and every request
// loop is bounded by -n and -timeout.
//
//	go run ./cmd/bench -url http://127.0.0.1:9898/v2 -n 5000 -c 32 -pid $(pgrep ...)
//
// Modes:
//
//	e2e       each of -c workers runs one workflow at a time: start it, find
//	          its pending action, complete it, poll until SUCCESS (default)
//	start     only start -n executions (their actions are left waiting)
//	callback  start -n executions, list their pending actions in bulk, then
//	          time the callbacks alone at -c and wait for all to finish
//	pipeline  -n whole workflows with starts and callbacks overlapping: -c
//	          workers complete pending actions (found by a bulk lister) or
//	          start more; reports workflows/s from first start to last SUCCESS
//	idle-rss  RSS before and after -n actions are left waiting
//	soak      -rate workflows/s (each an e2e cycle) for -duration, sampling
//	          the server's RSS, threads and open files every -sample
//	events    -n executions started through the last -url, each one's
//	          event awaited on a websocket to the first (Sirocco only):
//	          the cross-replica event latency
//
// In callback and pipeline modes, -listers N adds N clients that page
// through the run's RUNNING actions (limit -list-limit, marker = last id) to
// the end every -list-every while the callbacks are timed, as a callback
// service polls for work; their page latency is reported too.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type config struct {
	url        string
	n, c       int
	mode       string
	pids       string
	tree       bool
	timeout    time.Duration
	pollMin    time.Duration
	pollMax    time.Duration
	rate       float64
	duration   time.Duration
	sample     time.Duration
	settle     time.Duration
	cpuprofile string
	token      string
	eventWait  time.Duration
	shape      string
	listers    int
	listEvery  time.Duration
	listLimit  int
}

func parseFlags(args []string, out io.Writer) (*config, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(out)
	cfg := &config{}
	fs.StringVar(&cfg.url, "url", "http://127.0.0.1:8989/v2", "Mistral v2 API base URL, or several separated by commas (replicas: requests take turns); loopback only")
	fs.IntVar(&cfg.n, "n", 1000, "workflows to run (idle-rss: actions left waiting)")
	fs.IntVar(&cfg.c, "c", 32, "concurrent clients")
	fs.DurationVar(&cfg.eventWait, "event-wait", 10*time.Second, "events: how long to wait for an execution's event before counting it missed")
	fs.StringVar(&cfg.mode, "mode", "e2e", "e2e, start, callback, pipeline, idle-rss, soak or events")
	fs.StringVar(&cfg.pids, "pid", "", "server PIDs to measure, comma-separated (e.g. mistral launcher,rabbitmq beam)")
	fs.BoolVar(&cfg.tree, "tree", true, "also measure the descendants of -pid (Mistral forks its API worker)")
	fs.DurationVar(&cfg.timeout, "timeout", 10*time.Minute, "give up after this long")
	fs.DurationVar(&cfg.pollMin, "poll-min", 500*time.Microsecond, "first pause between polls of one execution; doubles up to -poll-max")
	fs.DurationVar(&cfg.pollMax, "poll-max", 50*time.Millisecond, "longest pause between polls of one execution")
	fs.Float64Var(&cfg.rate, "rate", 200, "soak: workflows started per second")
	fs.DurationVar(&cfg.duration, "duration", 10*time.Minute, "soak: how long to run")
	fs.DurationVar(&cfg.sample, "sample", 5*time.Second, "soak: sampling interval")
	fs.DurationVar(&cfg.settle, "settle", 3*time.Second, "idle-rss: pause before reading RSS")
	fs.StringVar(&cfg.cpuprofile, "cpuprofile", "", "write the bench client's own CPU profile here")
	fs.StringVar(&cfg.token, "token", os.Getenv("BENCH_TOKEN"), "API token sent as 'Authorization: Bearer' (env BENCH_TOKEN), for a server with authentication on")
	fs.StringVar(&cfg.shape, "shape", "one", "pipeline: the workflow: one (std.async_noop), chain (std.echo, std.async_noop, std.echo, publishing between them) or fanout (a 10-way with-items of std.async_noop, then a std.echo join)")
	fs.IntVar(&cfg.listers, "listers", 0, "callback, pipeline: clients that page through the run's RUNNING actions beside the callbacks, as a callback service polls for work")
	fs.DurationVar(&cfg.listEvery, "list-every", 100*time.Millisecond, "with -listers: each lister's pause from one sweep's start to the next (a sweep pages to the end)")
	fs.IntVar(&cfg.listLimit, "list-limit", 500, "with -listers: page size (limit=)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if cfg.n <= 0 || cfg.c <= 0 {
		return nil, errors.New("-n and -c must be positive")
	}
	switch cfg.mode {
	case "e2e", "start", "callback", "pipeline", "idle-rss", "soak", "events":
	default:
		return nil, fmt.Errorf("unknown -mode %q (want e2e, start, callback, pipeline, idle-rss, soak or events)", cfg.mode)
	}
	if _, ok := shapes[cfg.shape]; !ok {
		return nil, fmt.Errorf("unknown -shape %q (want %s)", cfg.shape, strings.Join(shapeNames(), ", "))
	}
	if cfg.shape != "one" && cfg.mode != "pipeline" {
		// The other modes find and count one action per workflow.
		return nil, fmt.Errorf("-shape %s needs -mode pipeline", cfg.shape)
	}
	if cfg.listers < 0 {
		return nil, errors.New("-listers must not be negative")
	}
	if cfg.listers > 0 {
		if cfg.mode != "callback" && cfg.mode != "pipeline" {
			return nil, fmt.Errorf("-listers needs -mode callback or pipeline, not %s", cfg.mode)
		}
		if cfg.listEvery <= 0 || cfg.listLimit <= 0 {
			return nil, errors.New("-list-every and -list-limit must be positive")
		}
	}
	if cfg.mode == "soak" && (cfg.rate <= 0 || cfg.duration <= 0) {
		return nil, errors.New("soak needs a positive -rate and -duration")
	}
	return cfg, nil
}

// bench is one run against one server.
type bench struct {
	cfg      *config
	cl       *Client
	procs    *Procs // nil without -pid
	workflow string
	out      io.Writer

	errs     atomic.Int64
	errOnce  sync.Mutex
	errShown int
}

func run(ctx context.Context, args []string, out io.Writer) error {
	cfg, err := parseFlags(args, out)
	if err != nil {
		return err
	}
	if cfg.cpuprofile != "" {
		f, err := os.Create(cfg.cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()

	cl, err := NewClient(cfg.url, cfg.c)
	if err != nil {
		return err
	}
	cl.token = cfg.token
	b := &bench{cfg: cfg, cl: cl, out: out, workflow: fmt.Sprintf("bench_%d", time.Now().UnixNano())}
	if cfg.pids != "" {
		pids, err := parsePIDs(cfg.pids)
		if err != nil {
			return err
		}
		if b.procs, err = NewProcs(pids, cfg.tree); err != nil {
			return err
		}
		fmt.Fprintf(out, "measuring pids %v\n", b.procs.PIDs())
	}
	if err := cl.CreateWorkflow(ctx, shapes[cfg.shape].definition(b.workflow)); err != nil {
		return fmt.Errorf("register workflow: %w", err)
	}
	if cfg.mode == "soak" {
		fmt.Fprintf(out, "mode=soak url=%s rate=%.0f/s duration=%s c=%d workflow=%s\n", cfg.url, cfg.rate, cfg.duration, cfg.c, b.workflow)
	} else {
		fmt.Fprintf(out, "mode=%s url=%s n=%d c=%d shape=%s workflow=%s\n", cfg.mode, cfg.url, cfg.n, cfg.c, cfg.shape, b.workflow)
	}

	switch cfg.mode {
	case "e2e":
		err = b.e2e(ctx)
	case "start":
		err = b.startOnly(ctx)
	case "callback":
		err = b.callback(ctx)
	case "pipeline":
		err = b.pipeline(ctx)
	case "idle-rss":
		err = b.idleRSS(ctx)
	case "soak":
		err = b.soak(ctx)
	case "events":
		err = b.events(ctx)
	}
	if n := b.errs.Load(); n > 0 && err == nil {
		err = fmt.Errorf("%d requests failed", n)
	}
	return err
}

// fail counts a failed workflow and prints the first few errors.
func (b *bench) fail(err error) {
	b.errs.Add(1)
	b.errOnce.Lock()
	defer b.errOnce.Unlock()
	if b.errShown < 5 {
		b.errShown++
		fmt.Fprintln(b.out, "error:", err)
	}
}

// parallel runs fn(worker, i) for i in [0,n) on c workers and returns the
// wall time.
func parallel(ctx context.Context, n, c int, fn func(w, i int)) time.Duration {
	var next atomic.Int64
	var wg sync.WaitGroup
	t0 := time.Now()
	for w := range min(c, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				fn(w, i)
			}
		}()
	}
	wg.Wait()
	return time.Since(t0)
}

// poll calls check until it reports done, pausing first minD and then
// twice as long each time up to maxD.
func poll(ctx context.Context, minD, maxD time.Duration, check func() (bool, error)) error {
	d := minD
	for {
		done, err := check()
		if err != nil || done {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
		}
		d = min(d*2, maxD)
	}
}

// cycle runs one workflow end to end and records its latencies.
func (b *bench) cycle(ctx context.Context, w int, start, cb, e2e *Recorder) error {
	t0 := time.Now()
	id, err := b.cl.StartExecution(ctx, b.workflow)
	if err != nil {
		return err
	}
	start.Add(w, time.Since(t0))
	var aid string
	if err := poll(ctx, b.cfg.pollMin, b.cfg.pollMax, func() (bool, error) {
		var err error
		aid, err = b.cl.PendingAction(ctx, id)
		return aid != "", err
	}); err != nil {
		return fmt.Errorf("find action of %s: %w", id, err)
	}
	t1 := time.Now()
	if err := b.cl.Complete(ctx, aid); err != nil {
		return err
	}
	cb.Add(w, time.Since(t1))
	if err := poll(ctx, b.cfg.pollMin, b.cfg.pollMax, func() (bool, error) {
		st, err := b.cl.ExecutionState(ctx, id)
		if err == nil && st != "RUNNING" && st != "IDLE" && st != "SUCCESS" {
			err = fmt.Errorf("execution %s ended %s", id, st)
		}
		return st == "SUCCESS", err
	}); err != nil {
		return err
	}
	e2e.Add(w, time.Since(t0))
	return nil
}

// measure brackets a phase with the server's CPU time and peak RSS.
type measure struct {
	procs *Procs
	cpu0  time.Duration
	watch *PeakRSS
}

func (b *bench) begin() *measure {
	m := &measure{procs: b.procs}
	if b.procs != nil {
		m.cpu0 = b.procs.CPU()
	}
	m.watch = WatchRSS(b.procs, 100*time.Millisecond)
	return m
}

// end returns the CPU used since begin and the peak summed RSS in kB.
func (m *measure) end() (time.Duration, int64) {
	peak := m.watch.Stop()
	if m.procs == nil {
		return 0, 0
	}
	return m.procs.CPU() - m.cpu0, peak
}

func (b *bench) reportServer(label string, cpu time.Duration, peakKB int64, workflows int) {
	if self, err := NewProcs([]int{os.Getpid()}, false); err == nil {
		// On a small machine the client competes with the server for the
		// same cores; say how much it took.
		fmt.Fprintf(b.out, "client cpu so far=%s\n", self.CPU().Round(10*time.Millisecond))
	}
	if b.procs == nil {
		return
	}
	st := b.procs.Sample()
	fmt.Fprintf(b.out, "server %-9s cpu=%s (%.3f ms/workflow) peak_rss=%s rss_now=%s hwm_sum=%s threads=%d fds=%d\n",
		label, cpu.Round(10*time.Millisecond), float64(cpu)/float64(time.Millisecond)/float64(max(workflows, 1)),
		mb(peakKB), mb(st.RSSkB), mb(st.HWMkB), st.Threads, st.FDs)
}

func (b *bench) e2e(ctx context.Context) error {
	n, c := b.cfg.n, b.cfg.c
	start, cb, e2e := NewRecorder(c), NewRecorder(c), NewRecorder(c)
	m := b.begin()
	wall := parallel(ctx, n, c, func(w, _ int) {
		if err := b.cycle(ctx, w, start, cb, e2e); err != nil {
			b.fail(err)
		}
	})
	cpu, peak := m.end()
	done := len(e2e.All())
	fmt.Fprintf(b.out, "e2e: %d/%d workflows in %s: %.1f completions/s (starts and callbacks run at the same rate in this mode)\n",
		done, n, wall.Round(time.Millisecond), Rate(done, wall))
	fmt.Fprintf(b.out, "latency start    %s\n", Summarize(start.All()))
	fmt.Fprintf(b.out, "latency callback %s\n", Summarize(cb.All()))
	fmt.Fprintf(b.out, "latency e2e      %s\n", Summarize(e2e.All()))
	b.reportServer("run", cpu, peak, done)
	s, k, e := Summarize(start.All()), Summarize(cb.All()), Summarize(e2e.All())
	fmt.Fprintf(b.out, "RESULT mode=e2e n=%d c=%d e2e_per_s=%.1f start_p99_ms=%.2f cb_p50_ms=%.2f cb_p95_ms=%.2f cb_p99_ms=%.2f e2e_p50_ms=%.2f e2e_p95_ms=%.2f e2e_p99_ms=%.2f cpu_ms_per_wf=%.3f peak_rss_mb=%.1f\n",
		n, c, Rate(done, wall), msf(s.P99), msf(k.P50), msf(k.P95), msf(k.P99), msf(e.P50), msf(e.P95), msf(e.P99),
		float64(cpu)/float64(time.Millisecond)/float64(max(done, 1)), float64(peak)/1024)
	return ctx.Err()
}

func msf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// startPhase starts n executions at c and reports starts/s.
func (b *bench) startPhase(ctx context.Context) (ok int, wall time.Duration, lat Summary) {
	n, c := b.cfg.n, b.cfg.c
	rec := NewRecorder(c)
	wall = parallel(ctx, n, c, func(w, _ int) {
		t0 := time.Now()
		if _, err := b.cl.StartExecution(ctx, b.workflow); err != nil {
			b.fail(err)
			return
		}
		rec.Add(w, time.Since(t0))
	})
	lat = Summarize(rec.All())
	fmt.Fprintf(b.out, "start: %d/%d in %s: %.1f starts/s; latency %s\n", lat.Count, n, wall.Round(time.Millisecond), Rate(lat.Count, wall), lat)
	return lat.Count, wall, lat
}

func (b *bench) startOnly(ctx context.Context) error {
	m := b.begin()
	ok, wall, lat := b.startPhase(ctx)
	cpu, peak := m.end()
	b.reportServer("start", cpu, peak, ok)
	fmt.Fprintf(b.out, "RESULT mode=start n=%d c=%d starts_per_s=%.1f start_p50_ms=%.2f start_p99_ms=%.2f cpu_ms_per_wf=%.3f\n",
		b.cfg.n, b.cfg.c, Rate(ok, wall), msf(lat.P50), msf(lat.P99), float64(cpu)/float64(time.Millisecond)/float64(max(ok, 1)))
	return ctx.Err()
}

// waitActions lists the workflow's RUNNING actions until there are want.
func (b *bench) waitActions(ctx context.Context, want int) ([]string, error) {
	var ids []string
	err := poll(ctx, 10*time.Millisecond, 200*time.Millisecond, func() (bool, error) {
		var err error
		ids, err = b.cl.RunningActions(ctx, b.workflow, want)
		return len(ids) >= want, err
	})
	return ids, err
}

func (b *bench) callback(ctx context.Context) error {
	n, c := b.cfg.n, b.cfg.c
	m := b.begin()
	ok, swall, slat := b.startPhase(ctx)
	scpu, _ := m.end()
	b.reportServer("start", scpu, 0, ok)

	t0 := time.Now()
	ids, err := b.waitActions(ctx, ok)
	if err != nil {
		return fmt.Errorf("waiting for %d pending actions (have %d): %w", ok, len(ids), err)
	}
	fmt.Fprintf(b.out, "found %d pending actions in %s (bulk list, untimed)\n", len(ids), time.Since(t0).Round(time.Millisecond))

	m = b.begin()
	rec := NewRecorder(c)
	ls, stopListers := b.startListers(ctx)
	t1 := time.Now()
	cwall := parallel(ctx, len(ids), c, func(w, i int) {
		t := time.Now()
		if err := b.cl.Complete(ctx, ids[i]); err != nil {
			b.fail(err)
			return
		}
		rec.Add(w, time.Since(t))
	})
	stopListers()
	clat := Summarize(rec.All())
	fmt.Fprintf(b.out, "callback: %d/%d in %s: %.1f callbacks/s; latency %s\n", clat.Count, len(ids), cwall.Round(time.Millisecond), Rate(clat.Count, cwall), clat)
	if err := b.waitFinished(ctx); err != nil {
		return err
	}
	// Completions are timed from the first callback to the moment no
	// execution of the run is unfinished (bulk polling every <=20ms).
	fin := time.Since(t1)
	ccpu, cpeak := m.end()
	done, err := b.cl.CountExecutions(ctx, b.workflow, "SUCCESS", n)
	if err != nil {
		return err
	}
	fmt.Fprintf(b.out, "complete: %d/%d SUCCESS %s after the first callback: %.1f completions/s\n", done, n, fin.Round(time.Millisecond), Rate(done, fin))
	b.reportServer("callback", ccpu, cpeak, clat.Count)
	fmt.Fprintf(b.out, "RESULT mode=callback n=%d c=%d starts_per_s=%.1f start_p99_ms=%.2f callbacks_per_s=%.1f cb_p50_ms=%.2f cb_p95_ms=%.2f cb_p99_ms=%.2f completions_per_s=%.1f start_cpu_ms_per_wf=%.3f cb_cpu_ms_per_wf=%.3f cpu_ms_per_wf=%.3f peak_rss_mb=%.1f%s\n",
		n, c, Rate(ok, swall), msf(slat.P99), Rate(clat.Count, cwall), msf(clat.P50), msf(clat.P95), msf(clat.P99), Rate(done, fin),
		perWF(scpu, ok), perWF(ccpu, clat.Count), perWF(scpu+ccpu, done), float64(cpeak)/1024, ls.result())
	if done != n {
		return fmt.Errorf("%d of %d executions reached SUCCESS", done, n)
	}
	return ctx.Err()
}

// waitFinished polls (bulk, every <= 20 ms) until no execution of the run
// is unfinished.
func (b *bench) waitFinished(ctx context.Context) error {
	err := poll(ctx, time.Millisecond, 20*time.Millisecond, func() (bool, error) {
		more, err := b.cl.AnyUnfinished(ctx, b.workflow)
		return !more, err
	})
	if err != nil {
		return fmt.Errorf("waiting for executions to finish: %w", err)
	}
	return nil
}

func perWF(cpu time.Duration, n int) float64 {
	return float64(cpu) / float64(time.Millisecond) / float64(max(n, 1))
}
