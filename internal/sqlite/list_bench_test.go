package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/sqlite"
)

// BenchmarkListRunningActions reads a page of 500 RUNNING action
// executions of a workflow, as a callback service polling for work does
// (GET /v2/action_executions?state=RUNNING&workflow_name=…&limit=500):
//
//	go test ./internal/sqlite -run '^$' -bench ListRunningActions -benchmem
func BenchmarkListRunningActions(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	err = st.Update(ctx, func(tx engine.Tx) error {
		for i := range 2000 {
			at := t0.Add(time.Duration(i) * time.Millisecond)
			ex, task, wf, tn := fmt.Sprintf("x%05d", i), fmt.Sprintf("t%05d", i), "wf", "wait"
			if err := tx.CreateExecution(ctx, &engine.Execution{ID: ex, WorkflowID: "wf", WorkflowName: wf, State: engine.StateRunning,
				ParamsJSON: "{}", InputJSON: "{}", OutputJSON: "{}", ContextJSON: "{}", Definition: "x", ProjectID: "p", CreatedAt: at, UpdatedAt: at}); err != nil {
				return err
			}
			if err := tx.CreateTask(ctx, &engine.Task{ID: task, Name: tn, Type: engine.TaskTypeAction, WorkflowExecutionID: ex,
				WorkflowName: wf, WorkflowID: "wf", State: engine.StateRunning, RuntimeContextJSON: "{}", InContextJSON: "{}",
				PublishedJSON: "{}", ResultJSON: "null", ProjectID: "p", CreatedAt: at, UpdatedAt: at}); err != nil {
				return err
			}
			a := &engine.ActionExecution{ID: fmt.Sprintf("a%05d", i), Name: "std.async_noop", WorkflowName: &wf, WorkflowNamespace: "",
				TaskName: &tn, TaskExecutionID: &task, WorkflowExecutionID: &ex, State: engine.StateRunning, Async: true,
				ProjectID: "<default-project>", InputJSON: "{}", CreatedAt: at, UpdatedAt: at}
			if err := tx.CreateActionExecution(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	q := engine.ListQuery{Limit: 500, SortKeys: []string{"created_at", "id"}, SortDirs: []string{"asc", "asc"},
		Filters: []engine.Filter{{Field: "state", Op: engine.OpEq, Values: []string{"RUNNING"}}, {Field: "workflow_name", Op: engine.OpEq, Values: []string{"wf"}}}}
	b.ReportAllocs()
	for b.Loop() {
		list, err := st.ListActionExecutions(ctx, q)
		if err != nil || len(list) != 500 {
			b.Fatalf("%d actions, %v", len(list), err)
		}
	}
}
