package sqlite

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

// AddStateChanges holds the events until the batch commits: the writer
// inserts the timeline rows of all its updates together (insertTimeline),
// a few statements per commit instead of one or two per update. An update
// that fails drops its own (runDirect, runSavepoint).
func (t *tx) AddStateChanges(ctx context.Context, events []engine.Event) error {
	*t.db.timeline = append(*t.db.timeline, events...)
	return nil
}

// timelineChunk is how many rows one INSERT writes.
const timelineChunk = 32

// insertTimeline writes the batch's state changes inside its transaction:
// one row per execution, holding that execution's events in order
// (migration 0011).
func insertTimeline(ctx context.Context, q txQuerier, events []engine.Event) error {
	if len(events) == 0 {
		return nil
	}
	// Each execution's events, in order, into one buffer: a group is the
	// span [start, end) of it. Groups follow their first event.
	type group struct {
		exID       string
		start, end int
	}
	var groups []group
	index := make(map[string]int)
	order := make([][2]int, len(events)) // group, event
	for i, ev := range events {
		exID := ev.ExecutionID
		if exID == "" {
			exID = ev.ID // an ad-hoc action is its own execution, for the index
		}
		g, ok := index[exID]
		if !ok {
			g = len(groups)
			index[exID] = g
			groups = append(groups, group{exID: exID})
		}
		order[i] = [2]int{g, i}
	}
	slices.SortFunc(order, func(a, b [2]int) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) })
	buf := make([]byte, 0, 160*len(events))
	for k, o := range order {
		g := &groups[o[0]]
		if k == 0 || order[k-1][0] != o[0] {
			g.start = len(buf)
			buf = append(buf, '[')
		} else {
			buf = append(buf, ',')
		}
		buf = appendEvent(buf, events[o[1]])
		if k == len(order)-1 || order[k+1][0] != o[0] {
			buf = append(buf, ']')
			g.end = len(buf)
		}
	}
	text := string(buf) // one copy; each row's events are a slice of it
	args := make([]any, 0, 2*min(len(groups), timelineChunk))
	for len(groups) > 0 {
		n := min(len(groups), timelineChunk)
		args = args[:0]
		for _, g := range groups[:n] {
			args = append(args, g.exID, text[g.start:g.end])
		}
		query := `INSERT INTO timeline (execution_id, events) VALUES ` + strings.TrimSuffix(strings.Repeat("(?, ?), ", n), ", ")
		if _, err := q.ExecContext(ctx, query, args...); err != nil {
			return dbErr(err, "add state changes")
		}
		groups = groups[n:]
	}
	return nil
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

// appendEvent appends ev as a storedEvent's JSON; written by hand because
// the writer does it for every state change.
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
	b = appendTime(b, ev.At)
	return append(b, `"}`...)
}

func (r reader) StateChanges(ctx context.Context, ref string) ([]engine.Event, error) {
	// One index, by execution, serves both: find the record's execution,
	// then its rows; all their events when ref is the execution itself,
	// else the record's own.
	rows, err := r.db.QueryContext(ctx, `SELECT execution_id, events FROM timeline
		WHERE execution_id = COALESCE(
			(SELECT workflow_execution_id FROM action_executions WHERE id = ?1),
			(SELECT workflow_execution_id FROM task_executions WHERE id = ?1),
			?1)
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
			ev := engine.Event{Kind: s.Kind, ID: s.Ref, ExecutionID: exID, State: engine.State(s.State), Via: s.Via, Note: s.Note, At: parseTime(s.At)}
			if ev.ExecutionID == ev.ID && ev.Kind == "action_execution" {
				ev.ExecutionID = "" // an ad-hoc action: stored as its own execution
			}
			out = append(out, ev)
		}
	}
	return out, rows.Err()
}
