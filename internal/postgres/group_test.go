package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/pgtest"
	"github.com/sirocco-project/sirocco/internal/postgres"
)

func groupExecution(id string) *engine.Execution {
	return &engine.Execution{ID: id, WorkflowID: "wf", WorkflowName: "wf", State: engine.StateRunning,
		ParamsJSON: "{}", InputJSON: "{}", OutputJSON: "{}", ContextJSON: "{}", Definition: "x", ProjectID: "p",
		CreatedAt: t0, UpdatedAt: t0}
}

// grouping drives a store with one transaction at a time: hold occupies
// it until the returned release is called, so that the updates started
// meanwhile wait and then run together.
type grouping struct {
	t       *testing.T
	s       *postgres.Store
	waiting chan int
}

func newGrouping(t *testing.T, dsn string) *grouping {
	s, err := postgres.Open(context.Background(), dsn, postgres.Options{MaxConns: 4, Committers: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	g := &grouping{t: t, s: s, waiting: make(chan int, 64)}
	postgres.OnGroupWait(s, func(n int) { g.waiting <- n })
	return g
}

// hold takes the store's one transaction; release lets it end.
func (g *grouping) hold() (release func()) {
	running, free, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	var once sync.Once
	go func() {
		done <- g.s.Update(context.Background(), func(engine.Tx) error {
			once.Do(func() { close(running) })
			<-free
			return nil
		})
	}()
	<-running
	return func() {
		close(free)
		if err := <-done; err != nil {
			g.t.Errorf("the holding update: %v", err)
		}
	}
}

// start runs fn as an update on its own goroutine; its error arrives on
// the channel returned.
func (g *grouping) start(ctx context.Context, fn func(engine.Tx) error) <-chan error {
	c := make(chan error, 1)
	go func() { c <- g.s.Update(ctx, fn) }()
	return c
}

// await waits until n updates wait for a transaction.
func (g *grouping) await(n int) {
	g.t.Helper()
	timeout := time.After(patience)
	for {
		select {
		case k := <-g.waiting:
			if k >= n {
				return
			}
		case <-timeout:
			g.t.Fatalf("%d updates never waited together", n)
		}
	}
}

func result(t *testing.T, c <-chan error) error {
	t.Helper()
	select {
	case err := <-c:
		return err
	case <-time.After(patience):
		t.Fatal("an update never returned")
		return nil
	}
}

// TestGroupCommit: updates that wait while the store's transactions all
// run are then committed together, in one transaction; one of them
// failing after it wrote fails alone, its writes undone, while the others
// commit; one whose caller left while it waited is not run.
func TestGroupCommit(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	g := newGrouping(t, dsn)
	probe := connect(t, dsn)
	create := func(id string) func(engine.Tx) error {
		return func(tx engine.Tx) error { return tx.CreateExecution(ctx, groupExecution(id)) }
	}
	exists := func(id string) bool {
		t.Helper()
		var n int
		if err := probe.QueryRow(ctx, `SELECT count(*) FROM workflow_executions WHERE id = $1`, id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}
	transactions := func(ids ...string) int {
		t.Helper()
		var n int
		if err := probe.QueryRow(ctx, `SELECT count(DISTINCT xmin::text) FROM workflow_executions WHERE id = ANY($1)`, ids).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// Three updates, all succeeding: one transaction.
	release := g.hold()
	var all []<-chan error
	for _, id := range []string{"g1", "g2", "g3"} {
		all = append(all, g.start(ctx, create(id)))
	}
	g.await(3)
	release()
	for i, c := range all {
		if err := result(t, c); err != nil {
			t.Fatalf("update %d: %v", i+1, err)
		}
	}
	if n := transactions("g1", "g2", "g3"); n != 1 {
		t.Errorf("three waiting updates committed in %d transactions, want 1", n)
	}
	if st := g.s.WriterStats(); st.Reruns != 0 {
		t.Errorf("reruns = %d, want 0", st.Reruns)
	}

	// The second fails after writing; the fourth's caller leaves.
	boom := errors.New("boom")
	release = g.hold()
	left, leave := context.WithCancel(ctx)
	f1 := g.start(ctx, create("f1"))
	g.await(1)
	f2 := g.start(ctx, func(tx engine.Tx) error {
		if err := create("f2")(tx); err != nil {
			return err
		}
		return boom
	})
	g.await(2)
	f3 := g.start(ctx, create("f3"))
	g.await(3)
	f4 := g.start(left, create("f4"))
	g.await(4)
	leave()
	release()
	if err := result(t, f1); err != nil {
		t.Errorf("f1: %v", err)
	}
	if err := result(t, f2); !errors.Is(err, boom) {
		t.Errorf("f2: %v, want its own error", err)
	}
	if err := result(t, f3); err != nil {
		t.Errorf("f3: %v", err)
	}
	if err := result(t, f4); !errors.Is(err, context.Canceled) {
		t.Errorf("f4: %v, want context.Canceled", err)
	}
	for id, want := range map[string]bool{"f1": true, "f2": false, "f3": true, "f4": false} {
		if got := exists(id); got != want {
			t.Errorf("%s stored: %v, want %v", id, got, want)
		}
	}
	if st := g.s.WriterStats(); st.Reruns != 1 {
		t.Errorf("reruns = %d, want 1 (the group with the failing update)", st.Reruns)
	}

	// One refused before it wrote anything (an unknown id) answers its
	// error, and the others still commit together, the group not run
	// again.
	reruns := g.s.WriterStats().Reruns
	release = g.hold()
	c1 := g.start(ctx, create("c1"))
	g.await(1)
	c2 := g.start(ctx, func(tx engine.Tx) error {
		_, err := tx.GetExecution(ctx, "nope")
		return err
	})
	g.await(2)
	c3 := g.start(ctx, create("c3"))
	g.await(3)
	release()
	if err := result(t, c1); err != nil {
		t.Errorf("c1: %v", err)
	}
	if err := result(t, c2); fault.Code(err) != fault.ENOTFOUND {
		t.Errorf("c2: %v, want ENOTFOUND", err)
	}
	if err := result(t, c3); err != nil {
		t.Errorf("c3: %v", err)
	}
	if n := transactions("c1", "c3"); n != 1 {
		t.Errorf("the updates beside one refused before writing committed in %d transactions, want 1", n)
	}
	if st := g.s.WriterStats(); st.Reruns != reruns {
		t.Errorf("reruns %d → %d: the group was run again for an update that wrote nothing", reruns, st.Reruns)
	}

	// A later update of a group sees what an earlier one wrote (they run
	// in order, in one transaction).
	release = g.hold()
	s1 := g.start(ctx, create("s1"))
	g.await(1)
	s2 := g.start(ctx, func(tx engine.Tx) error {
		if _, err := tx.GetExecution(ctx, "s1"); err != nil {
			return fmt.Errorf("the group's earlier update is not seen: %w", err)
		}
		return create("s2")(tx)
	})
	g.await(2)
	release()
	for name, c := range map[string]<-chan error{"s1": s1, "s2": s2} {
		if err := result(t, c); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// (When a group fails, its updates run again alone, in no particular
	// order: as the concurrent requests they are.)
	release = g.hold()
	q1 := g.start(ctx, create("q1"))
	g.await(1)
	p1 := g.start(ctx, func(engine.Tx) error { panic("p1 lost its way") })
	g.await(2)
	q2 := g.start(ctx, create("q2"))
	g.await(3)
	release()
	for name, c := range map[string]<-chan error{"q1": q1, "q2": q2} {
		if err := result(t, c); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := result(t, p1); err == nil || !strings.Contains(err.Error(), "p1 lost its way") {
		t.Errorf("the panicking update: %v, want its panic as an error", err)
	}
	if !exists("q1") || !exists("q2") {
		t.Error("the updates beside the panicking one were not stored")
	}
}

// TestGroupsWaitingForEachOther: two replicas' grouped transactions that
// each hold a lock the other's next update wants (a cycle) do not fail
// their callers: they give up waiting, roll back, and each update runs
// again alone and commits.
func TestGroupsWaitingForEachOther(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	a, b := newGrouping(t, dsn), newGrouping(t, dsn)
	if err := a.s.Update(ctx, func(tx engine.Tx) error {
		if err := tx.CreateExecution(ctx, groupExecution("x")); err != nil {
			return err
		}
		return tx.CreateExecution(ctx, groupExecution("y"))
	}); err != nil {
		t.Fatal(err)
	}
	// first locks one execution and, on its first run only, waits until
	// the other replica's first update holds the other; then records id.
	aHolds, bHolds := make(chan struct{}), make(chan struct{})
	first := func(lock, id string, mine, theirs chan struct{}) func(engine.Tx) error {
		var once sync.Once
		return func(tx engine.Tx) error {
			if err := tx.LockExecution(ctx, lock); err != nil {
				return err
			}
			ran := false
			once.Do(func() { ran = true })
			if ran {
				close(mine)
				select {
				case <-theirs:
				case <-time.After(patience):
					return errors.New("the other replica's update never locked")
				}
			}
			return tx.CreateExecution(ctx, groupExecution(id))
		}
	}
	second := func(lock, id string) func(engine.Tx) error {
		return func(tx engine.Tx) error {
			if err := tx.LockExecution(ctx, lock); err != nil {
				return err
			}
			return tx.CreateExecution(ctx, groupExecution(id))
		}
	}
	releaseA, releaseB := a.hold(), b.hold()
	a1 := a.start(ctx, first("x", "a1", aHolds, bHolds))
	a.await(1)
	a2 := a.start(ctx, second("y", "a2"))
	a.await(2)
	b1 := b.start(ctx, first("y", "b1", bHolds, aHolds))
	b.await(1)
	b2 := b.start(ctx, second("x", "b2"))
	b.await(2)
	releaseA()
	releaseB()
	for name, c := range map[string]<-chan error{"a1": a1, "a2": a2, "b1": b1, "b2": b2} {
		if err := result(t, c); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	probe := connect(t, dsn)
	var n int
	if err := probe.QueryRow(ctx, `SELECT count(*) FROM workflow_executions WHERE id IN ('a1', 'a2', 'b1', 'b2')`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Errorf("%d of the 4 updates' executions stored", n)
	}
	if ra, rb := a.s.WriterStats().Reruns, b.s.WriterStats().Reruns; ra+rb == 0 {
		t.Error("neither group was rolled back: the cycle was never formed")
	}
}

// TestDefaultCommitters: a database on this machine gets LocalCommitters
// transactions at once, one across a network half the pool (at least
// LocalCommitters).
func TestDefaultCommitters(t *testing.T) {
	t.Parallel()
	const local = postgres.LocalCommitters
	cases := []struct {
		host string
		pool int32
		want int
	}{
		{"", 8, local},
		{"/var/run/postgresql", 8, local},
		{"localhost", 16, local},
		{"127.0.0.1", 16, local},
		{"::1", 16, local},
		{"db.internal", 8, 4},
		{"db.internal", 32, 16},
		{"192.0.2.7", 8, 4}, // TEST-NET-1: no machine's own
		{"192.0.2.7", 2, local},
	}
	// An address of this machine's other than loopback is local too.
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() {
				cases = append(cases, struct {
					host string
					pool int32
					want int
				}{n.IP.String(), 16, local})
				break
			}
		}
	}
	for _, c := range cases {
		if got := postgres.DefaultCommitters(c.host, c.pool); got != c.want {
			t.Errorf("host %q, pool %d: %d transactions at once, want %d", c.host, c.pool, got, c.want)
		}
	}
}

// TestGroupWaitsForTheAuditHeadUnbounded: a grouped transaction gives up
// on row locks after a while, but not on the audit trail's head, which
// every transaction takes last (no cycle can hold it): held by another
// connection for longer than the grouped lock timeout, it is waited for,
// and the group commits without being run again.
func TestGroupWaitsForTheAuditHeadUnbounded(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	g := newGrouping(t, dsn)
	appendOne := func(actor string) func(engine.Tx) error {
		return func(tx engine.Tx) error {
			return tx.AppendAudit(ctx, &engine.AuditRecord{At: t0, Actor: actor, Channel: "api",
				Kind: engine.AuditAdmin, Outcome: engine.AuditAccepted})
		}
	}
	if err := g.s.Update(ctx, appendOne("first")); err != nil { // the head's row
		t.Fatal(err)
	}
	holder := connect(t, dsn)
	hold, err := holder.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Rollback(ctx)
	if _, err := hold.Exec(ctx, `SELECT 1 FROM audit_head WHERE id = 1 FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	release := g.hold()
	a := g.start(ctx, appendOne("a"))
	g.await(1)
	b := g.start(ctx, appendOne("b"))
	g.await(2)
	release()
	// The group waits for the head well past the grouped lock timeout.
	probe := connect(t, dsn)
	deadline := time.Now().Add(patience)
	for {
		var n int
		if err := probe.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = 'sirocco'
			AND wait_event_type = 'Lock' AND now() - query_start > interval '600 ms'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no transaction waited for the audit head past 600 ms")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := hold.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]<-chan error{"a": a, "b": b} {
		if err := result(t, c); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if st := g.s.WriterStats(); st.Reruns != 0 {
		t.Errorf("reruns = %d, want 0: the group gave up waiting for the audit head", st.Reruns)
	}
	var n int
	if err := probe.QueryRow(ctx, `SELECT count(DISTINCT xmin::text) FROM audit WHERE actor IN ('a', 'b')`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("the two records committed in %d transactions, want 1 (together)", n)
	}
}
