package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
)

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
