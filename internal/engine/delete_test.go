package engine_test

import (
	"context"
	"testing"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// TestDeleteExecutionTakesItsSubExecutions: deleting an execution deletes
// its sub-workflow executions with their tasks and actions, as Mistral's
// cascade does; none is left orphaned.
func TestDeleteExecutionTakesItsSubExecutions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEngine(t, engine.Config{})
	if _, err := e.CreateWorkflows(ctx, nil, `version: '2.0'
del_root:
  tasks:
    sub:
      workflow: del_mid
del_mid:
  tasks:
    sub:
      workflow: del_leaf
del_leaf:
  tasks:
    echo:
      action: std.echo output=1
`, "", ""); err != nil {
		t.Fatal(err)
	}
	ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "del_root"})
	if err != nil {
		t.Fatal(err)
	}
	if got := settle(t, e, ex.ID, ""); got.State != engine.StateSuccess {
		t.Fatalf("root: %s %s", got.State, deref(got.StateInfo))
	}
	subs, err := e.ListExecutions(ctx, engine.ListQuery{Filters: []engine.Filter{{Field: "root_execution_id", Op: engine.OpEq, Values: []string{ex.ID}}}})
	if err != nil || len(subs) != 2 {
		t.Fatalf("sub-executions: %d, %v; want 2", len(subs), err)
	}
	if err := e.DeleteExecution(ctx, nil, ex.ID, false); err != nil {
		t.Fatal(err)
	}
	for _, sub := range subs {
		if _, err := e.GetExecution(ctx, sub.ID); fault.Code(err) != fault.ENOTFOUND {
			t.Errorf("sub-execution %s (%s) after its root was deleted: %v, want not found", sub.ID, sub.WorkflowName, err)
		}
	}
	for _, name := range []string{"del_mid", "del_leaf"} {
		tasks, err := e.ListTasks(ctx, engine.ListQuery{Filters: []engine.Filter{{Field: "workflow_name", Op: engine.OpEq, Values: []string{name}}}})
		if err != nil || len(tasks) != 0 {
			t.Errorf("tasks of %s after the delete: %d, %v; want none", name, len(tasks), err)
		}
	}
}
