package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
)

func ev(kind, id, exID string, state engine.State, at int) engine.Event {
	return engine.Event{Kind: kind, ID: id, ExecutionID: exID, State: state, At: t0.Add(time.Duration(at) * time.Second)}
}

// TestTimeline: the events of one batch for several executions, stored
// one row per execution, read back per execution and per record in the
// order they happened, with notes of any text.
func TestTimeline(t *testing.T) {
	t.Parallel()
	s := open(t, filepath.Join(t.TempDir(), "db"))
	seed(t, s, 2) // execution ex, its task, actions a00 and a01
	ctx := context.Background()
	note := "approved by \"ann\" \\ \n\t\x01 — ünïcode \xff end"
	batches := [][]engine.Event{
		{
			ev("execution", "ex", "ex", engine.StateRunning, 0),
			ev("execution", "e2", "e2", engine.StateRunning, 1),
			ev("task", "task", "ex", engine.StateRunning, 2),
			ev("action_execution", "adhoc", "", engine.StateRunning, 3),
			ev("task", "t2", "e2", engine.StateRunning, 4),
		},
		{
			{Kind: "action_execution", ID: "a01", ExecutionID: "ex", State: engine.StateSuccess, Via: "dashboard", Note: note, At: t0.Add(5 * time.Second)},
			ev("task", "task", "ex", engine.StateSuccess, 6),
			ev("execution", "ex", "ex", engine.StateSuccess, 7),
		},
	}
	for _, b := range batches {
		if err := s.Update(ctx, func(tx engine.Tx) error { return tx.AddStateChanges(ctx, b) }); err != nil {
			t.Fatal(err)
		}
	}
	got := func(ref string) []string {
		t.Helper()
		evs, err := s.StateChanges(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range evs {
			out = append(out, e.Kind+" "+e.ID+" "+e.ExecutionID+" "+string(e.State)+" "+e.At.Format("05"))
			if e.ID == "a01" && (e.Note != "approved by \"ann\" \\ \n\t\x01 — ünïcode \uFFFD end" || e.Via != "dashboard") {
				t.Errorf("a01: via %q, note %q", e.Via, e.Note)
			}
		}
		return out
	}
	for ref, want := range map[string][]string{
		"ex":    {"execution ex ex RUNNING 00", "task task ex RUNNING 02", "action_execution a01 ex SUCCESS 05", "task task ex SUCCESS 06", "execution ex ex SUCCESS 07"},
		"e2":    {"execution e2 e2 RUNNING 01", "task t2 e2 RUNNING 04"},
		"task":  {"task task ex RUNNING 02", "task task ex SUCCESS 06"},
		"a01":   {"action_execution a01 ex SUCCESS 05"},
		"adhoc": {"action_execution adhoc  RUNNING 03"},
		"none":  nil,
	} {
		if g := got(ref); !slices.Equal(g, want) {
			t.Errorf("timeline of %s:\n got %q\nwant %q", ref, g, want)
		}
	}
}

// TestTimelineMigration: rows of the timeline's former layout (one row
// per state change, migration 0002/0007) read the same after migration
// 0011 regrouped them.
func TestTimelineMigration(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "db")
	s := open(t, path)
	s.Close()
	// Put the database back to its layout before 0011, with old rows.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`DROP TABLE timeline`,
		`CREATE TABLE state_changes (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, ref TEXT NOT NULL, execution_id TEXT,
			state TEXT NOT NULL, via TEXT, note TEXT, at TEXT NOT NULL)`,
		`CREATE INDEX state_changes_execution ON state_changes (execution_id, id)`,
		`INSERT INTO state_changes (kind, ref, execution_id, state, via, note, at) VALUES
			('execution', 'e1', 'e1', 'RUNNING', NULL, NULL, '2026-11-27 21:00:00.000000'),
			('action_execution', 'a1', 'e1', 'SUCCESS', 'api', 'said "yes"', '2026-11-27 21:00:01.000000'),
			('execution', 'e1', 'e1', 'SUCCESS', NULL, NULL, '2026-11-27 21:00:02.000000')`,
		`DELETE FROM schema_migrations WHERE version = 11`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	s = open(t, path)
	evs, err := s.StateChanges(context.Background(), "e1")
	if err != nil {
		t.Fatal(err)
	}
	want := []engine.Event{
		{Kind: "execution", ID: "e1", ExecutionID: "e1", State: engine.StateRunning, At: t0},
		{Kind: "action_execution", ID: "a1", ExecutionID: "e1", State: engine.StateSuccess, Via: "api", Note: `said "yes"`, At: t0.Add(time.Second)},
		{Kind: "execution", ID: "e1", ExecutionID: "e1", State: engine.StateSuccess, At: t0.Add(2 * time.Second)},
	}
	if len(evs) != len(want) {
		t.Fatalf("got %d events, want %d: %+v", len(evs), len(want), evs)
	}
	for i := range want {
		if evs[i] != want[i] {
			t.Errorf("event %d: got %+v, want %+v", i, evs[i], want[i])
		}
	}
}
