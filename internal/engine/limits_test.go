package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// TestMaxOutputCountsTheOutput: -max-output bounds the output as encoded,
// not the {"result": …} the engine stores it in: an output of exactly the
// limit is accepted, one byte more is refused naming both sizes.
func TestMaxOutputCountsTheOutput(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, store string) {
		t.Parallel()
		ctx := context.Background()
		const limit = 100
		e := newEngineOn(t, store, engine.Config{MaxOutputBytes: limit})
		if _, err := e.CreateWorkflows(ctx, nil, "version: '2.0'\nwf:\n  tasks:\n    t:\n      action: std.async_noop\n", "", ""); err != nil {
			t.Fatal(err)
		}
		pending := func() *engine.ActionExecution {
			ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf"})
			if err != nil {
				t.Fatal(err)
			}
			return pendingAction(t, e, ex.ID, "t")
		}
		output := func(n int) string { return strings.Repeat("x", n-2) } // "xx…x": n bytes encoded

		a := pending()
		if _, err := e.UpdateActionExecution(ctx, a.ID, engine.Completion{State: engine.StateSuccess, Output: output(limit), HasOutput: true}); err != nil {
			t.Errorf("an output of exactly %d bytes: %v", limit, err)
		}
		a = pending()
		_, err := e.UpdateActionExecution(ctx, a.ID, engine.Completion{State: engine.StateSuccess, Output: output(limit + 1), HasOutput: true})
		if fault.Code(err) != fault.ETOOLARGE || !strings.Contains(err.Error(), "101 bytes") || !strings.Contains(err.Error(), "limit is 100 bytes") {
			t.Errorf("an output of %d bytes: %v, want too large naming 101 and 100 bytes", limit+1, err)
		}
	})
}

// TestTaskCeiling: a workflow whose transitions loop without end fails
// once it has MaxTasksPerExecution task executions, saying so, instead of
// adding tasks for ever; the tasks it ran stay.
func TestTaskCeiling(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, store string) {
		t.Parallel()
		ctx := context.Background()
		const ceiling = 50
		e := newEngineOn(t, store, engine.Config{MaxTasksPerExecution: ceiling})
		for _, wf := range []string{
			// A loop of tasks each ending in a transaction of its own (a timer
			// between them), and one of tasks ending at once in one chain.
			// (A start task leads in: a task with a transition to it is not one.)
			"version: '2.0'\nwf:\n  tasks:\n    start:\n      action: std.noop\n      on-success: [again]\n    again:\n      action: std.noop\n      wait-after: 0.001\n      on-success: [again]\n",
			"version: '2.0'\nwf:\n  tasks:\n    start:\n      action: std.noop\n      on-success: [again]\n    again:\n      action: std.noop\n      on-success: [again]\n",
		} {
			_, err := e.UpdateWorkflows(ctx, nil, wf, "", "")
			if fault.Code(err) == fault.ENOTFOUND {
				_, err = e.CreateWorkflows(ctx, nil, wf, "", "")
			}
			if err != nil {
				t.Fatal(err)
			}
			ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf"})
			if err != nil {
				t.Fatal(err)
			}
			ex = settle(t, e, ex.ID, "")
			want := "exceeded the limit of 50 task executions"
			if ex.State != engine.StateError || ex.StateInfo == nil || !strings.Contains(*ex.StateInfo, want) {
				t.Errorf("execution: %s %v, want ERROR saying %q", ex.State, ex.StateInfo, want)
			}
			tasks, err := e.ListTasks(ctx, engine.ListQuery{Filters: []engine.Filter{{Field: "workflow_execution_id", Op: engine.OpEq, Values: []string{ex.ID}}}})
			if err != nil {
				t.Fatal(err)
			}
			if len(tasks) != ceiling {
				t.Errorf("%d task executions, want %d", len(tasks), ceiling)
			}
		}
	})
}
