package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/sirocco-project/sirocco/internal/engine"
)

func (t *tx) AddStateChanges(ctx context.Context, events []engine.Event) error {
	// One statement for several rows: most transactions record 3 to 6.
	const cols = 7
	for len(events) > 0 {
		n := min(len(events), 16)
		args := make([]any, 0, n*cols)
		for _, ev := range events[:n] {
			args = append(args, ev.Kind, ev.ID, emptyNil(ev.ExecutionID), string(ev.State), emptyNil(ev.Via), emptyNil(ev.Note), fmtTime(ev.At))
		}
		query := `INSERT INTO state_changes (kind, ref, execution_id, state, via, note, at) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?), ", n), ", ")
		if _, err := t.db.ExecContext(ctx, query, args...); err != nil {
			return dbErr(err, "add state changes")
		}
		events = events[n:]
	}
	return nil
}

func (r reader) StateChanges(ctx context.Context, ref string) ([]engine.Event, error) {
	rows, err := r.db.QueryContext(ctx, `SELECT kind, ref, execution_id, state, via, note, at FROM state_changes
		WHERE ref = ? OR execution_id = ? ORDER BY id`, ref, ref)
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
