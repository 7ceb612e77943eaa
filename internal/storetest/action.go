package storetest

import (
	"context"
	"testing"

	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// testGetActionScope: GetActionScope reads an action with its task and
// execution in one go; an ad-hoc action has neither, and an unknown id is
// not found.
func testGetActionScope(t *testing.T, h Harness) {
	s, _ := h.Open(t)
	seed(t, s, 2)
	ctx := context.Background()
	if err := s.Update(ctx, func(tx engine.Tx) error {
		return tx.CreateActionExecution(ctx, &engine.ActionExecution{ID: "adhoc", Name: "std.echo", State: engine.StateRunning,
			ProjectID: "p", InputJSON: `{"output": 1}`, CreatedAt: t0, UpdatedAt: t0})
	}); err != nil {
		t.Fatal(err)
	}
	a, task, ex, err := s.GetActionScope(ctx, "a01")
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != "a01" || a.State != engine.StateRunning || task == nil || task.ID != "task" || task.Name != "t" ||
		ex == nil || ex.ID != "ex" || ex.Definition != "x" || ex.State != engine.StateRunning {
		t.Errorf("GetActionScope(a01) = %+v, %+v, %+v", a, task, ex)
	}
	a, task, ex, err = s.GetActionScope(ctx, "adhoc")
	if err != nil || a.ID != "adhoc" || a.InputJSON != `{"output": 1}` || task != nil || ex != nil {
		t.Errorf("GetActionScope(adhoc) = %+v, %+v, %+v, %v", a, task, ex, err)
	}
	if _, _, _, err := s.GetActionScope(ctx, "nope"); fault.Code(err) != fault.ENOTFOUND {
		t.Errorf("GetActionScope(nope) error = %v, want ENOTFOUND", err)
	}
}

// testDeleteExecutionTakesItsJobs: deleting an execution removes its tasks,
// its actions, their jobs (actions to run, tasks' timers), its timeline and
// its actions' callback tokens with it, and nothing else.
func testDeleteExecutionTakesItsJobs(t *testing.T, h Harness) {
	s, a := h.Open(t)
	seed(t, s, 1)
	ctx := context.Background()
	for _, id := range []string{"a00", "unrelated"} {
		if err := updateAccounts(a, func(tx auth.Tx) error { return tx.PutCallbackToken(ctx, id, "hash of "+id, t0) }); err != nil {
			t.Fatal(err)
		}
	}
	err := s.Update(ctx, func(tx engine.Tx) error {
		for _, ref := range []string{"a00", "task", "unrelated"} {
			if err := tx.AddJob(ctx, &engine.Job{Kind: "k", Ref: ref, DueAt: t0}); err != nil {
				return err
			}
		}
		return tx.AddStateChanges(ctx, []engine.Event{
			ev("execution", "ex", "ex", engine.StateRunning, 0), ev("execution", "e2", "e2", engine.StateRunning, 0)})
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(ctx, func(tx engine.Tx) error { return tx.DeleteExecution(ctx, "ex") })
	if err != nil {
		t.Fatal(err)
	}
	if left := claim(t, s, t0); len(left) != 1 || left[0].Ref != "unrelated" {
		t.Errorf("jobs left after deleting the execution: %+v", left)
	}
	for what, err := range map[string]error{"execution": errOf(s.GetExecution(ctx, "ex")), "task": errOf(s.GetTask(ctx, "task")),
		"action": errOf(s.GetActionExecution(ctx, "a00"))} {
		if fault.Code(err) != fault.ENOTFOUND {
			t.Errorf("the %s of a deleted execution: %v, want ENOTFOUND", what, err)
		}
	}
	if evs, err := s.StateChanges(ctx, "ex"); err != nil || len(evs) != 0 {
		t.Errorf("the timeline of a deleted execution: %+v, %v", evs, err)
	}
	if evs, err := s.StateChanges(ctx, "e2"); err != nil || len(evs) != 1 {
		t.Errorf("the timeline of another execution: %+v, %v; want its one event", evs, err)
	}
	if _, err := a.CallbackTokenHash(ctx, "a00"); fault.Code(err) != fault.ENOTFOUND {
		t.Errorf("the callback token of a deleted action: %v, want not found", err)
	}
	if _, err := a.CallbackTokenHash(ctx, "unrelated"); err != nil {
		t.Errorf("another action's callback token: %v", err)
	}
}
