package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// AddStateChanges holds the events until the batch commits: the writer
// inserts the timeline rows of all its updates together (insertTimeline),
// a few statements per commit instead of one or two per update. An update
// that fails drops its own (runSavepoint).
func (t *tx) AddStateChanges(ctx context.Context, events []engine.Event) error {
	*t.db.timeline = append(*t.db.timeline, events...)
	return nil
}

// timelineChunk is how many rows one INSERT writes.
const timelineChunk = 32

// insertTimeline writes the batch's state changes, oldest first, inside
// its transaction.
func insertTimeline(ctx context.Context, q txQuerier, events []engine.Event) error {
	const cols = 7
	args := make([]any, 0, timelineChunk*cols)
	for len(events) > 0 {
		n := min(len(events), timelineChunk)
		args = args[:0]
		for _, ev := range events[:n] {
			exID := ev.ExecutionID
			if exID == "" {
				exID = ev.ID // an ad-hoc action is its own execution, for the index
			}
			args = append(args, ev.Kind, ev.ID, exID, string(ev.State), emptyNil(ev.Via), emptyNil(ev.Note), fmtTime(ev.At))
		}
		query := `INSERT INTO state_changes (kind, ref, execution_id, state, via, note, at) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?), ", n), ", ")
		if _, err := q.ExecContext(ctx, query, args...); err != nil {
			return dbErr(err, "add state changes")
		}
		events = events[n:]
	}
	return nil
}

func (r reader) StateChanges(ctx context.Context, ref string) ([]engine.Event, error) {
	// One index, by execution, serves both: find the record's execution,
	// then its rows (all of them when ref is the execution itself).
	rows, err := r.db.QueryContext(ctx, `SELECT kind, ref, execution_id, state, via, note, at FROM state_changes
		WHERE execution_id = COALESCE(
			(SELECT workflow_execution_id FROM action_executions WHERE id = ?1),
			(SELECT workflow_execution_id FROM task_executions WHERE id = ?1),
			?1)
		AND (ref = ?1 OR execution_id = ?1) ORDER BY id`, ref)
	if err != nil {
		return nil, fmt.Errorf("state changes of %s: %w", ref, err)
	}
	defer rows.Close()
	var out []engine.Event
	for rows.Next() {
		var ev engine.Event
		var state, at string
		var exID, via, note sql.NullString
		if err := rows.Scan(&ev.Kind, &ev.ID, &exID, &state, &via, &note, &at); err != nil {
			return nil, fmt.Errorf("state changes of %s: %w", ref, err)
		}
		ev.ExecutionID, ev.State, ev.Via, ev.Note, ev.At = exID.String, engine.State(state), via.String, note.String, parseTime(at)
		if ev.ExecutionID == ev.ID && ev.Kind == "action_execution" {
			ev.ExecutionID = "" // an ad-hoc action: stored as its own execution
		}
		out = append(out, ev)
	}
	return out, rows.Err()
}

func emptyNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}
