package engine_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/sqlite"
)

// bus stands for PostgreSQL's LISTEN/NOTIFY between the replicas of a
// test: a store wrapped by bus.store announces what its transactions
// commit (as payloads, through the real encoding) to every listener, in
// commit order, and nothing of a transaction that fails.
type bus struct {
	mu   sync.Mutex
	subs []*listener
}

type listener struct {
	notices chan string // payloads; "" for a lost connection
	// heard gets each notice after the engine acted on it.
	heard chan engine.Notice
}

func (b *bus) announce(payloads []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, l := range b.subs {
		for _, p := range payloads {
			l.notices <- p
		}
	}
}

// busStore is a store whose transactions announce on a bus.
type busStore struct {
	engine.Store
	bus *bus
	l   *listener
}

func (b *bus) store(st engine.Store) *busStore {
	l := &listener{notices: make(chan string, 1024), heard: make(chan engine.Notice, 1024)}
	b.mu.Lock()
	b.subs = append(b.subs, l)
	b.mu.Unlock()
	return &busStore{Store: st, bus: b, l: l}
}

type announcingTx struct {
	engine.Tx
	payloads []string
}

func (tx *announcingTx) Announce(_ context.Context, n engine.Notice) error {
	tx.payloads = append(tx.payloads, n.Payloads()...)
	return nil
}

func (s *busStore) Update(ctx context.Context, fn func(engine.Tx) error) error {
	var tx *announcingTx
	err := s.Store.Update(ctx, func(inner engine.Tx) error {
		tx = &announcingTx{Tx: inner} // a rerun announces afresh
		return fn(tx)
	})
	if err == nil {
		s.bus.announce(tx.payloads)
	}
	return err
}

func (s *busStore) Listen(ctx context.Context, fn func(engine.Notice)) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case p := <-s.l.notices:
			n := engine.Notice{Resync: true}
			if p != "" {
				var err error
				if n, err = engine.ParseNotice(p); err != nil {
					n = engine.Notice{Resync: true}
				}
			}
			fn(n)
			s.l.heard <- n
		}
	}
}

// loseConnection makes the store's listener as if its connection had
// dropped and come back.
func (s *busStore) loseConnection() { s.l.notices <- "" }

// recorder is a Publisher that keeps what it is given.
type recorder struct {
	events  chan engine.Event
	resyncs chan struct{}
}

func newRecorder() *recorder {
	return &recorder{events: make(chan engine.Event, 4096), resyncs: make(chan struct{}, 16)}
}

func (r *recorder) Publish(ev engine.Event) { r.events <- ev }
func (r *recorder) Resync()                 { r.resyncs <- struct{}{} }

// waitEvent returns the first event, of those r gets from now on, that
// matches; the deadline only bounds a failing test.
func (r *recorder) waitEvent(t *testing.T, what string, match func(engine.Event) bool) engine.Event {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev := <-r.events:
			if match(ev) {
				return ev
			}
		case <-deadline:
			t.Fatalf("no event: %s", what)
		}
	}
}

// idleTimer replaces the worker's waits: it reports each wait, and ends
// none unless the test fires it.
type idleTimer struct {
	waits chan time.Duration
	fire  chan time.Time
}

func newIdleTimer() *idleTimer {
	return &idleTimer{waits: make(chan time.Duration, 1024), fire: make(chan time.Time)}
}

func (it *idleTimer) after(d time.Duration) <-chan time.Time {
	it.waits <- d
	return it.fire
}

// idle waits until the worker waits, and returns how long it means to.
func (it *idleTimer) idle(t *testing.T) time.Duration {
	t.Helper()
	select {
	case d := <-it.waits:
		return d
	case <-time.After(10 * time.Second):
		t.Fatal("the job worker never went idle")
		return 0
	}
}

// replica is one engine of a test cluster over a shared SQLite file.
type replica struct {
	e     *engine.Engine
	st    *busStore
	pub   *recorder
	timer *idleTimer
}

// startReplica opens the database at path again (SQLite allows several
// connections from one process as from several) and, when run, starts
// the engine's worker and listener with its waits under the test's
// control.
func startReplica(t *testing.T, b *bus, path string, run bool) *replica {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	st, err := sqlite.Open(ctx, path, sqlite.Options{Sync: sqlite.SyncNormal})
	if err != nil {
		t.Fatal(err)
	}
	r := &replica{st: b.store(st), pub: newRecorder(), timer: newIdleTimer()}
	r.e = engine.New(engine.Config{Store: r.st, Publisher: r.pub, BaseURL: "http://sirocco.test"})
	engine.SetAfter(r.e, r.timer.after)
	done := make(chan struct{})
	if run {
		go func() { r.e.Run(ctx); close(done) }()
		<-r.e.Started()
	} else {
		close(done)
	}
	t.Cleanup(func() { cancel(); <-done; st.Close() })
	return r
}

// heard waits until r's listener has acted on a notice that matches.
func (r *replica) heard(t *testing.T, what string, match func(engine.Notice) bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case n := <-r.st.l.heard:
			if match(n) {
				return
			}
		case <-deadline:
			t.Fatalf("replica %s heard no notice: %s", r.e.ReplicaID(), what)
		}
	}
}

// std.sleep, not std.noop: an instant action would run in the transaction
// that starts it, and these tests need a job.
const echoFlow = "version: '2.0'\nwf:\n  tasks:\n    t:\n      action: std.sleep seconds=0\n"

// TestReplicasShareChanges: two engines over one database, connected as
// PostgreSQL's LISTEN/NOTIFY would connect them. What B commits reaches
// A's subscribers; a job B adds is run by A's worker, woken by B's notice
// while it waits with no timer due (no poll ends its wait here); A's
// workflow cache drops a definition B replaced; a lost connection makes
// A's subscribers resynchronise; A does not publish its own events twice.
func TestReplicasShareChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	b := &bus{}
	a := startReplica(t, b, path, true)
	bb := startReplica(t, b, path, false) // B's worker does not run: only A can run B's jobs
	if a.e.ReplicaID() == bb.e.ReplicaID() || a.e.ReplicaID() == "" {
		t.Fatalf("replica ids %q and %q", a.e.ReplicaID(), bb.e.ReplicaID())
	}

	if _, err := bb.e.CreateWorkflows(ctx, nil, echoFlow, "", ""); err != nil {
		t.Fatal(err)
	}
	a.heard(t, "workflow created", func(n engine.Notice) bool { return n.Definitions })
	wf, err := a.e.GetWorkflow(ctx, "wf", "") // now in A's cache
	if err != nil {
		t.Fatal(err)
	}

	a.timer.idle(t) // A's worker waits, and no timer will end the wait
	ex, err := bb.e.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf"})
	if err != nil {
		t.Fatal(err)
	}
	a.pub.waitEvent(t, "B's execution starting, on A", func(ev engine.Event) bool {
		return ev.Kind == "execution" && ev.ID == ex.ID && ev.State == engine.StateRunning
	})
	// Only A's worker runs, and only B's notice woke it.
	a.pub.waitEvent(t, "the execution ending, run by A", func(ev engine.Event) bool {
		return ev.Kind == "execution" && ev.ID == ex.ID && ev.State == engine.StateSuccess
	})

	// B replaces the definition A has cached.
	if _, err := bb.e.UpdateWorkflows(ctx, nil, strings.Replace(echoFlow, "std.sleep seconds=0", "std.echo output=1 delay=0.001", 1), "", ""); err != nil {
		t.Fatal(err)
	}
	a.heard(t, "workflow replaced", func(n engine.Notice) bool { return n.Definitions })
	got, err := a.e.GetWorkflow(ctx, "wf", "")
	if err != nil {
		t.Fatal(err)
	}
	if got.Definition == wf.Definition || !strings.Contains(got.Definition, "std.echo") {
		t.Errorf("A still serves the old definition after B replaced it:\n%s", got.Definition)
	}

	// A's own change: its subscribers get each event once, at commit, not
	// again when its own notice comes back.
	ex2, err := a.e.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf"})
	if err != nil {
		t.Fatal(err)
	}
	a.heard(t, "its own notice", func(n engine.Notice) bool { return n.Replica == a.e.ReplicaID() })
	a.pub.waitEvent(t, "A's own execution ending", func(ev engine.Event) bool {
		return ev.Kind == "execution" && ev.ID == ex2.ID && ev.State == engine.StateSuccess
	})
	a.heard(t, "its own last notice", func(n engine.Notice) bool {
		for _, ev := range n.Events {
			if ev.ID == ex2.ID && ev.State == engine.StateSuccess {
				return true
			}
		}
		return false
	})
	for len(a.pub.events) > 0 {
		if ev := <-a.pub.events; ev.ID == ex2.ID {
			t.Errorf("A published its own event again: %+v", ev)
		}
	}

	a.st.loseConnection()
	select {
	case <-a.pub.resyncs:
	case <-time.After(10 * time.Second):
		t.Fatal("a lost connection did not resynchronise A's subscribers")
	}
}

// TestIdleWaitAtMostASecond: the job worker never waits longer than a
// second without looking for jobs, whatever is due (nothing, or a timer
// far ahead), so that a job another replica added runs promptly even when
// its notice was lost; and when its wait ends, it finds and runs such a
// job.
func TestIdleWaitAtMostASecond(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	a := startReplica(t, &bus{}, path, true)
	other := startReplica(t, &bus{}, path, false) // on another bus: A hears nothing of it
	if d := a.timer.idle(t); d <= 0 || d > time.Second {
		t.Errorf("idle with no job: waits %v; want at most 1s", d)
	}
	if engine.MaxIdleWait > time.Second {
		t.Errorf("MaxIdleWait = %v", engine.MaxIdleWait)
	}

	flow := "version: '2.0'\nwf:\n  tasks:\n    t:\n      action: std.noop\n      wait-before: 600\n"
	if _, err := other.e.CreateWorkflows(ctx, nil, flow+"wf2:\n  tasks:\n    t:\n      action: std.sleep seconds=0\n", "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := other.e.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf"}); err != nil {
		t.Fatal(err)
	}
	a.timer.fire <- time.Now()
	if d := a.timer.idle(t); d <= 0 || d > time.Second {
		t.Errorf("idle with a timer due in 10 minutes: waits %v; want at most 1s", d)
	}
	ex, err := other.e.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf2"})
	if err != nil {
		t.Fatal(err)
	}
	a.timer.fire <- time.Now() // the wait ends: A looks, finds the job, runs it
	a.pub.waitEvent(t, "the other replica's execution ending, run by A", func(ev engine.Event) bool {
		return ev.Kind == "execution" && ev.ID == ex.ID && ev.State == engine.StateSuccess
	})
}

// TestReplicaHeartbeats: a replica records itself when its worker starts,
// is live until it misses LiveHeartbeats heartbeats by the engine's
// clock, and leaves the list when it stops.
func TestReplicaHeartbeats(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"), sqlite.Options{Sync: sqlite.SyncNormal})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	clock := &manualClock{now: time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)}
	e := engine.New(engine.Config{Store: st, Clock: clock, HeartbeatInterval: time.Hour, // no beat but the first during the test
		Replica: engine.Replica{Version: "v9"}})
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	<-e.Started()

	list, err := e.Replicas(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ID != e.ReplicaID() || list[0].Version != "v9" || list[0].PID == 0 || list[0].Host == "" ||
		!list[0].StartedAt.Equal(clock.Now()) || !list[0].HeartbeatAt.Equal(clock.Now()) {
		t.Fatalf("live replicas at start: %+v; want this one", list)
	}
	clock.advance(engine.LiveHeartbeats * time.Hour)
	if list, err := e.Replicas(ctx); err != nil || len(list) != 1 {
		t.Errorf("after %d intervals: %d live, %v; want still live", engine.LiveHeartbeats, len(list), err)
	}
	clock.advance(time.Microsecond)
	if list, err := e.Replicas(ctx); err != nil || len(list) != 0 {
		t.Errorf("after %d intervals and a µs of silence: %d live, %v; want none", engine.LiveHeartbeats, len(list), err)
	}
	cancel()
	<-done
	if all, err := st.ListReplicas(context.Background(), time.Time{}); err != nil || len(all) != 0 {
		t.Errorf("after the replica stopped: %d rows, %v; want its row gone", len(all), err)
	}
}
