package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// TestInboxSearchIndexFollowsTheInbox: the search index (migration 0029)
// holds a row per pending asynchronous action and no other — none for a
// synchronous or finished one, none left by one that finished, none left
// by a deleted execution — so it stays the size of the inbox.
func TestInboxSearchIndexFollowsTheInbox(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "db")
	s := open(t, path)
	ctx := context.Background()
	var actions []*engine.ActionExecution
	err := s.Update(ctx, func(tx engine.Tx) error {
		for _, id := range []string{"x1", "x2"} {
			if err := tx.CreateExecution(ctx, &engine.Execution{ID: id, WorkflowID: "wf", WorkflowName: "wf", State: engine.StateRunning,
				ParamsJSON: "{}", InputJSON: `{"who": "zed"}`, OutputJSON: "{}", ContextJSON: "{}", Definition: "x", ProjectID: "p",
				CreatedAt: t0, UpdatedAt: t0}); err != nil {
				return err
			}
		}
		for i := range 12 {
			at := t0.Add(time.Duration(i) * time.Second)
			ex := []string{"x1", "x2"}[i%2]
			a := &engine.ActionExecution{ID: fmt.Sprintf("a%02d", i), Name: "std.async_noop", WorkflowExecutionID: &ex,
				State: []engine.State{engine.StateRunning, engine.StatePaused, engine.StateSuccess}[i%3], Async: i%4 != 3,
				ProjectID: "p", InputJSON: `{"n": "item"}`, CreatedAt: at, UpdatedAt: at}
			if err := tx.CreateActionExecution(ctx, a); err != nil {
				return err
			}
			actions = append(actions, a)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	check := func(when string) {
		t.Helper()
		var want, docs, fts int
		q := `SELECT (SELECT count(*) FROM action_executions WHERE is_async = 1 AND state IN ('RUNNING', 'PAUSED')),
			(SELECT count(*) FROM inbox_docs), (SELECT count(*) FROM inbox_fts)`
		if err := db.QueryRow(q).Scan(&want, &docs, &fts); err != nil {
			t.Fatal(err)
		}
		if docs != want || fts != want {
			t.Errorf("%s: %d documents and %d index rows for %d pending actions", when, docs, fts, want)
		}
		var unmatched int
		if err := db.QueryRow(`SELECT count(*) FROM inbox_docs d JOIN action_executions a ON a.id = d.action_execution_id
			WHERE NOT (a.is_async = 1 AND a.state IN ('RUNNING', 'PAUSED'))`).Scan(&unmatched); err != nil {
			t.Fatal(err)
		}
		if unmatched != 0 {
			t.Errorf("%s: %d documents of actions not pending", when, unmatched)
		}
	}
	check("created")
	err = s.Update(ctx, func(tx engine.Tx) error {
		for i, a := range actions {
			if a.State.Completed() {
				continue
			}
			a.State = []engine.State{engine.StateSuccess, engine.StatePaused, engine.StateRunning, engine.StateError}[i%4]
			if err := tx.UpdateActionExecution(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	check("after updates")
	if err := s.Update(ctx, func(tx engine.Tx) error { return tx.DeleteExecution(ctx, "x1") }); err != nil {
		t.Fatal(err)
	}
	check("after an execution's deletion")
}
