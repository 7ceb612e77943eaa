package engine_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// A with-items task rerun without reset (task-rerun --resume) runs only the
// items that failed or never ran and keeps the others' results; with reset
// it runs every item again.
func TestRerunWithItems(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		concurrency string
		reset       bool
		// outcome of the items of the first attempt, by index; "" = never ran
		first []string
		// items running right after the rerun
		started []int
		// item indexes the rerun runs, in the order they are completed
		rerun []int
	}{
		{"resume reruns the failed item", "", false, []string{"SUCCESS", "ERROR", "SUCCESS"}, []int{1}, []int{1}},
		{"resume also runs items never started", "1", false, []string{"SUCCESS", "ERROR", ""}, []int{1}, []int{1, 2}},
		{"reset reruns every item", "", true, []string{"SUCCESS", "ERROR", "SUCCESS"}, []int{0, 1, 2}, []int{0, 1, 2}},
	}
	eachStore(t, func(t *testing.T, store string) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				e, rec := newRecordedEngineOn(t, store, engine.Config{})
				conc := ""
				if tc.concurrency != "" {
					conc = "      concurrency: " + tc.concurrency + "\n"
				}
				def := "version: '2.0'\nwf:\n  tasks:\n    fan:\n      with-items: x in <% [1, 2, 3] %>\n" + conc +
					"      action: std.async_noop\n      publish:\n        r: <% task().result %>\n"
				if _, err := e.CreateWorkflows(ctx, nil, def, "", ""); err != nil {
					t.Fatal(err)
				}
				ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf"})
				if err != nil {
					t.Fatal(err)
				}
				running := func() []*engine.ActionExecution {
					t.Helper()
					list, err := e.ListActionExecutions(ctx, engine.ListQuery{Filters: []engine.Filter{
						{Field: "workflow_execution_id", Op: engine.OpEq, Values: []string{ex.ID}},
						{Field: "state", Op: engine.OpEq, Values: []string{"RUNNING"}}}})
					if err != nil {
						t.Fatal(err)
					}
					return list
				}
				// First attempt: complete the items as the case says, one at a
				// time, in index order.
				var taskID string
				for i, outcome := range tc.first {
					if outcome == "" {
						continue
					}
					var a *engine.ActionExecution
					for _, r := range running() {
						if r.ItemIndex == i {
							a = r
						}
					}
					if a == nil {
						t.Fatalf("first attempt: item %d is not running", i)
					}
					taskID = *a.TaskExecutionID
					if _, err := e.UpdateActionExecution(ctx, a.ID, engine.Completion{State: engine.State(outcome), Output: fmt.Sprintf("first-%d", i), HasOutput: true}); err != nil {
						t.Fatal(err)
					}
				}
				if got := settle(t, e, ex.ID, ""); got.State != engine.StateError {
					t.Fatalf("after the first attempt the workflow is %s, want ERROR", got.State)
				}

				if _, err := e.RerunTask(ctx, taskID, nil, tc.reset); err != nil {
					t.Fatal(err)
				}
				indexes := func(list []*engine.ActionExecution) string {
					var got []int
					for _, a := range list {
						got = append(got, a.ItemIndex)
					}
					return fmt.Sprint(got)
				}
				if got := indexes(running()); got != fmt.Sprint(tc.started) {
					t.Fatalf("right after the rerun items %s run, want %v", got, tc.started)
				}
				for _, want := range tc.rerun {
					var a *engine.ActionExecution
					for _, r := range running() {
						if r.ItemIndex == want {
							a = r
						}
					}
					if a == nil {
						t.Fatalf("rerun: item %d is not running (running: %s)", want, indexes(running()))
					}
					if _, err := e.UpdateActionExecution(ctx, a.ID, engine.Completion{State: engine.StateSuccess, Output: fmt.Sprintf("rerun-%d", want), HasOutput: true}); err != nil {
						t.Fatal(err)
					}
				}
				if got := settle(t, e, ex.ID, ""); got.State != engine.StateSuccess {
					t.Fatalf("after the rerun the workflow is %s (%v), want SUCCESS", got.State, got.StateInfo)
				}
				task, err := e.GetTask(ctx, taskID)
				if err != nil {
					t.Fatal(err)
				}
				want := make([]string, 3)
				for i := range want {
					want[i] = fmt.Sprintf("%q", fmt.Sprintf("first-%d", i))
				}
				for _, i := range tc.rerun {
					want[i] = fmt.Sprintf("%q", fmt.Sprintf("rerun-%d", i))
				}
				if wantJSON := "[" + want[0] + ", " + want[1] + ", " + want[2] + "]"; task.ResultJSON != wantJSON {
					t.Errorf("task result %s, want %s", task.ResultJSON, wantJSON)
				}
				all, err := e.ListActionExecutions(ctx, engine.ListQuery{Filters: []engine.Filter{{Field: "task_execution_id", Op: engine.OpEq, Values: []string{taskID}}}})
				if err != nil {
					t.Fatal(err)
				}
				ran := 0
				for _, o := range tc.first {
					if o != "" {
						ran++
					}
				}
				if len(all) != ran+len(tc.rerun) {
					t.Errorf("%d action executions, want %d (first attempt %d, rerun %d)", len(all), ran+len(tc.rerun), ran, len(tc.rerun))
				}
				checkRuntimeGolden(t, rec, "rerun_"+filepath.Base(t.Name()), store == "sqlite")
			})
		}
	})
}
