package engine

import (
	"fmt"
	"time"

	"github.com/sirocco-project/sirocco/internal/dsl"
	"github.com/sirocco-project/sirocco/internal/expr"
)

// A task's life: startTask creates it (or joins an existing WAITING one),
// beginTask applies wait-before and pause-before, runTask starts its
// action(s) or sub-workflow and its timeout, and when they end taskOutcome
// applies fail-on, retry and wait-after before finishTask publishes and
// fires transitions. Timers are jobs; their handlers are in timers.go.

// saveTask writes t, guarded by its previous state, and publishes the
// change when the state moved.
func (w *work) saveTask(ex *Execution, t *Task, from State, note string) error {
	t.UpdatedAt = w.e.now()
	if err := w.writeTask(t, from); err != nil {
		return fmt.Errorf("update task %q: %w", t.Name, err)
	}
	if t.State != from {
		w.publish(Event{Kind: "task", ID: t.ID, State: t.State, ExecutionID: ex.ID, Note: note})
		return w.notifyTask(ex, t, from)
	}
	return nil
}

// startTask starts a task reached by a transition (or a start task, with
// triggeredBy nil).
func (w *work) startTask(ex *Execution, spec *dsl.Workflow, name string, data map[string]any, triggeredBy *trigger) error {
	// Tasks that fail at once run their transitions in the same
	// transaction; a cycle of them must not recurse forever.
	w.depth++
	defer func() { w.depth-- }()
	if w.depth > maxDepth {
		return w.finishExecution(ex, spec, StateError, strPtr(fmt.Sprintf("Too many tasks ended at once in a chain (more than %d); is there a cycle of failing tasks at '%s'?", maxDepth, name)))
	}
	ts := spec.Tasks[name]
	if ts.Join != nil {
		return w.joinTask(ex, spec, ts, data, triggeredBy)
	}
	if full, err := w.tasksFull(ex, spec); full || err != nil {
		return err
	}
	t, err := w.createTask(ex, ts, StateRunning, data, triggeredBy, 0)
	if err != nil {
		return err
	}
	return w.beginTask(ex, spec, t)
}

// tasksFull reports whether ex already has the most task executions one
// execution may have, and if so fails it: a transition loop that never
// ends would otherwise add tasks until the disk is full.
func (w *work) tasksFull(ex *Execution, spec *dsl.Workflow) (bool, error) {
	if w.counted != ex.ID {
		n, err := w.tx.TaskCount(w.ctx, ex.ID)
		if err != nil {
			return false, fmt.Errorf("count the tasks of %s: %w", ex.ID, err)
		}
		w.counted, w.tasks = ex.ID, n
	}
	if w.tasks < w.e.maxTasks {
		return false, nil
	}
	info := fmt.Sprintf("The workflow execution exceeded the limit of %d task executions (-max-tasks-per-execution); does a transition loop without end?", w.e.maxTasks)
	return true, w.finishExecution(ex, spec, StateError, &info)
}

func (w *work) createTask(ex *Execution, ts *dsl.Task, state State, data map[string]any, triggeredBy *trigger, joinCount int64) (*Task, error) {
	now := w.e.now()
	rc := &runtimeContext{JoinCount: joinCount}
	if triggeredBy != nil {
		rc.TriggeredBy = []trigger{*triggeredBy}
	}
	t := &Task{
		ID:                  newID(),
		Name:                ts.Name,
		Type:                TaskTypeAction,
		WorkflowExecutionID: ex.ID,
		WorkflowName:        ex.WorkflowName,
		WorkflowNamespace:   ex.WorkflowNamespace,
		WorkflowID:          ex.WorkflowID,
		Tags:                orEmpty(ts.Tags),
		State:               state,
		RuntimeContextJSON:  rc.encode(),
		InContextJSON:       encodeOrNull(data),
		PublishedJSON:       "{}",
		ResultJSON:          "[]", // no accepted action yet (Mistral's rule)
		ProjectID:           ex.ProjectID,
		CreatedAt:           now,
		UpdatedAt:           now,
	}
	if state == StateRunning {
		t.StartedAt = &now
	}
	if ts.Workflow != "" {
		t.Type = TaskTypeWorkflow
	}
	if err := w.tx.CreateTask(w.ctx, t); err != nil {
		return nil, fmt.Errorf("create task %q: %w", ts.Name, err)
	}
	if w.counted == ex.ID {
		w.tasks++
	}
	w.publish(Event{Kind: "task", ID: t.ID, State: t.State, ExecutionID: ex.ID})
	if err := w.notifyTask(ex, t, ""); err != nil {
		return nil, err
	}
	return t, nil
}

// inbound counts the tasks with a transition to name: what `join: all` waits for.
func inbound(spec *dsl.Workflow, name string) int {
	n := 0
	for _, other := range spec.TaskOrder {
		if transitionsTo(spec.Tasks[other], name) {
			n++
		}
	}
	return n
}

// transitionsTo reports whether ts has a transition to the task name.
func transitionsTo(ts *dsl.Task, name string) bool {
	for _, clause := range [][]dsl.Transition{ts.OnSuccess, ts.OnError, ts.OnComplete} {
		for _, tr := range clause {
			if tr.Target == name && !tr.IsCommand() {
				return true
			}
		}
	}
	return false
}

// joinTask records one arrival at a join task; the task runs once enough
// inbound transitions have fired (join: all, one or N).
func (w *work) joinTask(ex *Execution, spec *dsl.Workflow, ts *dsl.Task, data map[string]any, triggeredBy *trigger) error {
	need := 1
	switch j := ts.Join.(type) {
	case string:
		if j == "all" {
			need = inbound(spec, ts.Name)
		}
	case int64:
		need = int(j)
	}
	tasks, err := w.tx.TasksOf(w.ctx, ex.ID)
	if err != nil {
		return err
	}
	var t *Task
	for _, other := range tasks {
		if other.Name != ts.Name {
			continue
		}
		if runtimeOf(other).JoinDone {
			return nil // already satisfied: later arrivals change nothing
		}
		if other.State == StateWaiting {
			t = other
		}
	}
	if t == nil {
		if full, err := w.tasksFull(ex, spec); full || err != nil {
			return err
		}
		t, err = w.createTask(ex, ts, StateWaiting, data, triggeredBy, 1)
		if err != nil {
			return err
		}
	} else {
		rc := runtimeOf(t)
		rc.JoinCount++
		if triggeredBy != nil {
			rc.TriggeredBy = append(rc.TriggeredBy, *triggeredBy)
		}
		setRuntime(t, rc)
		t.InContextJSON = encodeOrNull(merge(decodeObject(t.InContextJSON), data))
		if err := w.saveTask(ex, t, t.State, ""); err != nil {
			return err
		}
	}
	rc := runtimeOf(t)
	if rc.JoinCount < int64(need) {
		return nil
	}
	rc.JoinDone = true
	setRuntime(t, rc)
	return w.beginTask(ex, spec, t)
}

// policyNumber evaluates a numeric policy value (a number or an expression).
func policyNumber(v any, ectx *expr.Context, policy string) (float64, error) {
	if s, ok := v.(string); ok {
		r, err := expr.EvalString(s, ectx)
		if err != nil {
			return 0, err
		}
		v = r
	}
	switch n := v.(type) {
	case nil:
		return 0, nil
	case int64:
		return float64(n), nil
	case float64:
		return n, nil
	}
	return 0, fmt.Errorf("policy %s must be a number, got %s", policy, expr.Str(v))
}

// policyBool evaluates a boolean policy value (a bool or an expression).
func policyBool(v any, ectx *expr.Context) (bool, error) {
	if s, ok := v.(string); ok {
		r, err := expr.EvalString(s, ectx)
		if err != nil {
			return false, err
		}
		return expr.Truthy(r), nil
	}
	return expr.Truthy(v), nil
}

func seconds(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }

// fmtSeconds renders a policy value as Mistral does in messages (5, not 5.0).
func fmtSeconds(f float64) string {
	if f == float64(int64(f)) {
		return fmt.Sprint(int64(f))
	}
	return fmt.Sprint(f)
}

// beginTask applies the policies that act before a task runs.
func (w *work) beginTask(ex *Execution, spec *dsl.Workflow, t *Task) error {
	ts := spec.Tasks[t.Name]
	rc := runtimeOf(t)
	ectx := w.exprContext(ex, decodeObject(t.InContextJSON), t)
	if ts.WaitBefore != nil && !rc.WaitBeforeDone {
		d, err := policyNumber(ts.WaitBefore, ectx, "wait-before")
		if err != nil {
			return w.failTask(ex, spec, t, err.Error())
		}
		rc.WaitBeforeDone = true
		setRuntime(t, rc)
		if d > 0 {
			from := t.State
			t.State, t.StateInfo = StateDelayed, strPtr(fmt.Sprintf("Delayed by 'wait-before' policy [delay=%s]", fmtSeconds(d)))
			if err := w.saveTask(ex, t, from, ""); err != nil {
				return err
			}
			return w.addJob(JobTaskWaitBefore, t.ID, w.e.now().Add(seconds(d)))
		}
	}
	if ts.PauseBefore != nil && !rc.PauseBeforeDone {
		pause, err := policyBool(ts.PauseBefore, ectx)
		if err != nil {
			return w.failTask(ex, spec, t, err.Error())
		}
		rc.PauseBeforeDone = true
		setRuntime(t, rc)
		if pause {
			from := t.State
			t.State, t.StateInfo = StateIdle, strPtr("Set by 'pause-before' policy")
			if err := w.saveTask(ex, t, from, ""); err != nil {
				return err
			}
			return w.pauseExecution(ex)
		}
	}
	return w.runTask(ex, spec, t)
}

// runTask starts a task's work: its action (one per with-items item) or
// its sub-workflow, and its timeout timer.
func (w *work) runTask(ex *Execution, spec *dsl.Workflow, t *Task) error {
	ts := spec.Tasks[t.Name]
	now := w.e.now()
	data := decodeObject(t.InContextJSON)
	ectx := w.exprContext(ex, data, t)
	rc := runtimeOf(t)
	if ts.Timeout != nil && rc.Timeout == 0 {
		d, err := policyNumber(ts.Timeout, ectx, "timeout")
		if err != nil {
			return w.failTask(ex, spec, t, err.Error())
		}
		if d > 0 {
			rc.Timeout = d
			setRuntime(t, rc)
			if err := w.addJob(JobTaskTimeout, t.ID, now.Add(seconds(d))); err != nil {
				return err
			}
		}
	}
	from := t.State
	// A task created RUNNING by startTask is already stored as such; write
	// it only if this changed it.
	dirty := from != StateRunning || t.StateInfo != nil || rc.Timeout != 0
	t.State, t.StateInfo = StateRunning, nil
	if t.StartedAt == nil {
		t.StartedAt, dirty = &now, true
	}
	if dirty {
		if err := w.saveTask(ex, t, from, ""); err != nil {
			return err
		}
	}
	switch {
	case ts.Workflow != "":
		// In its own transaction, as Mistral does it asynchronously: a
		// workflow that (indirectly) starts itself cannot recurse within one.
		return w.addJob(JobStartWorkflow, t.ID, now)
	case ts.WithItems != nil:
		return w.startItems(ex, spec, t, data)
	}
	return w.startAction(ex, spec, t, ectx, 0)
}

// startAction evaluates a task's action and input and creates the action
// execution; actions with I/O run as jobs after commit.
func (w *work) startAction(ex *Execution, spec *dsl.Workflow, t *Task, ectx *expr.Context, index int) error {
	ts := spec.Tasks[t.Name]
	actionName, err := expr.EvalString(ts.Action, ectx)
	if err != nil {
		return w.failTask(ex, spec, t, err.Error())
	}
	nameStr, ok := actionName.(string)
	if !ok {
		return w.failTask(ex, spec, t, fmt.Sprintf("Action name must be a string, got %s", expr.Str(actionName)))
	}
	input, ordered, err := w.orderedTaskInput(ts, ectx)
	if err != nil {
		return w.failTask(ex, spec, t, err.Error())
	}
	act, err := w.e.resolveAction(w.ctx, w.tx, nameStr, ex.WorkflowNamespace, ex.WorkflowName)
	if err != nil {
		return w.failTask(ex, spec, t, err.Error())
	}
	checked, err := act.check(input)
	if err != nil {
		return w.failTask(ex, spec, t, err.Error())
	}
	inputJSON, err := encode(ordered) // in the order written; the action reads the map
	if err != nil {
		return w.failTask(ex, spec, t, err.Error())
	}
	var approval *Approval
	var approvalJSON *string
	if act.isApproval() {
		if approval, approvalJSON, err = approvalRequest(act, input, ex.CreatedBy); err != nil {
			return w.failTask(ex, spec, t, err.Error())
		}
	}
	now := w.e.now()
	a := &ActionExecution{
		ID:                  newID(),
		Name:                act.name,
		WorkflowName:        strPtr(ex.WorkflowName),
		WorkflowNamespace:   ex.WorkflowNamespace,
		TaskName:            strPtr(t.Name),
		TaskExecutionID:     strPtr(t.ID),
		WorkflowExecutionID: strPtr(ex.ID),
		State:               StateRunning,
		ProjectID:           ex.ProjectID,
		Async:               act.async,
		WaitsFor:            act.waitsFor(ts.WaitsFor),
		InputJSON:           inputJSON,
		ApprovalJSON:        approvalJSON,
		ItemIndex:           index,
		CreatedAt:           now,
		UpdatedAt:           now,
	}
	if err := w.tx.CreateActionExecution(w.ctx, a); err != nil {
		return fmt.Errorf("create action execution for task %q: %w", t.Name, err)
	}
	if approval != nil {
		if err := w.startApproval(a, approval, ex); err != nil {
			return err
		}
	}
	w.publish(Event{Kind: "action_execution", ID: a.ID, State: a.State, Async: a.Async, ExecutionID: ex.ID, Approval: approval != nil})
	if act.run == nil {
		return nil // std.async_noop: nothing to start; a third party completes it
	}
	if act.runsInstantly(checked) {
		w.instant = append(w.instant, instantRun{action: a, def: act, input: checked})
		return nil
	}
	return w.addJob(JobRunAction, a.ID, now)
}

// actionDone moves a task on after one of its action executions ended.
func (w *work) actionDone(ex *Execution, spec *dsl.Workflow, t *Task, a *ActionExecution) error {
	ts := spec.Tasks[t.Name]
	if ts.WithItems != nil {
		return w.itemDone(ex, spec, t)
	}
	result := decodeObject(*a.OutputJSON)["result"]
	var info *string
	switch a.State {
	case StateError:
		info = strPtr(expr.Str(result))
	case StateCancelled:
		return w.finishTask(ex, spec, t, StateCancelled, nil, result)
	}
	return w.taskOutcome(ex, spec, t, a.State, info, result)
}

// taskOutcome applies the policies that act when a task's work ended:
// fail-on, retry, wait-after. Then the task finishes.
func (w *work) taskOutcome(ex *Execution, spec *dsl.Workflow, t *Task, state State, info *string, result any) error {
	ts := spec.Tasks[t.Name]
	// Policies see the outcome through task().
	view := *t
	view.State, view.StateInfo, view.ResultJSON = state, info, encodeOrNull(result)
	ectx := w.exprContext(ex, decodeObject(t.InContextJSON), &view)
	if state == StateSuccess && ts.FailOn != nil {
		fail, err := policyBool(ts.FailOn, ectx)
		if err != nil {
			return w.finishTask(ex, spec, t, StateError, strPtr(err.Error()), result)
		}
		if fail {
			// Mistral 15 publishes as for the success the action had (its
			// fail-on runs after publishing), never publish-on-error; and
			// retries do not apply.
			return w.endTask(ex, spec, t, taskEnd{state: StateError, info: strPtr("Failed by 'fail-on' policy"), result: result, publish: true, publishAs: StateSuccess})
		}
	}
	rc := runtimeOf(t)
	if retry, ok := ts.Retry.(map[string]any); ok {
		again, delay, err := w.shouldRetry(retry, rc, state, ectx)
		if err != nil {
			return w.finishTask(ex, spec, t, StateError, strPtr(err.Error()), result)
		}
		if again {
			return w.scheduleRetry(ex, t, rc, info, delay)
		}
	}
	if ts.WaitAfter != nil && !rc.WaitAfterDone {
		d, err := policyNumber(ts.WaitAfter, ectx, "wait-after")
		if err != nil {
			return w.finishTask(ex, spec, t, StateError, strPtr(err.Error()), result)
		}
		rc.WaitAfterDone = true
		if d > 0 {
			rc.PendingOutcome = &heldOutcome{State: state, Info: info, Result: result}
			setRuntime(t, rc)
			from := t.State
			t.State, t.StateInfo = StateDelayed, strPtr(fmt.Sprintf("Delayed by 'wait-after' policy [delay=%s]", fmtSeconds(d)))
			if err := w.saveTask(ex, t, from, ""); err != nil {
				return err
			}
			return w.addJob(JobTaskWaitAfter, t.ID, w.e.now().Add(seconds(d)))
		}
		setRuntime(t, rc)
	}
	return w.finishTask(ex, spec, t, state, info, result)
}

// shouldRetry decides whether the retry policy runs the task again.
func (w *work) shouldRetry(retry map[string]any, rc *runtimeContext, state State, ectx *expr.Context) (bool, float64, error) {
	count, err := policyNumber(retry["count"], ectx, "retry count")
	if err != nil {
		return false, 0, err
	}
	delay, err := policyNumber(retry["delay"], ectx, "retry delay")
	if err != nil {
		return false, 0, err
	}
	if float64(rc.RetryNo) >= count {
		return false, 0, nil
	}
	switch state {
	case StateError:
		if b, ok := retry["break-on"]; ok {
			stop, err := policyBool(b, ectx)
			if err != nil || stop {
				return false, 0, err
			}
		}
		return true, delay, nil
	case StateSuccess:
		if c, ok := retry["continue-on"]; ok {
			again, err := policyBool(c, ectx)
			return again, delay, err
		}
	}
	return false, 0, nil
}

// scheduleRetry delays a task for its next attempt. Earlier attempts stop
// counting towards its result (accepted false), as in Mistral.
func (w *work) scheduleRetry(ex *Execution, t *Task, rc *runtimeContext, info *string, delay float64) error {
	rc.RetryNo++
	rc.WaitAfterDone = false
	setRuntime(t, rc)
	actions, err := w.tx.ActionExecutionsOf(w.ctx, t.ID)
	if err != nil {
		return err
	}
	for _, a := range actions {
		if a.Accepted {
			a.Accepted = false
			if err := w.writeAction(a, a.State); err != nil {
				return err
			}
		}
	}
	from := t.State
	t.State, t.StateInfo = StateDelayed, strPtr(fmt.Sprintf("Delayed by 'retry' policy [delay=%s]", fmtSeconds(delay)))
	if err := w.saveTask(ex, t, from, ""); err != nil {
		return err
	}
	return w.addJob(JobTaskRetry, t.ID, w.e.now().Add(seconds(delay)))
}
