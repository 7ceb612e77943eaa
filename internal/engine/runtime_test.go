package engine

import "testing"

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

func TestRuntimeContextRoundTrip(t *testing.T) {
	for _, row := range []string{oldRow, `{}`, `{"triggered_by": [{"event": "on-success", "task_id": "t1"}]}`} {
		task := &Task{RuntimeContextJSON: row}
		setRuntime(task, runtime(task))
		if task.RuntimeContextJSON != row {
			t.Errorf("runtime context read and written back:\n got %s\nwant %s", task.RuntimeContextJSON, row)
		}
	}
}
