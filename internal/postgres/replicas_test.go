package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/pgtest"
	"github.com/sirocco-project/sirocco/internal/postgres"
)

// hearingStore records the notices its engine's listener acts on.
type hearingStore struct {
	*postgres.Store
	heard chan engine.Notice
}

func (s *hearingStore) Listen(ctx context.Context, fn func(engine.Notice)) error {
	return s.Store.Listen(ctx, func(n engine.Notice) { fn(n); s.heard <- n })
}

// recorder is a Publisher that keeps what it is given.
type recorder struct{ events chan engine.Event }

func (r *recorder) Publish(ev engine.Event) { r.events <- ev }

// waitEvent returns the first event r gets from now on that matches.
func (r *recorder) waitEvent(t *testing.T, what string, match func(engine.Event) bool) {
	t.Helper()
	for {
		if ev := await(t, r.events, what); match(ev) {
			return
		}
	}
}

// waitHeard waits until s's engine has acted on a notice that matches.
func (s *hearingStore) waitHeard(t *testing.T, what string, match func(engine.Notice) bool) {
	t.Helper()
	for {
		if n := await(t, s.heard, what); match(n) {
			return
		}
	}
}

// std.sleep, not std.noop: an instant action would run in the transaction
// that starts it, and this test needs a job.
const echoFlow = "version: '2.0'\nwf:\n  tasks:\n    t:\n      action: std.sleep seconds=0\n"

// TestReplicasShareChanges: two engines over one PostgreSQL database,
// connected by LISTEN/NOTIFY only. What B commits reaches A's Publisher;
// B's worker never runs, so A runs the job B added, woken by B's notice;
// A's workflow cache drops a definition B replaced.
func TestReplicasShareChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	a := &hearingStore{Store: openDSN(t, dsn), heard: make(chan engine.Notice, 1024)}
	ready := make(chan struct{}, 16)
	postgres.OnListen(a.Store, func() { ready <- struct{}{} })
	pubA := &recorder{events: make(chan engine.Event, 4096)}
	ea := engine.New(engine.Config{Store: a, Publisher: pubA, BaseURL: "http://sirocco.test"})
	eb := engine.New(engine.Config{Store: openDSN(t, dsn), Publisher: &recorder{events: make(chan engine.Event, 4096)},
		BaseURL: "http://sirocco.test"})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { ea.Run(runCtx); close(done) }()
	t.Cleanup(func() { stop(); <-done })
	<-ea.Started()
	await(t, ready, "A's listener")

	if _, err := eb.CreateWorkflows(ctx, nil, echoFlow, "", ""); err != nil {
		t.Fatal(err)
	}
	a.waitHeard(t, "B's new workflow", func(n engine.Notice) bool { return n.Replica == eb.ReplicaID() && n.Definitions })
	wf, err := ea.GetWorkflow(ctx, "wf", "") // now in A's cache
	if err != nil {
		t.Fatal(err)
	}

	ex, err := eb.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf"})
	if err != nil {
		t.Fatal(err)
	}
	pubA.waitEvent(t, "B's execution starting, on A", func(ev engine.Event) bool {
		return ev.Kind == "execution" && ev.ID == ex.ID && ev.State == engine.StateRunning
	})
	a.waitHeard(t, "B's jobs", func(n engine.Notice) bool { return n.Replica == eb.ReplicaID() && n.Jobs })
	pubA.waitEvent(t, "the execution ending, run by A", func(ev engine.Event) bool {
		return ev.Kind == "execution" && ev.ID == ex.ID && ev.State == engine.StateSuccess
	})

	if _, err := eb.UpdateWorkflows(ctx, nil, strings.Replace(echoFlow, "std.sleep seconds=0", "std.echo output=1", 1), "", ""); err != nil {
		t.Fatal(err)
	}
	a.waitHeard(t, "B's replaced workflow", func(n engine.Notice) bool { return n.Replica == eb.ReplicaID() && n.Definitions })
	got, err := ea.GetWorkflow(ctx, "wf", "")
	if err != nil {
		t.Fatal(err)
	}
	if got.Definition == wf.Definition || !strings.Contains(got.Definition, "std.echo") {
		t.Errorf("A still serves the old definition after B replaced it:\n%s", got.Definition)
	}

	live, err := eb.Replicas(ctx)
	if err != nil || len(live) != 1 || live[0].ID != ea.ReplicaID() {
		t.Errorf("B lists live replicas %+v, %v; want A's heartbeat only (B's worker does not run)", live, err)
	}
}
