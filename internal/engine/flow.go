package engine

import (
	"fmt"
	"sort"
	"strings"

	"github.com/sirocco-project/sirocco/internal/dsl"
	"github.com/sirocco-project/sirocco/internal/expr"
)

// This file is the direct-workflow algorithm. Every function here runs
// inside one engine transaction (a *work) and does no I/O besides the
// store: actions that talk to the world run later as jobs.

// maxDepth bounds chains of tasks started and ended in one transaction.
const maxDepth = 200

// startWorkflow evaluates vars and starts the start tasks.
func (w *work) startWorkflow(ex *Execution, spec *dsl.Workflow, input map[string]any) error {
	data := merge(input)
	if spec.Vars != nil {
		v, err := expr.Eval(spec.Vars, w.exprContext(ex, data, nil))
		if err != nil {
			return w.finishExecution(ex, spec, StateError, strPtr(err.Error()))
		}
		for k, val := range asObject(v) {
			data[k] = val
		}
	}
	ex.ContextJSON = mustEncode(data)
	if err := w.tx.UpdateExecution(w.ctx, ex); err != nil {
		return err
	}
	if spec.Type == dsl.TypeReverse {
		if err := w.startReady(ex, spec); err != nil {
			return err
		}
		return w.checkCompletion(ex, spec)
	}
	for _, name := range spec.StartTasks() {
		if err := w.startTask(ex, spec, name, data, nil); err != nil {
			return err
		}
	}
	return w.checkCompletion(ex, spec)
}

// taskInput evaluates a task's input block and its inline parameters,
// which win on conflicts.
func (w *work) taskInput(ts *dsl.Task, ectx *expr.Context) (map[string]any, error) {
	input := map[string]any{}
	if ts.Input != nil {
		v, err := expr.Eval(ts.Input, ectx)
		if err != nil {
			return nil, err
		}
		switch m := v.(type) {
		case map[string]any:
			input = m
		case nil:
		default:
			return nil, fmt.Errorf("task input must be a dictionary, got %s", expr.Str(v))
		}
	}
	if len(ts.InlineInput) > 0 {
		v, err := expr.Eval(ts.InlineInput, ectx)
		if err != nil {
			return nil, err
		}
		input = merge(input, asObject(v))
	}
	return input, nil
}

// failTask ends a task in ERROR before or instead of running its action.
func (w *work) failTask(ex *Execution, spec *dsl.Workflow, t *Task, msg string) error {
	return w.finishTask(ex, spec, t, StateError, &msg, []any{})
}

// finishTask records a task's end, publishes its variables and, unless the
// workflow is paused, runs its transitions.
func (w *work) finishTask(ex *Execution, spec *dsl.Workflow, t *Task, state State, info *string, result any) error {
	ts := spec.Tasks[t.Name]
	now := w.e.now()
	from := []State{t.State}
	t.State, t.StateInfo = state, info
	t.FinishedAt, t.UpdatedAt = &now, now
	t.ResultJSON = mustEncode(result)

	var pub map[string]any
	switch state {
	case StateSuccess:
		pub = ts.Publish
	case StateError:
		pub = ts.PublishOnError
	}
	published := map[string]any{}
	if pub != nil {
		v, err := expr.Eval(pub, w.exprContext(ex, decodeObject(t.InContextJSON), t))
		if err != nil {
			t.State, t.StateInfo = StateError, strPtr(err.Error())
		} else {
			published = asObject(v)
		}
	}
	t.PublishedJSON = mustEncode(published)
	if ts.KeepResult != nil {
		keep, err := policyBool(ts.KeepResult, w.exprContext(ex, decodeObject(t.InContextJSON), t))
		if err == nil && !keep {
			t.ResultJSON = "null"
		}
	}
	if ex.State != StateRunning {
		// Paused: transitions run on resume. Completed: nothing follows.
		t.Processed = false
		if err := w.tx.UpdateTask(w.ctx, t, from...); err != nil {
			return fmt.Errorf("finish task %q: %w", t.Name, err)
		}
		w.publish(Event{Kind: "task", ID: t.ID, State: t.State, ExecutionID: ex.ID})
		return nil
	}
	if err := w.tx.UpdateTask(w.ctx, t, from...); err != nil {
		return fmt.Errorf("finish task %q: %w", t.Name, err)
	}
	w.publish(Event{Kind: "task", ID: t.ID, State: t.State, ExecutionID: ex.ID})
	if err := w.processTask(ex, spec, t); err != nil {
		return err
	}
	return w.checkCompletion(ex, spec)
}

// processTask fires a finished task's transitions.
func (w *work) processTask(ex *Execution, spec *dsl.Workflow, t *Task) error {
	ts := spec.Tasks[t.Name]
	data := merge(decodeObject(t.InContextJSON), decodeObject(t.PublishedJSON))
	ectx := w.exprContext(ex, data, t)

	type clause struct {
		event string
		items []dsl.Transition
	}
	var clauses []clause
	switch t.State {
	case StateSuccess:
		clauses = []clause{{"on-success", ts.OnSuccess}, {"on-complete", ts.OnComplete}}
	case StateError:
		clauses = []clause{{"on-error", ts.OnError}, {"on-complete", ts.OnComplete}}
	}
	t.Processed = true
	if spec.Type == dsl.TypeReverse {
		if err := w.tx.UpdateTask(w.ctx, t); err != nil {
			return err
		}
		if t.State != StateSuccess {
			return nil
		}
		return w.startReady(ex, spec)
	}
	for _, c := range clauses {
		for _, tr := range c.items {
			if tr.Guard != "" {
				v, err := expr.EvalString(tr.Guard, ectx)
				if err != nil {
					t.Processed = true
					if err := w.tx.UpdateTask(w.ctx, t); err != nil {
						return err
					}
					return w.finishExecution(ex, spec, StateError, strPtr(err.Error()))
				}
				if !truthy(v) {
					continue
				}
			}
			if c.event == "on-error" {
				t.ErrorHandled = true
			}
			if !tr.IsCommand() {
				trig := map[string]any{"task_id": t.ID, "event": c.event}
				if err := w.startTask(ex, spec, tr.Target, data, trig); err != nil {
					return err
				}
				if ex.State != StateRunning {
					// A task that failed at once already ended the workflow.
					return w.tx.UpdateTask(w.ctx, t)
				}
				continue
			}
			stop, err := w.command(ex, spec, t, tr, ectx)
			if err != nil {
				return err
			}
			if stop {
				return w.tx.UpdateTask(w.ctx, t)
			}
		}
	}
	return w.tx.UpdateTask(w.ctx, t)
}

// command runs an engine command (fail, succeed, pause, noop); stop
// reports that the workflow left RUNNING.
func (w *work) command(ex *Execution, spec *dsl.Workflow, t *Task, tr dsl.Transition, ectx *expr.Context) (stop bool, err error) {
	var msg *string
	if raw, ok := tr.Params["msg"]; ok {
		v, err := expr.Eval(raw, ectx)
		if err != nil {
			return true, w.finishExecution(ex, spec, StateError, strPtr(err.Error()))
		}
		msg = strPtr(expr.Str(v))
	}
	switch tr.Target {
	case "fail":
		if msg == nil {
			msg = strPtr(fmt.Sprintf("Failed by 'fail' command in task '%s'", t.Name))
		}
		if err := w.tx.UpdateTask(w.ctx, t); err != nil {
			return true, err
		}
		return true, w.finishExecution(ex, spec, StateError, msg)
	case "succeed":
		if err := w.tx.UpdateTask(w.ctx, t); err != nil {
			return true, err
		}
		return true, w.finishExecution(ex, spec, StateSuccess, msg)
	case "pause":
		return true, w.pauseExecution(ex)
	}
	return false, nil // noop
}

// checkCompletion ends the workflow once no task is active or unprocessed.
func (w *work) checkCompletion(ex *Execution, spec *dsl.Workflow) error {
	if ex.State != StateRunning {
		return nil
	}
	tasks, err := w.tx.TasksOf(w.ctx, ex.ID)
	if err != nil {
		return err
	}
	var unhandled, cancelled, waiting []*Task
	for _, t := range tasks {
		if t.State == StateWaiting {
			waiting = append(waiting, t)
			continue
		}
		if !t.State.Completed() || !t.Processed {
			return nil
		}
		switch {
		case t.State == StateCancelled:
			cancelled = append(cancelled, t)
		case t.State == StateError && !t.ErrorHandled:
			unhandled = append(unhandled, t)
		}
	}
	if len(waiting) > 0 {
		// Nothing else runs, so these joins can never be satisfied.
		for _, t := range waiting {
			info := fmt.Sprintf("Join condition is not satisfied: %d inbound transition(s) fired", w.joinArrivals(runtime(t)))
			if err := w.finishTask(ex, spec, t, StateError, &info, []any{}); err != nil {
				return err
			}
			if ex.State != StateRunning {
				return nil
			}
		}
		return w.checkCompletion(ex, spec)
	}
	switch {
	case len(cancelled) > 0:
		names := make([]string, len(cancelled))
		for i, t := range cancelled {
			names[i] = t.Name
		}
		return w.finishExecution(ex, spec, StateCancelled, strPtr("Cancelled tasks: "+strings.Join(names, ", ")))
	case len(unhandled) > 0:
		return w.finishExecution(ex, spec, StateError, strPtr(w.failureInfo(unhandled)))
	}
	return w.finishExecution(ex, spec, StateSuccess, nil)
}

// failureInfo renders Mistral's state_info for a workflow failed by tasks.
func (w *work) failureInfo(tasks []*Task) string {
	names := make([]string, len(tasks))
	for i, t := range tasks {
		names[i] = t.Name
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Failure caused by error in tasks: %s\n", strings.Join(names, ", "))
	for _, t := range tasks {
		info := ""
		if t.StateInfo != nil {
			info = *t.StateInfo
		}
		fmt.Fprintf(&b, "\n  %s [task_ex_id=%s] -> %s\n", t.Name, t.ID, info)
		actions, err := w.tx.ActionExecutionsOf(w.ctx, t.ID)
		if err != nil {
			continue
		}
		for i, a := range actions {
			if a.State == StateError && a.OutputJSON != nil {
				fmt.Fprintf(&b, "    [action_ex_id=%s, idx=%d]: %s\n", a.ID, i, expr.Str(decodeObject(*a.OutputJSON)["result"]))
			}
		}
	}
	return b.String()
}

// finishExecution ends a workflow execution and cancels what still runs in it.
func (w *work) finishExecution(ex *Execution, spec *dsl.Workflow, state State, info *string) error {
	if ex.State.Completed() {
		return nil
	}
	tasks, err := w.tx.TasksOf(w.ctx, ex.ID)
	if err != nil {
		return err
	}
	if err := w.cancelActive(ex, tasks); err != nil {
		return err
	}
	// The final data context: input and vars, then what tasks published,
	// in the order they finished.
	sort.SliceStable(tasks, func(i, j int) bool {
		a, b := tasks[i].FinishedAt, tasks[j].FinishedAt
		return a != nil && (b == nil || a.Before(*b))
	})
	published := map[string]any{}
	for _, t := range tasks {
		for k, v := range decodeObject(t.PublishedJSON) {
			published[k] = v
		}
	}
	data := merge(decodeObject(ex.ContextJSON), published)
	var output any
	switch state {
	case StateSuccess:
		output = published
		if spec.Output != nil {
			v, err := expr.Eval(spec.Output, w.exprContext(ex, data, nil))
			if err != nil {
				state, info = StateError, strPtr(err.Error())
				output = map[string]any{"result": *info}
			} else {
				output = v
			}
		}
	default:
		var result any
		if info != nil {
			result = *info
		}
		out := map[string]any{"result": result}
		if state == StateError && spec.OutputOnError != nil {
			if v, err := expr.Eval(spec.OutputOnError, w.exprContext(ex, data, nil)); err == nil {
				out = merge(out, asObject(v))
			}
		}
		output = out
	}
	outJSON, err := encode(output)
	if err != nil {
		state, info = StateError, strPtr(err.Error())
		outJSON = mustEncode(map[string]any{"result": *info})
	}
	from := []State{ex.State}
	ex.State, ex.StateInfo, ex.OutputJSON, ex.UpdatedAt = state, info, outJSON, w.e.now()
	if err := w.tx.UpdateExecution(w.ctx, ex, from...); err != nil {
		return fmt.Errorf("finish execution %s: %w", ex.ID, err)
	}
	w.publish(Event{Kind: "execution", ID: ex.ID, State: ex.State, ExecutionID: ex.ID})
	if ex.TaskExecutionID != nil {
		return w.subworkflowDone(ex)
	}
	return nil
}

// cancelActive cancels the tasks of a finishing workflow that still run,
// and their pending action executions, so nothing waits on a dead workflow.
func (w *work) cancelActive(ex *Execution, tasks []*Task) error {
	now := w.e.now()
	for _, t := range tasks {
		if t.State.Completed() {
			continue
		}
		actions, err := w.tx.ActionExecutionsOf(w.ctx, t.ID)
		if err != nil {
			return err
		}
		for _, a := range actions {
			if a.State != StateRunning && a.State != StatePaused {
				continue
			}
			from := a.State
			a.State, a.OutputJSON, a.UpdatedAt = StateCancelled, strPtr(`{"result": null}`), now
			a.CompletedVia, a.CompletedAt = strPtr("engine"), &now
			if err := w.tx.UpdateActionExecution(w.ctx, a, from); err != nil {
				return fmt.Errorf("cancel action execution %s: %w", a.ID, err)
			}
			w.publish(Event{Kind: "action_execution", ID: a.ID, State: a.State, ExecutionID: ex.ID, Via: "engine"})
		}
		if t.Type == TaskTypeWorkflow {
			if err := w.cancelChildren(t); err != nil {
				return err
			}
		}
		from := t.State
		t.State, t.StateInfo, t.FinishedAt, t.UpdatedAt, t.Processed = StateCancelled, strPtr("Cancelled because the workflow ended"), &now, now, true
		if err := w.tx.UpdateTask(w.ctx, t, from); err != nil {
			return fmt.Errorf("cancel task %s: %w", t.ID, err)
		}
		w.publish(Event{Kind: "task", ID: t.ID, State: t.State, ExecutionID: ex.ID})
	}
	return nil
}

// cancelChildren cancels the running sub-workflows of a task.
func (w *work) cancelChildren(t *Task) error {
	children, err := w.tx.ListExecutions(w.ctx, ListQuery{Filters: []Filter{{Field: "task_execution_id", Op: OpEq, Values: []string{t.ID}}}})
	if err != nil {
		return err
	}
	for _, child := range children {
		if child.State.Completed() {
			continue
		}
		spec, err := w.e.specs.get(child.Definition)
		if err != nil {
			return err
		}
		// Detach first: the parent task is being cancelled by its caller.
		child.TaskExecutionID = nil
		if err := w.finishExecution(child, spec, StateCancelled, strPtr("Cancelled because its parent workflow ended")); err != nil {
			return err
		}
	}
	return nil
}

// pauseExecution pauses a running workflow; running actions go on, but
// transitions of tasks that finish meanwhile wait for resume.
func (w *work) pauseExecution(ex *Execution) error {
	if ex.State == StatePaused {
		return nil
	}
	if ex.State != StateRunning {
		return Errorf(EINVALID, "Invalid state transition from %s to PAUSED.", ex.State)
	}
	ex.State, ex.UpdatedAt = StatePaused, w.e.now()
	if err := w.tx.UpdateExecution(w.ctx, ex, StateRunning); err != nil {
		return err
	}
	w.publish(Event{Kind: "execution", ID: ex.ID, State: ex.State, ExecutionID: ex.ID})
	return nil
}

// resumeExecution resumes a paused workflow: paused tasks and actions run
// again, and tasks that finished while paused fire their transitions.
// Resuming a workflow that is not paused changes nothing (as in Mistral).
func (w *work) resumeExecution(ex *Execution, spec *dsl.Workflow) error {
	if ex.State != StatePaused {
		return nil
	}
	now := w.e.now()
	ex.State, ex.UpdatedAt = StateRunning, now
	if err := w.tx.UpdateExecution(w.ctx, ex, StatePaused); err != nil {
		return err
	}
	w.publish(Event{Kind: "execution", ID: ex.ID, State: ex.State, ExecutionID: ex.ID})
	tasks, err := w.tx.TasksOf(w.ctx, ex.ID)
	if err != nil {
		return err
	}
	for _, t := range tasks {
		if t.State != StatePaused {
			continue
		}
		actions, err := w.tx.ActionExecutionsOf(w.ctx, t.ID)
		if err != nil {
			return err
		}
		for _, a := range actions {
			if a.State == StatePaused {
				a.State, a.UpdatedAt = StateRunning, now
				if err := w.tx.UpdateActionExecution(w.ctx, a, StatePaused); err != nil {
					return err
				}
				w.publish(Event{Kind: "action_execution", ID: a.ID, State: a.State, ExecutionID: ex.ID})
			}
		}
		t.State, t.UpdatedAt = StateRunning, now
		if err := w.tx.UpdateTask(w.ctx, t, StatePaused); err != nil {
			return err
		}
		w.publish(Event{Kind: "task", ID: t.ID, State: t.State, ExecutionID: ex.ID})
	}
	for _, t := range tasks {
		var err error
		switch {
		case t.State.Completed() && !t.Processed:
			err = w.processTask(ex, spec, t)
		case t.State == StateIdle:
			err = w.runTask(ex, spec, t) // held by pause-before
		case t.State == StateDelayed && runtime(t)["timer_fired"] != nil:
			err = w.fireTimer(ex, spec, t, runtime(t)["timer_fired"].(string))
		}
		if err != nil {
			return err
		}
		if ex.State != StateRunning {
			return nil
		}
	}
	return w.checkCompletion(ex, spec)
}

// stopExecution ends an execution on a user's request.
func (w *work) stopExecution(ex *Execution, spec *dsl.Workflow, state State, info *string) error {
	return w.finishExecution(ex, spec, state, info)
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
