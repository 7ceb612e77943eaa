package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/pgtest"
	"github.com/sirocco-project/sirocco/internal/postgres"
	"github.com/sirocco-project/sirocco/internal/sqlite"
)

// ladderClock is an engine clock a test sets.
type ladderClock struct{ now atomic.Pointer[time.Time] }

func (c *ladderClock) Now() time.Time  { return *c.now.Load() }
func (c *ladderClock) set(t time.Time) { c.now.Store(&t) }

// TestMigrateToKeepsTheLadder: migrate-to moves an approval's ladder with
// it: the reminder it sent (an audit record of kind reminder) and the job
// row of its next rung, which the PostgreSQL server fires (the
// escalation) without sending the reminder again.
func TestMigrateToKeepsTheLadder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	clock := &ladderClock{}
	clock.set(t0)
	path := filepath.Join(t.TempDir(), "sirocco.db")
	st, err := sqlite.Open(ctx, path, sqlite.Options{Sync: sqlite.SyncNormal})
	if err != nil {
		t.Fatal(err)
	}
	e := engine.New(engine.Config{Store: st, Clock: clock, BaseURL: "http://sirocco.test"})
	const flow = `version: '2.0'
moved_ladder:
  tasks:
    ask:
      action: std.approval
      input:
        title: Moved with its ladder
        remind_after: 30m
        remind_every: 1d
        escalate_after: 4h
        escalate_to: [user:lead]
`
	if _, err := e.CreateWorkflows(ctx, nil, flow, "", ""); err != nil {
		t.Fatal(err)
	}
	ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "moved_ladder"})
	if err != nil {
		t.Fatal(err)
	}
	actions, err := e.ListActionExecutions(ctx, engine.ListQuery{Filters: []engine.Filter{{Field: "workflow_execution_id", Op: engine.OpEq, Values: []string{ex.ID}}}})
	if err != nil || len(actions) != 1 {
		t.Fatalf("actions: %v %v", actions, err)
	}
	id := actions[0].ID
	rungs := func(e *engine.Engine) string {
		st, err := e.ApprovalStatus(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range st.Ladder.Done {
			out = append(out, fmt.Sprintf("%s@%s", r.Kind, r.At.Sub(t0)))
		}
		return strings.Join(out, " ")
	}
	// The SQLite server sends the first reminder, then stops.
	clock.set(t0.Add(time.Hour))
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { e.Run(runCtx); close(done) }()
	poll(t, "the reminder", func() (bool, string) { got := rungs(e); return got != "", got })
	stop()
	<-done
	st.Close()

	var out bytes.Buffer
	dsn := pgtest.DSN(t)
	if err := run(ctx, []string{"migrate-to", "-db", path, dsn}, func(string) string { return "" }, &out, &out); err != nil {
		t.Fatalf("migrate-to: %v\n%s", err, out.String())
	}

	pg, err := postgres.Open(ctx, dsn, postgres.Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	clock.set(t0.Add(5 * time.Hour))
	e2 := engine.New(engine.Config{Store: pg, Clock: clock, BaseURL: "http://sirocco.test"})
	if got := rungs(e2); got != "reminder@1h0m0s" {
		t.Fatalf("after the move: rungs %q, want the reminder alone", got)
	}
	runCtx, stop = context.WithCancel(ctx)
	done = make(chan struct{})
	go func() { e2.Run(runCtx); close(done) }()
	defer func() { stop(); <-done }()
	poll(t, "the escalation on PostgreSQL", func() (bool, string) {
		got := rungs(e2)
		return got == "reminder@1h0m0s escalation@5h0m0s", got
	})
	status, err := e2.ApprovalStatus(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !status.Request.Escalated || strings.Join(status.Request.Approvers, ",") != "user:lead" {
		t.Errorf("after the escalation: approvers %v", status.Request.Approvers)
	}
}
