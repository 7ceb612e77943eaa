package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/pgtest"
	"github.com/sirocco-project/sirocco/internal/postgres"
)

// TestPurgeUsesIndexes: the retention purge's statements can walk
// migration 0007's partial index of finished roots in order and find
// sub-executions and idempotency answers by index (with sequential scans
// priced out, as they would be on a large table, and planned without
// the arguments' values): each of its
// transactions stays short however large the tables.
func TestPurgeUsesIndexes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	s, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	c := connect(t, dsn)
	// Generic plans too: a statement prepared and run often is planned
	// without its arguments' values.
	for _, set := range []string{`SET enable_seqscan = off`, `SET plan_cache_mode = force_generic_plan`} {
		if _, err := c.Exec(ctx, set); err != nil {
			t.Fatal(err)
		}
	}
	for i, p := range postgres.PurgePlans {
		// EXPLAIN EXECUTE of a prepared statement: the plan a statement
		// run often gets, planned without its arguments.
		name := fmt.Sprintf("purge%d", i)
		if _, err := c.Exec(ctx, "PREPARE "+name+" AS "+p.SQL); err != nil {
			t.Fatal(err)
		}
		rows, err := c.Query(ctx, "EXPLAIN EXECUTE "+name+"("+strings.Join(p.Args, ", ")+")")
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, line)
		}
		rows.Close()
		all := strings.Join(plan, "\n")
		if !strings.Contains(all, p.Index) || strings.Contains(all, "Sort") || strings.Contains(all, "Seq Scan") {
			t.Errorf("plan of %s:\n%s\nwant index %s, no sort, no sequential scan", p.SQL, all, p.Index)
		}
	}
}

// TestPurgeSkipsLockedTrees: a tree another transaction holds (its root
// locked, as the engine's work on it does) is passed over at once, not
// waited for, and purged by a later call once released.
func TestPurgeSkipsLockedTrees(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	s, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Update(ctx, func(tx engine.Tx) error {
		for _, id := range []string{"held", "free"} {
			if err := tx.CreateExecution(ctx, &engine.Execution{ID: id, WorkflowID: "wf", WorkflowName: "wf", State: engine.StateSuccess,
				ParamsJSON: "{}", InputJSON: "{}", OutputJSON: "{}", ContextJSON: "{}", Definition: "x", ProjectID: "p",
				CreatedAt: t0, UpdatedAt: t0}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	holder := connect(t, dsn)
	if _, err := holder.Exec(ctx, `BEGIN`); err != nil {
		t.Fatal(err)
	}
	if _, err := holder.Exec(ctx, `SELECT 1 FROM workflow_executions WHERE id = 'held' FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	purge := func() engine.PurgeResult {
		t.Helper()
		// A deadline only to fail rather than hang if the purge waited.
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		var res engine.PurgeResult
		if err := s.Update(wctx, func(tx engine.Tx) error {
			var err error
			res, err = tx.PurgeExecutions(wctx, engine.PurgeQuery{Before: t0.Add(time.Hour), Limit: 100})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := purge(); res.Executions != 1 {
		t.Errorf("with held locked: purged %+v, want free alone", res)
	}
	if _, err := s.GetExecution(ctx, "held"); err != nil {
		t.Errorf("the held execution: %v", err)
	}
	if _, err := holder.Exec(ctx, `COMMIT`); err != nil {
		t.Fatal(err)
	}
	if res := purge(); res.Executions != 1 {
		t.Errorf("once released: purged %+v, want held", res)
	}
}
