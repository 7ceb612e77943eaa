package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// searchInputs are the inputs of testInboxSearch's actions: case, non-ASCII
// letters (which the search does not fold), LIKE's wildcards, quotes,
// backslashes, and a newline (where a store that indexes an action's and
// its execution's inputs as one text would see them meet).
var searchInputs = []string{
	`{"requester": "User42", "note": "100% sure"}`,
	`{"requester": "user420", "path": "C:\\temp\\x_y"}`,
	`{"title": "École Zoë", "said": "\"hello\""}`,
	`{"title": "ecole zoe"}`,
	"{\"a\": 1,\n \"b\": \"tail}\"}",
	`{}`,
}

// searchExecInputs are the inputs of its three executions.
var searchExecInputs = []string{`{"requester": "Zed"}`, "{\n\"owner\": \"ANN-MARIE\"}", `{}`}

// testInboxSearch: the inbox's search gives, on both stores, what a
// case-insensitive (ASCII only, as LIKE) literal substring search of each
// pending action's input and of its execution's input gives, for queries
// of every length — whatever index answers the longer ones — and its index
// follows actions in and out of the inbox: created pending or finished,
// paused, finished, resumed.
func testInboxSearch(t *testing.T, h Harness) {
	s, _ := h.Open(t)
	ctx := context.Background()
	type row struct {
		a    *engine.ActionExecution
		exec int
	}
	var rows []row
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		for i, in := range searchExecInputs {
			ex := &engine.Execution{ID: fmt.Sprintf("sx%d", i), WorkflowID: "wf", WorkflowName: "wf", State: engine.StateRunning,
				ParamsJSON: "{}", InputJSON: in, OutputJSON: "{}", ContextJSON: "{}", Definition: "x", ProjectID: "p", CreatedAt: t0, UpdatedAt: t0}
			if err := tx.CreateExecution(ctx, ex); err != nil {
				return err
			}
		}
		for i := range 36 {
			at := t0.Add(time.Duration(i) * time.Second)
			exec := i % len(searchExecInputs)
			exID := fmt.Sprintf("sx%d", exec)
			task := &engine.Task{ID: fmt.Sprintf("st%02d", i), Name: "step", Type: engine.TaskTypeAction, WorkflowExecutionID: exID,
				WorkflowName: "wf", WorkflowID: "wf", State: engine.StateRunning, RuntimeContextJSON: "{}", InContextJSON: "{}",
				PublishedJSON: "{}", ResultJSON: "null", ProjectID: "p", CreatedAt: at, UpdatedAt: at}
			if err := tx.CreateTask(ctx, task); err != nil {
				return err
			}
			state := []engine.State{engine.StateRunning, engine.StatePaused, engine.StateSuccess, engine.StateRunning}[i%4]
			wf := "wf"
			a := &engine.ActionExecution{ID: fmt.Sprintf("sa%02d", i), Name: "std.async_noop", WorkflowName: &wf, TaskName: &task.Name,
				TaskExecutionID: &task.ID, WorkflowExecutionID: &exID, State: state, ProjectID: "p", Async: i%9 != 8,
				InputJSON: searchInputs[i%len(searchInputs)], CreatedAt: at, UpdatedAt: at}
			if err := tx.CreateActionExecution(ctx, a); err != nil {
				return err
			}
			rows = append(rows, row{a, exec})
		}
		return nil
	})
	// Move some: finish running ones, pause, resume a paused one.
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		for i, r := range rows {
			var to engine.State
			switch {
			case i%8 == 0:
				to = engine.StateSuccess
			case i%8 == 3:
				to = engine.StatePaused
			case i%8 == 5:
				to = engine.StateRunning
			case i%8 == 6:
				to = engine.StateError
			default:
				continue
			}
			if r.a.State.Completed() {
				continue
			}
			r.a.State = to
			if err := tx.UpdateActionExecution(ctx, r.a); err != nil {
				return err
			}
		}
		return nil
	})

	foldASCII := func(s string) string {
		b := []byte(s)
		for i, c := range b {
			if 'A' <= c && c <= 'Z' {
				b[i] = c + 'a' - 'A'
			}
		}
		return string(b)
	}
	for _, q := range []string{
		"us", "user42", "USER42", "er4", "100% s", "0%", "1_0", "x_y", `\temp`, `C:\`, `"hello"`, `\"hello\"`,
		"école", "École", "ÉCOLE", "zoë", "ZOË", "cole", "zoe", "ZED", "ann-marie", "Marie", "\n\"owner", "}\"}", "ail}",
		"\"}\n{", "no such text", "é", "ë z", `""`, "{}", "sa0", "ab",
	} {
		var want []string
		for _, r := range rows {
			if !r.a.Async || r.a.State.Completed() {
				continue
			}
			if strings.Contains(foldASCII(r.a.InputJSON), foldASCII(q)) || strings.Contains(foldASCII(searchExecInputs[r.exec]), foldASCII(q)) {
				want = append(want, r.a.ID)
			}
		}
		// In pages of 5, both ways, so the order and the cursors hold too.
		var got []string
		var matching int
		query := engine.InboxQuery{Search: q, Limit: 5}
		for {
			p, err := s.Inbox(ctx, query)
			if err != nil {
				t.Fatalf("search %q: %v", q, err)
			}
			got, matching = append(got, inboxIDs(p)...), p.Matching
			if p.Next == nil {
				break
			}
			query.After = p.Next
		}
		if !slices.Equal(got, append([]string{}, want...)) || matching != len(want) {
			t.Errorf("search %q: %v (matching %d), want %v", q, got, matching, want)
		}
		newest, err := s.Inbox(ctx, engine.InboxQuery{Search: q, Limit: 100, Newest: true})
		if err != nil {
			t.Fatal(err)
		}
		rev := slices.Clone(want)
		slices.Reverse(rev)
		if got := inboxIDs(newest); !slices.Equal(got, append([]string{}, rev...)) {
			t.Errorf("search %q, newest first: %v, want %v", q, got, rev)
		}
	}
}
