package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/pgtest"
	"github.com/sirocco-project/sirocco/internal/postgres"
	"github.com/sirocco-project/sirocco/internal/sqlite"
)

func TestParseRetention(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		want *engine.Retention
	}{
		{"", nil},
		{"off", nil},
		{"OFF", nil},
		{"30d", &engine.Retention{OlderThan: 30 * 24 * time.Hour, Every: engine.DefaultRetentionEvery, Batch: engine.DefaultRetentionBatch}},
		{"max=10000", &engine.Retention{Keep: 10000, Every: engine.DefaultRetentionEvery, Batch: engine.DefaultRetentionBatch}},
		{" 12h , max=5, every=1m, batch=50, ignore=error, ignore=CANCELLED", &engine.Retention{OlderThan: 12 * time.Hour, Keep: 5,
			Every: time.Minute, Batch: 50, Ignore: []engine.State{engine.StateError, engine.StateCancelled}}},
		{"90m", &engine.Retention{OlderThan: 90 * time.Minute, Every: engine.DefaultRetentionEvery, Batch: engine.DefaultRetentionBatch}},
	} {
		got, err := engine.ParseRetention(c.in)
		if err != nil {
			t.Errorf("ParseRetention(%q): %v", c.in, err)
			continue
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("ParseRetention(%q) = %+v, want %+v", c.in, got, c.want)
		}
	}
	for in, want := range map[string]string{
		"30x":                `"30x" is not a duration`,
		"max=ten":            "max=ten: want a number",
		"max=0":              "max=0: want at least 1",
		"30s":                "less than a minute",
		"every=10ms,30d":     "every=10ms: want at least 1s",
		"batch=0,30d":        "batch=0: want 1 to 10000",
		"ignore=RUNNING,30d": "ignore=RUNNING: not a terminal state",
		"30d,1d":             "the age is given twice",
		"max=1,max=2":        "max= is given twice",
		"every=1h":           "give an age (such as 30d) or max=N",
		"keep=3":             `unknown item "keep=3"`,
		"1d,ignore=success,ignore=error,ignore=cancelled": "every terminal state is ignored",
	} {
		_, err := engine.ParseRetention(in)
		if fault.Code(err) != fault.EINVALID || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), in) {
			t.Errorf("ParseRetention(%q) = %v; want EINVALID naming the value and %q", in, err, want)
		}
	}
}

// jobEnds is a job log (engine.Config.JobLog) that hands over each end
// of a retention run: the test waits for runs, not for time.
type jobEnds struct {
	mu     sync.Mutex
	events []engine.JobLogEntry
	ends   chan engine.JobLogEntry
}

func newJobEnds() *jobEnds { return &jobEnds{ends: make(chan engine.JobLogEntry, 100)} }

func (j *jobEnds) Write(p []byte) (int, error) {
	var e engine.JobLogEntry
	if err := json.Unmarshal(p, &e); err != nil {
		return 0, err
	}
	if e.Kind == engine.JobRetention {
		j.mu.Lock()
		j.events = append(j.events, e)
		j.mu.Unlock()
		if e.Event == engine.JobEnded {
			j.ends <- e
		}
	}
	return len(p), nil
}

// wait waits for the end of the next retention run.
func (j *jobEnds) wait(t testing.TB) engine.JobLogEntry {
	t.Helper()
	select {
	case e := <-j.ends:
		return e
	case <-time.After(30 * time.Second):
		t.Fatal("no retention run ended")
		return engine.JobLogEntry{}
	}
}

// finishedTrees writes n finished root executions updated at, each with
// a task and an action execution, straight into the store.
func finishedTrees(t testing.TB, st engine.Store, prefix string, n int, at time.Time) {
	t.Helper()
	err := st.Update(context.Background(), func(tx engine.Tx) error {
		ctx := context.Background()
		for i := range n {
			id := fmt.Sprintf("%s%05d", prefix, i)
			ex := &engine.Execution{ID: id, WorkflowID: "wf", WorkflowName: "wf", State: engine.StateSuccess, ParamsJSON: "{}",
				InputJSON: "{}", OutputJSON: "{}", ContextJSON: "{}", Definition: "x", ProjectID: "p", CreatedAt: at, UpdatedAt: at}
			if err := tx.CreateExecution(ctx, ex); err != nil {
				return err
			}
			tk := &engine.Task{ID: id + "-t", Name: "t", Type: engine.TaskTypeAction, WorkflowExecutionID: id, WorkflowName: "wf",
				WorkflowID: "wf", State: engine.StateSuccess, RuntimeContextJSON: "{}", InContextJSON: "{}", PublishedJSON: "{}",
				ResultJSON: "null", ProjectID: "p", CreatedAt: at, UpdatedAt: at}
			if err := tx.CreateTask(ctx, tk); err != nil {
				return err
			}
			if err := tx.CreateActionExecution(ctx, &engine.ActionExecution{ID: id + "-a", Name: "std.noop", TaskExecutionID: &tk.ID,
				WorkflowExecutionID: &ex.ID, State: engine.StateSuccess, ProjectID: "p", InputJSON: "{}", CreatedAt: at, UpdatedAt: at}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// retentionWorkflows defines wait (its task waits for a callback) and
// noop (it finishes at once).
func retentionWorkflows(t *testing.T, e *engine.Engine) {
	t.Helper()
	def := "version: '2.0'\nwait:\n  tasks:\n    t:\n      action: std.async_noop\nnoop:\n  tasks:\n    t:\n      action: std.noop\n"
	if _, err := e.CreateWorkflows(context.Background(), nil, def, "", ""); err != nil {
		t.Fatal(err)
	}
}

func start(t *testing.T, e *engine.Engine, wf string) *engine.Execution {
	t.Helper()
	ex, err := e.StartExecution(context.Background(), engine.StartRequest{WorkflowName: wf})
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

func countExecutions(t *testing.T, e *engine.Engine) int {
	t.Helper()
	list, err := e.ListExecutions(context.Background(), engine.ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

// TestRetention: the policy runs when the engine starts and then every
// Every by the engine's clock; it purges the finished executions older
// than its bound, in batches, keeps a running one and the young ones,
// counts what it purged, records it in the audit trail (which still
// verifies), and schedules its next run.
func TestRetention(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, store string) {
		t.Parallel()
		ctx := context.Background()
		clock := &manualClock{now: time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)}
		log := newJobEnds()
		r := &engine.Retention{OlderThan: time.Hour, Every: 10 * time.Minute, Batch: 7}
		e := newEngineOn(t, store, engine.Config{Clock: clock, Retention: r, JobLog: log})
		if got := log.wait(t); got.Ref != "executions" {
			t.Errorf("the first run: %+v", got)
		}
		retentionWorkflows(t, e)
		running := start(t, e, "wait")
		done := start(t, e, "noop")
		if ex := settle(t, e, done.ID, ""); ex.State != engine.StateSuccess {
			t.Fatalf("the finished execution: %s", ex.State)
		}
		settle(t, e, running.ID, "t")

		// Two hours later: the finished one is due, the running one not.
		clock.advance(2 * time.Hour)
		e.Notify()
		log.wait(t)
		if _, err := e.GetExecution(ctx, done.ID); fault.Code(err) != fault.ENOTFOUND {
			t.Errorf("the finished execution after the purge: %v, want not found", err)
		}
		if ex, err := e.GetExecution(ctx, running.ID); err != nil || ex.State != engine.StateRunning {
			t.Errorf("the running execution after the purge: %v, %v", ex, err)
		}
		s := e.RetentionStats()
		if s.Runs != 2 || s.Executions != 1 || s.Records < 4 { // execution, task, action, timeline rows
			t.Errorf("stats %+v, want 2 runs, 1 execution, 4 records or more", s)
		}
		recs := adminRecords(t, e)
		want := fmt.Sprintf("retention: executions purged: 1 (records: %d); policy: purge root executions finished more than 1h0m0s ago", s.Records)
		if last := recs[len(recs)-1]; !strings.HasPrefix(last.Reason, want) || last.Actor != "" || last.Channel != engine.ViaServer {
			t.Errorf("the last admin record: %+v, want the purge's: %s", last, want)
		}

		// 20 more, finished long ago, go in batches of at most 7 records
		// (3 each): 7 transactions within one run, all on the next.
		finishedTrees(t, engine.StoreOf(e), "old", 20, clock.Now().Add(-2*time.Hour))
		clock.advance(9 * time.Minute)
		e.Notify()
		if n := countExecutions(t, e); n != 21 {
			t.Fatalf("%d executions before the next run is due, want 21", n)
		}
		clock.advance(time.Minute)
		e.Notify()
		log.wait(t)
		if n := countExecutions(t, e); n != 1 {
			t.Errorf("%d executions after the run, want the running one", n)
		}
		if s := e.RetentionStats(); s.Runs != 3 || s.Executions != 21 {
			t.Errorf("stats %+v, want 3 runs, 21 executions", s)
		}
		if due, ok, err := engine.StoreOf(e).NextJobDue(ctx); err != nil || !ok || !due.Equal(clock.Now().Add(10*time.Minute)) {
			t.Errorf("next job due %v (%v, %v), want the next run 10m later", due, ok, err)
		}
	})
}

// TestRetentionTwoReplicas: two engines on one PostgreSQL database run
// the policy one at a time (its job's lease): together they purge each
// expired execution exactly once, never run it at the same time, leave
// one job, and callbacks to other executions completed meanwhile on
// either replica all go through.
func TestRetentionTwoReplicas(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	ctx, cancel := context.WithCancel(context.Background())
	clock := &manualClock{now: time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)}
	log := newJobEnds()
	r := &engine.Retention{OlderThan: time.Hour, Every: 10 * time.Minute, Batch: 30}
	var engines []*engine.Engine
	var stopped []chan struct{}
	var stores []engine.Store
	t.Cleanup(func() { // the engines stop before their stores close
		cancel()
		for _, d := range stopped {
			<-d
		}
		for _, st := range stores {
			st.Close()
		}
	})
	// One after the other, each starting with a run (the second start
	// brings the waiting job forward), so that the runs below are counted.
	for range 2 {
		st, err := postgres.Open(ctx, dsn, postgres.Options{Sync: postgres.SyncNormal, MaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		stores = append(stores, st)
		e := engine.New(engine.Config{Store: st, Clock: clock, Retention: r, JobLog: log, BaseURL: "http://sirocco.test"})
		done := make(chan struct{})
		go func() { e.Run(ctx); close(done) }()
		engines = append(engines, e)
		stopped = append(stopped, done)
		log.wait(t)
	}
	a, b := engines[0], engines[1]
	var pending []*engine.Execution
	retentionWorkflows(t, a)
	for range 10 {
		pending = append(pending, start(t, a, "wait"))
	}
	var actions []string
	for _, ex := range pending {
		settle(t, a, ex.ID, "t")
		actions = append(actions, pendingAction(t, a, ex.ID, "t").ID)
	}
	const n = 600
	finishedTrees(t, engine.StoreOf(a), "old", n, clock.Now().Add(-2*time.Hour))

	// The next run, on whichever replica claims it, while callbacks come
	// to both.
	clock.advance(10 * time.Minute)
	a.Notify()
	b.Notify()
	var wg sync.WaitGroup
	errs := make(chan error, len(actions))
	for i, id := range actions {
		e := engines[i%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.UpdateActionExecution(ctx, id, engine.Completion{State: engine.StateSuccess, Output: "ok", HasOutput: true})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("a callback during the purge: %v", err)
		}
	}
	log.wait(t)
	for _, ex := range pending {
		if got := settle(t, a, ex.ID, ""); got.State != engine.StateSuccess {
			t.Errorf("execution %s completed by callback: %s", ex.ID, got.State)
		}
	}
	if left := countExecutions(t, a); left != len(pending) {
		t.Errorf("%d executions left, want the %d completed by callback", left, len(pending))
	}
	// A third run, on either; then the counts and the log.
	finishedTrees(t, engine.StoreOf(a), "older", n, clock.Now().Add(-2*time.Hour))
	clock.advance(10 * time.Minute)
	a.Notify()
	b.Notify()
	log.wait(t)
	if left := countExecutions(t, b); left != len(pending) {
		t.Errorf("%d executions left, want %d", left, len(pending))
	}
	sa, sb := a.RetentionStats(), b.RetentionStats()
	if sa.Executions+sb.Executions != 2*n || sa.Runs+sb.Runs != 4 {
		t.Errorf("replicas purged %d + %d executions in %d + %d runs; want %d in 4", sa.Executions, sb.Executions, sa.Runs, sb.Runs, 2*n)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	for i, ev := range log.events {
		if want := []string{engine.JobStarted, engine.JobEnded}[i%2]; ev.Event != want || (i%2 == 1 && ev.Owner != log.events[i-1].Owner) {
			t.Fatalf("retention runs overlapped: %+v", log.events)
		}
	}
	var jobs int
	err := engine.StoreOf(a).Update(context.Background(), func(tx engine.Tx) error {
		claimed, err := tx.ClaimJobs(context.Background(), "test", clock.Now().Add(time.Hour), clock.Now().Add(2*time.Hour), 100)
		for _, j := range claimed {
			if j.Kind == engine.JobRetention {
				jobs++
			}
		}
		return err
	})
	if err != nil || jobs != 1 {
		t.Errorf("retention jobs: %d (%v), want 1", jobs, err)
	}
}

// TestRetentionOffDropsItsJob: a replica without the policy that claims
// its job (another replica has it, or had it before a restart) drops it
// and says so, instead of leaving it to fail forever.
func TestRetentionOffDropsItsJob(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"), sqlite.Options{Sync: sqlite.SyncNormal})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	clock := &manualClock{now: time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)}
	if err := st.Update(ctx, func(tx engine.Tx) error {
		return tx.EnsureJob(ctx, &engine.Job{Kind: engine.JobRetention, Ref: "executions", DueAt: clock.Now()})
	}); err != nil {
		t.Fatal(err)
	}
	var logged syncLog
	log := newJobEnds()
	e := engine.New(engine.Config{Store: st, Clock: clock, JobLog: log, Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	log.wait(t)
	cancel()
	<-done
	if _, ok, err := st.NextJobDue(context.Background()); err != nil || ok {
		t.Errorf("a job is left (%v, %v), want none", ok, err)
	}
	if !strings.Contains(logged.String(), "-retention is off on this replica; dropping the job") {
		t.Errorf("the log does not say why the job went:\n%s", logged.String())
	}
}

// syncLog is a log buffer written by the engine's goroutines.
type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestRetentionCutShortIsRecorded: a run stopped between two batches (the
// server shutting down) still records in the audit trail what it purged,
// and leaves its job for the next run.
func TestRetentionCutShortIsRecorded(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"), sqlite.Options{Sync: sqlite.SyncNormal})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	clock := &manualClock{now: time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)}
	finishedTrees(t, st, "old", 5, clock.Now().Add(-2*time.Hour))
	// Batches of 3 records: the first executions go in the third batch,
	// two trees are left.
	r := &engine.Retention{OlderThan: time.Hour, Every: 10 * time.Minute, Batch: 3}
	e := engine.New(engine.Config{Store: st, Clock: clock, Retention: r})
	engine.OnPurgeBatch(e, func() {
		if e.RetentionStats().Executions > 0 {
			cancel() // the shutdown comes right after
		}
	})
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	<-done
	s := e.RetentionStats()
	if s.Executions == 0 || s.Executions == 5 || s.Runs != 0 {
		t.Fatalf("stats %+v, want some of the 5 executions purged by a run that did not end", s)
	}
	recs := adminRecords(t, e)
	want := fmt.Sprintf("retention: executions purged: %d (records: %d), cut short; policy: ", s.Executions, s.Records)
	if len(recs) == 0 || !strings.HasPrefix(recs[len(recs)-1].Reason, want) {
		t.Errorf("admin records %+v, want the last to begin %q", recs, want)
	}
	if _, ok, err := st.NextJobDue(context.Background()); err != nil || !ok {
		t.Errorf("the retention job after a cut-short run: %v, %v; want it kept", ok, err)
	}
}
