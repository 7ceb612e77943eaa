package engine

import (
	"context"
	"fmt"

	"github.com/sirocco-project/sirocco/internal/fault"
)

// RerunTask runs a failed task again (PUT /v2/tasks/<id>, the mistral
// CLI's task-rerun): its workflow, ended in ERROR by it, runs again from
// that task. With reset, every earlier action stops counting towards the
// task's result and a with-items task runs all its items again; without
// (task-rerun --resume), only its failed and cancelled items run again
// and the results of the others are kept, as in Mistral.
func (e *Engine) RerunTask(ctx context.Context, id string, env map[string]any, reset bool) (*Task, error) {
	var out *Task
	err := e.update(ctx, func(w *work) error {
		t, err := w.tx.GetTask(ctx, id)
		if fault.Code(err) == fault.ENOTFOUND {
			return fault.Errorf(fault.ENOTFOUND, "Task execution not found [id=%s]", id)
		}
		if err != nil {
			return err
		}
		if _, err := w.lockTree(t.WorkflowExecutionID); err != nil {
			return err
		}
		if t, err = w.tx.GetTask(ctx, id); err != nil { // as it is under the lock
			return err
		}
		if t.State != StateError {
			return fault.Errorf(fault.EINVALID, "Failed to rerun the task: only a task in ERROR can be rerun; %s is %s.", t.Name, t.State)
		}
		ex, spec, err := w.executionOf(t)
		if err != nil {
			return err
		}
		if ex.State != StateError {
			return fault.Errorf(fault.EINVALID, "Failed to rerun the task: its workflow execution %s is %s; only a failed workflow can be rerun.", ex.ID, ex.State)
		}
		actions, err := w.tx.ActionExecutionsOf(ctx, t.ID)
		if err != nil {
			return err
		}
		for _, a := range actions {
			if a.Accepted && (reset || a.State == StateError || a.State == StateCancelled) {
				a.Accepted = false
				if err := w.writeAction(a, a.State); err != nil {
					return err
				}
			}
		}
		now := e.now()
		if env != nil {
			params := decodeObject(ex.ParamsJSON)
			params["env"] = merge(asObject(params["env"]), env)
			ex.ParamsJSON = encodeOrNull(params)
		}
		ex.State, ex.StateInfo, ex.OutputJSON, ex.UpdatedAt = StateRunning, nil, "{}", now
		if err := w.writeExecution(ex, StateError); err != nil {
			return fmt.Errorf("rerun execution %s: %w", ex.ID, err)
		}
		w.publish(Event{Kind: "execution", ID: ex.ID, State: ex.State, ExecutionID: ex.ID, Note: "rerun of task " + t.Name})
		if err := w.notifyExecution(ex, StateError); err != nil {
			return err
		}
		rc := runtimeOf(t)
		rc.rerun()
		setRuntime(t, rc)
		t.StateInfo, t.FinishedAt, t.Processed, t.ErrorHandled = nil, nil, false, false
		t.PublishedJSON, t.ResultJSON = "{}", "[]"
		if err := w.runTask(ex, spec, t); err != nil {
			return err
		}
		out = t
		return nil
	})
	if err != nil {
		return nil, err
	}
	return e.store.GetTask(ctx, out.ID)
}
