package postgres_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/pgtest"
	"github.com/sirocco-project/sirocco/internal/postgres"
)

// TestLockRootOf: LockRootOf locks the root execution of a record's tree
// — for an action of a sub-workflow, its root, not its own execution —
// until the transaction ends: another connection's NOWAIT lock of the
// root fails meanwhile, and of the sub-workflow's execution does not.
func TestLockRootOf(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	s, err := postgres.Open(ctx, dsn, postgres.Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mk := func(id string, root *string) *engine.Execution {
		return &engine.Execution{ID: id, WorkflowID: "wf", WorkflowName: "wf", State: engine.StateRunning, RootExecutionID: root,
			ParamsJSON: "{}", InputJSON: "{}", OutputJSON: "{}", ContextJSON: "{}", Definition: "x", ProjectID: "p", CreatedAt: t0, UpdatedAt: t0}
	}
	root := "root"
	err = s.Update(ctx, func(tx engine.Tx) error {
		if err := tx.CreateExecution(ctx, mk(root, nil)); err != nil {
			return err
		}
		if err := tx.CreateExecution(ctx, mk("sub", &root)); err != nil {
			return err
		}
		sub := "sub"
		k := &engine.Task{ID: "task", Name: "t", Type: engine.TaskTypeAction, WorkflowExecutionID: sub, WorkflowName: "wf",
			WorkflowID: "wf", State: engine.StateRunning, RuntimeContextJSON: "{}", InContextJSON: "{}", PublishedJSON: "{}",
			ResultJSON: "null", ProjectID: "p", CreatedAt: t0, UpdatedAt: t0}
		if err := tx.CreateTask(ctx, k); err != nil {
			return err
		}
		return tx.CreateActionExecution(ctx, &engine.ActionExecution{ID: "act", Name: "std.async_noop", TaskExecutionID: &k.ID,
			WorkflowExecutionID: &sub, State: engine.StateRunning, ProjectID: "p", InputJSON: "{}", CreatedAt: t0, UpdatedAt: t0})
	})
	if err != nil {
		t.Fatal(err)
	}
	probe := connect(t, dsn)
	locked := func(id string) bool {
		t.Helper()
		tx, err := probe.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		_, err = tx.Exec(ctx, `SELECT 1 FROM workflow_executions WHERE id = $1 FOR UPDATE NOWAIT`, id)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "55P03" {
			return true
		}
		if err != nil {
			t.Fatal(err)
		}
		return false
	}
	for _, c := range []struct{ kind, id string }{{engine.RootOfAction, "act"}, {engine.RootOfExecution, "sub"}, {engine.RootOfExecution, root}} {
		err := s.Update(ctx, func(tx engine.Tx) error {
			if err := tx.(engine.RootLocker).LockRootOf(ctx, c.kind, c.id); err != nil {
				return err
			}
			if !locked(root) {
				t.Errorf("LockRootOf(%s, %s): the root is not locked", c.kind, c.id)
			}
			if c.id != root && locked("sub") {
				t.Errorf("LockRootOf(%s, %s): the sub-workflow's execution is locked, not (only) its root", c.kind, c.id)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if locked(root) {
			t.Errorf("LockRootOf(%s, %s): the root is still locked after the transaction", c.kind, c.id)
		}
	}
	// A record in no tree, or none at all, locks nothing and is no error.
	if err := s.Update(ctx, func(tx engine.Tx) error { return tx.(engine.RootLocker).LockRootOf(ctx, engine.RootOfAction, "nope") }); err != nil {
		t.Errorf("LockRootOf of an unknown action: %v", err)
	}
}
