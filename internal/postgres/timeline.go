package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

// AddStateChanges holds the events until the update commits: they are
// written together, one row per execution (as the SQLite store's
// migration 0011 lays them out). An update that fails writes none.
func (t *tx) AddStateChanges(ctx context.Context, events []engine.Event) error {
	*t.q.timeline = append(*t.q.timeline, events...)
	return nil
}

// insertTimeline writes an update's state changes: one row per execution,
// holding that execution's events in order as a JSON array (which holds a
// note's NUL as the escape \u0000: text columns cannot hold NUL).
// queueTimeline queues the insert of a transaction's state changes on b.
func queueTimeline(b *pgx.Batch, events []engine.Event) {
	if len(events) == 0 {
		return
	}
	var order []string
	byEx := map[string][]byte{}
	for _, ev := range events {
		exID := ev.ExecutionID
		if exID == "" {
			exID = ev.ID // an ad-hoc action is its own execution, for the index
		}
		b, ok := byEx[exID]
		if !ok {
			order = append(order, exID)
			b = append(b, '[')
		} else {
			b = append(b, ',')
		}
		byEx[exID] = appendEvent(b, ev)
	}
	var a args
	var values []string
	for _, exID := range order {
		values = append(values, "("+a.add(exID)+", "+a.add(string(append(byEx[exID], ']')))+")")
	}
	b.Queue(`INSERT INTO timeline (execution_id, events) VALUES `+strings.Join(values, ", "), a...)
}

// storedEvent is an event as the timeline stores it.
type storedEvent struct {
	Kind  string `json:"kind"`
	Ref   string `json:"ref"`
	State string `json:"state"`
	Via   string `json:"via,omitempty"`
	Note  string `json:"note,omitempty"`
	At    string `json:"at"`
}

// eventTime is the SQLite store's time format, so that the events' JSON
// is the same in both stores.
const eventTime = "2006-01-02 15:04:05.000000"

func appendEvent(b []byte, ev engine.Event) []byte {
	b = append(b, `{"kind":`...)
	b = jsonvalue.AppendString(b, ev.Kind)
	b = append(b, `,"ref":`...)
	b = jsonvalue.AppendString(b, ev.ID)
	b = append(b, `,"state":`...)
	b = jsonvalue.AppendString(b, string(ev.State))
	if ev.Via != "" {
		b = append(b, `,"via":`...)
		b = jsonvalue.AppendString(b, ev.Via)
	}
	if ev.Note != "" {
		b = append(b, `,"note":`...)
		b = jsonvalue.AppendString(b, ev.Note)
	}
	b = append(b, `,"at":"`...)
	b = ev.At.UTC().AppendFormat(b, eventTime)
	return append(b, `"}`...)
}

func (r reader) StateChanges(ctx context.Context, ref string) ([]engine.Event, error) {
	rows, err := r.db.Query(ctx, `SELECT execution_id, events FROM timeline
		WHERE execution_id = COALESCE(
			(SELECT workflow_execution_id FROM action_executions WHERE id = $1),
			(SELECT workflow_execution_id FROM task_executions WHERE id = $1),
			$1)
		ORDER BY id`, ref)
	if err != nil {
		return nil, fmt.Errorf("state changes of %s: %w", ref, err)
	}
	defer rows.Close()
	var out []engine.Event
	for rows.Next() {
		var exID, events string
		if err := rows.Scan(&exID, &events); err != nil {
			return nil, fmt.Errorf("state changes of %s: %w", ref, err)
		}
		var stored []storedEvent
		if err := json.Unmarshal([]byte(events), &stored); err != nil {
			return nil, fmt.Errorf("state changes of %s: %w", ref, err)
		}
		for _, s := range stored {
			if ref != exID && s.Ref != ref {
				continue
			}
			at, _ := time.Parse(eventTime, s.At)
			ev := engine.Event{Kind: s.Kind, ID: s.Ref, ExecutionID: exID, State: engine.State(s.State), Via: s.Via, Note: s.Note, At: at}
			if ev.ExecutionID == ev.ID && ev.Kind == "action_execution" {
				ev.ExecutionID = "" // an ad-hoc action: stored as its own execution
			}
			out = append(out, ev)
		}
	}
	return out, rows.Err()
}
