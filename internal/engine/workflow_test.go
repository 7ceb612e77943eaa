package engine_test

import (
	"context"
	"testing"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// Starts look workflows up in a cache: an update or a delete must be seen
// by the very next start, by name and by id.
func TestStartSeesWorkflowChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEngine(t, engine.Config{})
	def := func(task string) string {
		return "version: '2.0'\nwf:\n  tasks:\n    " + task + ":\n      action: std.async_noop\n"
	}
	wfs, err := e.CreateWorkflows(ctx, nil, def("first"), "", "")
	if err != nil {
		t.Fatal(err)
	}
	firstTask := func(ident string) string {
		t.Helper()
		ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: ident})
		if err != nil {
			t.Fatal(err)
		}
		tasks, err := e.ListTasks(ctx, engine.ListQuery{Filters: []engine.Filter{{Field: "workflow_execution_id", Op: engine.OpEq, Values: []string{ex.ID}}}})
		if err != nil || len(tasks) != 1 {
			t.Fatalf("tasks of %s: %v %v", ex.ID, tasks, err)
		}
		return tasks[0].Name
	}
	for _, ident := range []string{"wf", wfs[0].ID} {
		if got := firstTask(ident); got != "first" {
			t.Fatalf("start %s ran task %q, want first", ident, got)
		}
	}
	if _, err := e.UpdateWorkflows(ctx, nil, def("second"), "", ""); err != nil {
		t.Fatal(err)
	}
	for _, ident := range []string{"wf", wfs[0].ID} {
		if got := firstTask(ident); got != "second" {
			t.Fatalf("after update, start %s ran task %q, want second", ident, got)
		}
	}
	if err := e.DeleteWorkflow(ctx, nil, "wf", ""); err != nil {
		t.Fatal(err)
	}
	for _, ident := range []string{"wf", wfs[0].ID} {
		if _, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: ident}); fault.Code(err) != fault.ENOTFOUND {
			t.Fatalf("start %s after delete: %v, want fault.ENOTFOUND", ident, err)
		}
	}
}

// A start decides the workflow's end without counting its tasks: a start
// task that ends at once ends the workflow through the task's own end,
// and a workflow with nothing to start ends at once.
func TestStartEndsAtOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEngine(t, engine.Config{})
	for name, def := range map[string]string{
		"empty_items": "version: '2.0'\nempty_items:\n  tasks:\n    each:\n      with-items: x in <% [] %>\n      action: std.async_noop\n",
		"no_start":    "version: '2.0'\nno_start:\n  tasks:\n    a:\n      action: std.async_noop\n      on-complete: [b]\n    b:\n      action: std.async_noop\n      on-complete: [a]\n",
	} {
		if _, err := e.CreateWorkflows(ctx, nil, def, "", ""); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: name})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if ex.State != engine.StateSuccess {
			t.Errorf("%s: the start left the execution %s, want SUCCESS", name, ex.State)
		}
	}
}
