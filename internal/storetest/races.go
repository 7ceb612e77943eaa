package storetest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// The race cases run the engine over the store under test, forcing one
// interleaving of two transactions with a barrier: the first transaction
// to reach a named point of the store (say, LockExecution) stops there,
// the competing operation runs to its end, then the first goes on.
//
// On a store whose transactions run concurrently (PostgreSQL) the
// competing operation is a transaction of its own, which commits while
// the first one waits. On a store that runs one write transaction at a time
// (SQLite, Harness.Serial) it cannot start before the first ends; there
// the competing operation runs inside the paused transaction, which sees
// its writes as it would see a commit (READ COMMITTED). Every store is also
// wrapped in CheckLocks, which shows a transaction that changes a tree
// without locking its root, or writes what it read before the lock.

// barrierStore pauses the first transaction that reaches point.
type barrierStore struct {
	engine.Store
	serial bool

	mu     sync.Mutex
	point  string
	during func() // the competing operation
	fired  bool
	inline engine.Tx // the paused transaction (serial stores)
	// inlineG is the goroutine that paused it and runs the competing
	// operation: only its updates run inside the paused transaction.
	// Another goroutine's (the job worker's) queue for the writer as
	// usual; inlined, they would share its connection concurrently.
	inlineG uint64
	// conflicts counts the updates that failed with fault.ErrConflict.
	conflicts int
}

func (s *barrierStore) arm(point string, during func()) {
	s.mu.Lock()
	s.point, s.during, s.fired = point, during, false
	s.mu.Unlock()
}

func (s *barrierStore) Update(ctx context.Context, fn func(engine.Tx) error) error {
	s.mu.Lock()
	in, g := s.inline, s.inlineG
	s.mu.Unlock()
	if in != nil && g == goid() {
		return fn(in) // the competing operation, inside the paused transaction
	}
	err := s.Store.Update(ctx, func(tx engine.Tx) error { return fn(&barrierTx{Tx: tx, s: s}) })
	if errors.Is(err, fault.ErrConflict) {
		s.mu.Lock()
		s.conflicts++
		s.mu.Unlock()
	}
	return err
}

// reach runs the competing operation if tx is the first to reach point.
func (s *barrierStore) reach(point string, tx engine.Tx) {
	s.mu.Lock()
	if s.fired || s.point != point {
		s.mu.Unlock()
		return
	}
	s.fired = true
	during := s.during
	if s.serial {
		s.inline, s.inlineG = tx, goid()
	}
	s.mu.Unlock()
	during()
	s.mu.Lock()
	s.inline = nil
	s.mu.Unlock()
}

type barrierTx struct {
	engine.Tx
	s *barrierStore
}

func (t *barrierTx) LockExecution(ctx context.Context, id string) error {
	t.s.reach("LockExecution", t)
	return t.Tx.LockExecution(ctx, id)
}

// raceEngine returns an engine over a barrier store over h's store, whose
// job worker runs until the test ends.
func raceEngine(t *testing.T, h Harness, cfg engine.Config) (*engine.Engine, *barrierStore) {
	t.Helper()
	s, _ := h.Open(t)
	// The lock checker is outermost, so that a competing operation run
	// inside the paused transaction is checked as a transaction of its own.
	bs := &barrierStore{Store: s, serial: h.Serial}
	cfg.Store = CheckLocks(t, bs)
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://sirocco.test"
	}
	e := engine.New(cfg)
	runEngine(t, e)
	return e, bs
}

func runEngine(t *testing.T, e *engine.Engine) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// eventually polls cond until it holds; the deadline only turns a hang
// into a failure.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// pending returns the running action of the task named task in execution
// exID (the execution's, or any execution's when exID is "").
func pending(t *testing.T, e *engine.Engine, exID, task string) *engine.ActionExecution {
	t.Helper()
	filters := []engine.Filter{{Field: "task_name", Op: engine.OpEq, Values: []string{task}},
		{Field: "state", Op: engine.OpEq, Values: []string{"RUNNING"}}}
	if exID != "" {
		filters = append(filters, engine.Filter{Field: "workflow_execution_id", Op: engine.OpEq, Values: []string{exID}})
	}
	var a *engine.ActionExecution
	eventually(t, "the action of task "+task, func() bool {
		list, err := e.ListActionExecutions(context.Background(), engine.ListQuery{Filters: filters})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) == 0 {
			return false
		}
		a = list[0]
		return true
	})
	return a
}

func finished(t *testing.T, e *engine.Engine, exID string) *engine.Execution {
	t.Helper()
	var ex *engine.Execution
	eventually(t, "the end of execution "+exID, func() bool {
		var err error
		if ex, err = e.GetExecution(context.Background(), exID); err != nil {
			t.Fatal(err)
		}
		return ex.State.Completed()
	})
	return ex
}

func complete(t *testing.T, e *engine.Engine, id, output string) {
	t.Helper()
	if _, err := e.UpdateActionExecution(context.Background(), id, engine.Completion{State: engine.StateSuccess,
		Output: output, HasOutput: true}); err != nil {
		t.Errorf("complete %s: %v", id, err)
	}
}

// testRacePublish: two parallel tasks publish global variables; the second
// completion commits after the first one read its task and execution but
// before it locked them. The first must read them again under the lock:
// both variables are kept (a completion that merged into the execution as
// read before the lock lost the other's, or, guarded by the execution's
// version, failed and had to start over), and the workflow ends once.
func testRacePublish(t *testing.T, h Harness) {
	e, bs := raceEngine(t, h, engine.Config{})
	ctx := context.Background()
	def := `version: '2.0'
wf:
  tasks:
    one:
      action: std.async_noop
      on-success:
        publish:
          global: {one: <% task().result %>}
    two:
      action: std.async_noop
      on-success:
        publish:
          global: {two: <% task().result %>}
`
	if _, err := e.CreateWorkflows(ctx, nil, def, "", ""); err != nil {
		t.Fatal(err)
	}
	ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf"})
	if err != nil {
		t.Fatal(err)
	}
	one, two := pending(t, e, ex.ID, "one"), pending(t, e, ex.ID, "two")
	bs.arm("LockExecution", func() { complete(t, e, two.ID, "2") })
	complete(t, e, one.ID, "1")
	got := finished(t, e, ex.ID)
	// Both, in the order they were published (which the race decides).
	if got.State != engine.StateSuccess || (got.PublishedGlobalJSON != `{"one": "1", "two": "2"}` && got.PublishedGlobalJSON != `{"two": "2", "one": "1"}`) {
		t.Errorf("execution %s, published globals %s; want SUCCESS with both", got.State, got.PublishedGlobalJSON)
	}
	if bs.conflicts != 0 {
		t.Errorf("%d transactions failed with a conflict: a completion used what it read before the lock", bs.conflicts)
	}
}

// testRaceSubworkflowEnd: a sub-workflow's end completes its parent task
// while the parent's other task completes. Both transactions lock the root
// execution (not the sub-workflow's own), so they are serialised and
// exactly one of them ends the parent, which must end.
func testRaceSubworkflowEnd(t *testing.T, h Harness) {
	e, bs := raceEngine(t, h, engine.Config{})
	ctx := context.Background()
	def := `version: '2.0'
parent:
  tasks:
    sub:
      workflow: child
    other:
      action: std.async_noop
child:
  tasks:
    c:
      action: std.async_noop
`
	if _, err := e.CreateWorkflows(ctx, nil, def, "", ""); err != nil {
		t.Fatal(err)
	}
	ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "parent"})
	if err != nil {
		t.Fatal(err)
	}
	c, other := pending(t, e, "", "c"), pending(t, e, ex.ID, "other")
	bs.arm("LockExecution", func() { complete(t, e, other.ID, "o") })
	complete(t, e, c.ID, "c")
	if got := finished(t, e, ex.ID); got.State != engine.StateSuccess {
		t.Errorf("parent %s %v, want SUCCESS", got.State, got.StateInfo)
	}
	if got := finished(t, e, *c.WorkflowExecutionID); got.State != engine.StateSuccess {
		t.Errorf("child %s, want SUCCESS", got.State)
	}
}

// manualClock is a clock the test moves.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// heldHTTP answers every request with body, once the test releases it;
// started tells that a request arrived.
type heldHTTP struct {
	body    string
	started chan struct{}
	release chan struct{}
}

func (h *heldHTTP) Do(r *http.Request) (*http.Response, error) {
	h.started <- struct{}{}
	<-h.release
	return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(h.body)), Request: r}, nil
}

// jobResults reports the outcome of each transaction that deleted a job.
type jobResults struct {
	engine.Store
	results chan error
}

type jobResultTx struct {
	engine.Tx
	deleted *bool
}

func (t jobResultTx) DeleteJob(ctx context.Context, id int64, owner string) error {
	*t.deleted = true
	return t.Tx.DeleteJob(ctx, id, owner)
}

func (s *jobResults) Update(ctx context.Context, fn func(engine.Tx) error) error {
	deleted := false
	err := s.Store.Update(ctx, func(tx engine.Tx) error { deleted = false; return fn(jobResultTx{tx, &deleted}) })
	if deleted {
		s.results <- err
	}
	return err
}

// testRaceLeaseTakeover: worker A claims the job that runs an action and
// stalls in it past its lease; worker B claims the job again and runs the
// action too. A wakes first: its transaction fails with a conflict (it no
// longer holds the lease) and changes nothing; B's result is the one
// recorded.
func testRaceLeaseTakeover(t *testing.T, h Harness) {
	s, _ := h.Open(t)
	ctx := context.Background()
	clock := &manualClock{now: t0}
	const lease = time.Hour // lease extensions (every 20 min) never run
	httpA := &heldHTTP{body: "from A", started: make(chan struct{}, 1), release: make(chan struct{})}
	httpB := &heldHTTP{body: "from B", started: make(chan struct{}, 1), release: make(chan struct{})}
	storeA := &jobResults{Store: s, results: make(chan error, 4)}
	// A runs one job at a time: once the lease has expired, its own worker
	// (woken by a poll or another replica's notice) must not claim the job
	// it is stalled in before B does.
	a := engine.New(engine.Config{Store: storeA, Clock: clock, HTTP: httpA, JobLease: lease, BaseURL: "http://sirocco.test", Workers: 1})
	b := engine.New(engine.Config{Store: s, Clock: clock, HTTP: httpB, JobLease: lease, BaseURL: "http://sirocco.test"})
	if _, err := a.CreateWorkflows(ctx, nil, "version: '2.0'\nwf:\n  tasks:\n    get:\n      action: std.http url=http://service.test/\n", "", ""); err != nil {
		t.Fatal(err)
	}
	runEngine(t, a)
	ex, err := a.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf"})
	if err != nil {
		t.Fatal(err)
	}
	<-httpA.started // A claimed the job and runs it
	clock.set(t0.Add(2 * lease))
	runEngine(t, b)
	<-httpB.started // B took the expired lease over
	close(httpA.release)
	if err := <-storeA.results; !errors.Is(err, fault.ErrConflict) {
		t.Errorf("A's transaction after the takeover: err = %v, want ErrConflict", err)
	}
	if got, _ := a.GetExecution(ctx, ex.ID); got.State != engine.StateRunning {
		t.Errorf("after A woke: execution %s, want RUNNING (A changes nothing)", got.State)
	}
	close(httpB.release)
	got := finished(t, b, ex.ID)
	acts, err := b.ListActionExecutions(ctx, engine.ListQuery{Filters: []engine.Filter{{Field: "workflow_execution_id", Op: engine.OpEq, Values: []string{ex.ID}}}})
	if err != nil || len(acts) != 1 || acts[0].OutputJSON == nil {
		t.Fatalf("actions: %v, %v", acts, err)
	}
	if out := *acts[0].OutputJSON; got.State != engine.StateSuccess || !strings.Contains(out, `"from B"`) || strings.Contains(out, `"from A"`) {
		t.Errorf("execution %s, action output %s; want SUCCESS with B's result only", got.State, out)
	}
}

// goid is the running goroutine's id, read from its stack's header
// ("goroutine 42 [running]:"); for the barrier's bookkeeping only.
func goid() uint64 {
	var b [64]byte
	f := strings.Fields(string(b[:runtime.Stack(b[:], false)]))
	if len(f) < 2 {
		return 0
	}
	id, _ := strconv.ParseUint(f[1], 10, 64)
	return id
}
