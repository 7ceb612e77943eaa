package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/sirocco-project/sirocco/internal/engine"
)

func (t *tx) AddStateChanges(ctx context.Context, events []engine.Event) error {
	stmt, err := t.tx.PrepareContext(ctx, `INSERT INTO state_changes (kind, ref, execution_id, state, via, note, at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return dbErr(err, "add state changes")
	}
	defer stmt.Close()
	for _, ev := range events {
		if _, err := stmt.ExecContext(ctx, ev.Kind, ev.ID, emptyNil(ev.ExecutionID), string(ev.State), emptyNil(ev.Via), emptyNil(ev.Note), fmtTime(ev.At)); err != nil {
			return dbErr(err, "add state change")
		}
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
