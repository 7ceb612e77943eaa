package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/sqlite"
)

// TestInboxSearchIndexFollowsTheInbox: the search index (migration 0029)
// holds a row per pending asynchronous action and no other — none for a
// synchronous or finished one, none left by one that finished, none left
// by a deleted execution — so it stays the size of the inbox: in every
// commit when kept in step, and once applied (here by Close) when it lags
// (migration 0030), its lag emptied.
func TestInboxSearchIndexFollowsTheInbox(t *testing.T) {
	for _, tc := range []struct {
		name   string
		lag    time.Duration
		inStep bool
	}{{"in step", -1, true}, {"lagging", time.Hour, false}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "db")
			s, err := sqlite.Open(context.Background(), path, sqlite.Options{SearchLag: tc.lag})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			testIndexFollowsInbox(t, path, s, tc.inStep)
		})
	}
}

func testIndexFollowsInbox(t *testing.T, path string, s *sqlite.Store, inStep bool) {
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
	db := rawDB(t, path)
	check := func(when string) {
		t.Helper()
		var want, docs, fts, lag int
		q := `SELECT (SELECT count(*) FROM action_executions WHERE is_async = 1 AND state IN ('RUNNING', 'PAUSED')),
			(SELECT count(*) FROM inbox_docs), (SELECT count(*) FROM inbox_fts), (SELECT count(*) FROM inbox_lag)`
		if err := db.QueryRow(q).Scan(&want, &docs, &fts, &lag); err != nil {
			t.Fatal(err)
		}
		if docs != want || fts != want || lag != 0 {
			t.Errorf("%s: %d documents and %d index rows for %d pending actions, %d rows of lag", when, docs, fts, want, lag)
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
	// lagging: the index is empty, the lag holds every touch so far.
	lagging := func(when string) {
		t.Helper()
		if docs, lag := indexCounts(t, db); docs != 0 || lag == 0 {
			t.Errorf("%s: %d documents and %d rows of lag; want none, and some", when, docs, lag)
		}
	}
	step := func(when string) {
		t.Helper()
		if inStep {
			check(when)
		} else {
			lagging(when)
		}
	}
	step("created")
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
	step("after updates")
	if err := s.Update(ctx, func(tx engine.Tx) error { return tx.DeleteExecution(ctx, "x1") }); err != nil {
		t.Fatal(err)
	}
	step("after an execution's deletion")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	check("after Close")
}

// TestInboxSearchReadsTheLag: while the search index lags (migration
// 0030), an indexed search (three characters or more) finds what the scan
// would — actions just entered, not those just left, by their own input or
// their execution's — and a store opened on a file whose lag was never
// applied (a backup taken meanwhile, as after a crash) applies it with its
// first commit, its searches the same before and after.
func TestInboxSearchReadsTheLag(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	s, err := sqlite.Open(ctx, filepath.Join(dir, "db"), sqlite.Options{SearchLag: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	actions := map[string]*engine.ActionExecution{}
	err = s.Update(ctx, func(tx engine.Tx) error {
		for i, input := range []string{`{"who": "Zed"}`, `{"who": "amy"}`} {
			ex := fmt.Sprintf("x%d", i)
			if err := tx.CreateExecution(ctx, &engine.Execution{ID: ex, WorkflowID: "wf", WorkflowName: "wf", State: engine.StateRunning,
				ParamsJSON: "{}", InputJSON: input, OutputJSON: "{}", ContextJSON: "{}", Definition: "x", ProjectID: "p",
				CreatedAt: t0, UpdatedAt: t0}); err != nil {
				return err
			}
			for j, in := range []string{`{"ticket": "disk quota"}`, `{"ticket": "new laptop"}`} {
				id := fmt.Sprintf("a%d%d", i, j)
				at := t0.Add(time.Duration(2*i+j) * time.Second)
				a := &engine.ActionExecution{ID: id, Name: "std.async_noop", WorkflowExecutionID: &ex, State: engine.StateRunning,
					Async: true, ProjectID: "p", InputJSON: in, CreatedAt: at, UpdatedAt: at}
				if err := tx.CreateActionExecution(ctx, a); err != nil {
					return err
				}
				actions[id] = a
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	search := func(s *sqlite.Store, text string) []string {
		t.Helper()
		p, err := s.Inbox(ctx, engine.InboxQuery{Search: text, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, it := range p.Items {
			ids = append(ids, it.ID)
		}
		return ids
	}
	cases := []struct {
		text string
		want []string
	}{
		{"QUOTA", []string{"a10"}}, // a00 has left the inbox
		{"ticket", []string{"a01", "a10", "a11"}},
		{"zed", []string{"a01"}}, // the execution's input
		{"lap", []string{"a01", "a11"}},
		{"nothing", nil},
	}
	finish := actions["a00"]
	finish.State = engine.StateSuccess
	if err := s.Update(ctx, func(tx engine.Tx) error { return tx.UpdateActionExecution(ctx, finish) }); err != nil {
		t.Fatal(err)
	}
	verify := func(s *sqlite.Store, when string) {
		t.Helper()
		for _, c := range cases {
			if got := search(s, c.text); !slices.Equal(got, c.want) {
				t.Errorf("%s: search %q: %v; want %v", when, c.text, got, c.want)
			}
		}
	}
	verify(s, "lagging")
	backup := filepath.Join(dir, "copy.db")
	if err := s.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	counts := func(path string) (docs, lag int) {
		t.Helper()
		return indexCounts(t, rawDB(t, path))
	}
	// One row: a00's leaving needs none, as it was created since the lag
	// was last applied (never indexed).
	if docs, lag := counts(backup); docs != 0 || lag != 1 {
		t.Fatalf("the copy: %d documents, %d rows of lag; want 0 and 1", docs, lag)
	}
	c, err := sqlite.Open(ctx, backup, sqlite.Options{SearchLag: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	verify(c, "the copy, opened")
	// Any commit applies a lag left by an earlier run (the writer may
	// have done it already, quiet).
	if err := c.Update(ctx, func(engine.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if docs, lag := counts(backup); docs != 3 || lag != 0 {
		t.Errorf("the copy after a commit: %d documents, %d rows of lag; want 3 and 0", docs, lag)
	}
	verify(c, "the copy, applied")
	// An indexed action leaving the inbox: its leaving is recorded, and
	// applied when the store closes.
	gone := actions["a10"]
	gone.Version = 0
	gone.State = engine.StateSuccess
	if err := c.Update(ctx, func(tx engine.Tx) error { return tx.UpdateActionExecution(ctx, gone) }); err != nil {
		t.Fatal(err)
	}
	cases[0].want = nil
	cases[1].want = []string{"a01", "a11"}
	verify(c, "the copy, a10 gone")
	if docs, lag := counts(backup); docs != 3 || lag != 1 {
		t.Errorf("the copy after a10 left: %d documents, %d rows of lag; want 3 and 1", docs, lag)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if docs, lag := counts(backup); docs != 2 || lag != 0 {
		t.Errorf("the copy closed: %d documents, %d rows of lag; want 2 and 0", docs, lag)
	}
}

// TestInboxLagAppliedWhenQuiet: a writer with nothing else to do applies
// the lag once it is due, without waiting for another commit or Close.
func TestInboxLagAppliedWhenQuiet(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	s, err := sqlite.Open(ctx, path, sqlite.Options{SearchLag: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ex := "x"
	err = s.Update(ctx, func(tx engine.Tx) error {
		if err := tx.CreateExecution(ctx, &engine.Execution{ID: ex, WorkflowID: "wf", WorkflowName: "wf", State: engine.StateRunning,
			ParamsJSON: "{}", InputJSON: "{}", OutputJSON: "{}", ContextJSON: "{}", Definition: "x", ProjectID: "p",
			CreatedAt: t0, UpdatedAt: t0}); err != nil {
			return err
		}
		return tx.CreateActionExecution(ctx, &engine.ActionExecution{ID: "a", Name: "std.async_noop", WorkflowExecutionID: &ex,
			State: engine.StateRunning, Async: true, ProjectID: "p", InputJSON: `{"ticket": 1}`, CreatedAt: t0, UpdatedAt: t0})
	})
	if err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	// Polled, not slept on: the writer's timer is due a millisecond after
	// the commit; the deadline only bounds a failure.
	deadline := time.Now().Add(10 * time.Second)
	for {
		docs, lag := indexCounts(t, db)
		if docs == 1 && lag == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("10 s after the commit: %d documents, %d rows of lag; want 1 and 0", docs, lag)
		}
		time.Sleep(time.Millisecond)
	}
}

// indexCounts is how many documents the search index holds, and how many
// rows of lag wait for it.
// rawDB opens the database file at path beside the store, with no
// migration, for reading its tables; it is closed when the test ends.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func indexCounts(t *testing.T, db *sql.DB) (docs, lag int) {
	t.Helper()
	if err := db.QueryRow(`SELECT (SELECT count(*) FROM inbox_docs), (SELECT count(*) FROM inbox_lag)`).Scan(&docs, &lag); err != nil {
		t.Fatal(err)
	}
	return docs, lag
}
