package engine

import (
	"context"
	"fmt"

	"github.com/sirocco-project/sirocco/internal/dsl"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// runTimerJob fires a task timer (timeout, wait-before, retry, wait-after).
// Timers are job rows, so a restart loses none and fires overdue ones at
// once. The whole step is one transaction with the job's deletion.
func (e *Engine) runTimerJob(ctx context.Context, j *Job) error {
	return e.update(ctx, func(w *work) error {
		// First: a worker that lost the lease changes nothing.
		if err := w.tx.DeleteJob(ctx, j.ID, e.owner); err != nil {
			return err
		}
		t, err := w.tx.GetTask(ctx, j.Ref)
		if fault.Code(err) == fault.ENOTFOUND {
			return nil // deleted with its execution
		}
		if err != nil {
			return err
		}
		if _, err := w.lockTree(t.WorkflowExecutionID); err != nil {
			return err
		}
		if t, err = w.tx.GetTask(ctx, j.Ref); err != nil {
			return err
		}
		ex, spec, err := w.executionOf(t)
		if err != nil {
			return err
		}
		switch j.Kind {
		case JobTaskTimeout:
			return w.timeoutTask(ex, spec, t)
		case JobStartWorkflow:
			if t.State != StateRunning || ex.State.Completed() {
				return nil
			}
			return w.startSubworkflow(ex, spec, t, w.exprContext(ex, decodeObject(t.InContextJSON), t))
		}
		if t.State != StateDelayed {
			return nil // the task moved on meanwhile
		}
		if ex.State != StateRunning {
			// Paused: remember that the timer fired; resume goes on from here.
			rc := runtimeOf(t)
			rc.TimerFired = j.Kind
			setRuntime(t, rc)
			return w.writeTask(t, t.State)
		}
		return w.fireTimer(ex, spec, t, j.Kind)
	})
}

// fireTimer continues a DELAYED task whose timer fired.
func (w *work) fireTimer(ex *Execution, spec *dsl.Workflow, t *Task, kind string) error {
	rc := runtimeOf(t)
	rc.TimerFired = ""
	setRuntime(t, rc)
	switch kind {
	case JobTaskWaitBefore:
		return w.beginTask(ex, spec, t)
	case JobTaskRetry:
		return w.runTask(ex, spec, t)
	case JobTaskWaitAfter:
		out := rc.PendingOutcome
		if out == nil {
			out = &heldOutcome{} // as before: a task ended in no state
		}
		rc.PendingOutcome = nil
		setRuntime(t, rc)
		return w.finishTask(ex, spec, t, out.State, out.Info, out.Result)
	}
	return fmt.Errorf("unknown timer kind %q", kind)
}

// timeoutTask fails a task that is still running when its timeout fires.
// Its async action stays RUNNING: a late result is accepted but does not
// revive the task (reference §3.4).
func (w *work) timeoutTask(ex *Execution, spec *dsl.Workflow, t *Task) error {
	switch t.State {
	case StateRunning, StateDelayed, StatePaused, StateWaiting, StateIdle:
	default:
		return nil
	}
	rc := runtimeOf(t)
	info := fmt.Sprintf("Task timed out [timeout(s)=%s].", fmtSeconds(rc.Timeout))
	rc.TimedOut = true
	setRuntime(t, rc)
	if err := w.auditTimeout(t, info); err != nil {
		return err
	}
	return w.finishTask(ex, spec, t, StateError, &info, []any{})
}
