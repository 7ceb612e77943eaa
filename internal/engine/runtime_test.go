package engine

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

// oldRow is a runtime context as stored before it became a struct, with
// every key the engine writes and one it does not know (a newer version's,
// or one a Mistral client put there): reading and writing it back must
// change nothing.
const oldRow = `{"concurrency": 2, "items": [{"x": 1}, {"x": "two"}], "join_count": 3, "join_done": true, ` +
	`"pause_before_done": true, "pending_outcome": {"result": {"a": [1, 2.5, null]}, "state": "ERROR", "state_info": "boom"}, ` +
	`"retry_task_policy": {"retry_no": 4}, "timed_out": true, "timeout": 1.5, "timer_fired": "task_wait_after", ` +
	`"transitions_done": 2, "triggered_by": [{"event": "on-success", "task_id": "t1"}, {"event": "on-error", "task_id": "t2"}], ` +
	`"unknown_key": {"kept": ["as", "is"]}, "wait_after_done": true, "wait_before_done": true, ` +
	`"with_items": {"capacity": 2, "count": 2}}`

// knownRow is oldRow without its unknown key: encoded key by key, not
// through a map.
var knownRow = strings.Replace(oldRow, `"unknown_key": {"kept": ["as", "is"]}, `, "", 1)

func TestRuntimeContextRoundTrip(t *testing.T) {
	for _, row := range []string{oldRow, knownRow, `{}`, `{"triggered_by": [{"event": "on-success", "task_id": "t1"}]}`,
		`{"items": [], "with_items": {"capacity": 0, "count": 0}}`,
		`{"pending_outcome": {"result": null, "state": "SUCCESS", "state_info": "caf\u00e9 \"q\" \\ \n"}, "timeout": 1e+16}`,
	} {
		task := &Task{RuntimeContextJSON: row}
		setRuntime(task, runtimeOf(task))
		if task.RuntimeContextJSON != row {
			t.Errorf("runtime context read and written back:\n got %s\nwant %s", task.RuntimeContextJSON, row)
		}
	}
}

// TestRuntimeContextReadsOldRow: every key of a row stored before reads
// into its field with the value the map-based code read.
func TestRuntimeContextReadsOldRow(t *testing.T) {
	rc := runtimeOf(&Task{RuntimeContextJSON: oldRow})
	two, boom := int64(2), "boom"
	want := &runtimeContext{
		TriggeredBy:     []trigger{{TaskID: "t1", Event: "on-success"}, {TaskID: "t2", Event: "on-error"}},
		JoinCount:       3,
		JoinDone:        true,
		WaitBeforeDone:  true,
		PauseBeforeDone: true,
		WaitAfterDone:   true,
		Timeout:         1.5,
		TimedOut:        true,
		RetryNo:         4,
		PendingOutcome:  &heldOutcome{State: StateError, Info: &boom, Result: jsonvalue.ObjectOf("a", []any{int64(1), 2.5, nil})},
		TimerFired:      JobTaskWaitAfter,
		TransitionsDone: 2,
		WithItems:       &itemsProgress{Count: 2, Capacity: 2},
		Items:           []map[string]any{{"x": int64(1)}, {"x": "two"}},
		Concurrency:     &two,
		extra:           map[string]any{"unknown_key": jsonvalue.ObjectOf("kept", []any{"as", "is"})},
	}
	if !reflect.DeepEqual(rc, want) {
		t.Errorf("old row read as\n%#v\nwant\n%#v", rc, want)
	}
}

// TestRuntimeContextKeepsWhatItDoesNotKnow: keys the engine does not know,
// and known ones holding values it never writes, survive a change to the
// context; the fields it sets win.
func TestRuntimeContextKeepsWhatItDoesNotKnow(t *testing.T) {
	for _, tc := range []struct{ name, row, want string }{
		{"unknown key", `{"a_key": [1, 2.0], "join_count": 1}`, `{"a_key": [1, 2.0], "join_count": 2}`},
		{"unexpected shape", `{"join_count": 1, "timer_fired": 5, "triggered_by": [{"task_id": "t1"}]}`,
			`{"join_count": 2, "timer_fired": 5, "triggered_by": [{"task_id": "t1"}]}`},
		{"field wins", `{"join_count": "one"}`, `{"join_count": 1}`},
		{"not an object", `[1]`, `{"join_count": 1}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			task := &Task{RuntimeContextJSON: tc.row}
			rc := runtimeOf(task)
			rc.JoinCount++
			setRuntime(task, rc)
			if task.RuntimeContextJSON != tc.want {
				t.Errorf("got %s, want %s", task.RuntimeContextJSON, tc.want)
			}
		})
	}
}

// TestRuntimeContextEncoders: the direct encoder writes what the engine's
// JSON encoder writes for the same context as a map, and stores null
// where that failed.
func TestRuntimeContextEncoders(t *testing.T) {
	rc := runtimeOf(&Task{RuntimeContextJSON: knownRow})
	if rc.extra != nil {
		t.Fatalf("knownRow has keys the engine does not know: %v", rc.extra)
	}
	if got, want := rc.encode(), encodeOrNull(rc.asMap()); got != want {
		t.Errorf("direct encoding\n got %s\nwant %s", got, want)
	}
	rc.Timeout = math.Inf(1)
	if got := rc.encode(); got != "null" {
		t.Errorf("a context that cannot be encoded is stored as %s, want null", got)
	}
}
