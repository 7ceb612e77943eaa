package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sirocco-project/sirocco/internal/dsl"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/jsonvalue"

	"github.com/sirocco-project/sirocco/internal/expr"
)

// Who delivered an action's result (ActionExecution.CompletedVia).
const (
	ViaAPI       = "api"
	ViaCLI       = "cli"
	ViaDashboard = "dashboard"
	ViaEngine    = "engine"
)

// Completion is a result or state change delivered for an action execution
// (the body of PUT /v2/action_executions/<id>).
type Completion struct {
	State State
	// Output is the result (SUCCESS) or error (ERROR); HasOutput tells an
	// absent output from an explicit null.
	Output    any
	HasOutput bool
	Via       string
	// Comment is what the person deciding said: kept with a vote, and in
	// the timeline unless Note is set.
	Comment string
	// Note is how the timeline names the completion ("by alice", "looks
	// fine — alice"); "" means Comment.
	Note string
	// Decider is the person deciding; nil for credentials that are no
	// person's and for in-process callers. A SUCCESS or ERROR completion
	// of an approval is that person's vote (vote.go), which needs one.
	Decider *Decider
	// Override, with a Reason, is an admin deciding an approval alone.
	Override bool
	Reason   string
	// Authorize, when set, decides whether the sender may move this action
	// to State: it sees the action's id and whether it is asynchronous, and
	// returns an fault.EFORBIDDEN error to refuse (guard.MayMoveAction,
	// the one rule for the API, the CLI and the dashboard). In-process
	// callers (the engine, tests) leave it nil.
	Authorize func(id string, async bool, to State) error
	// Bulk, when set, makes the completion one of a bulk decision
	// (approval_bulk.go): only approvals that allow it take it.
	Bulk *BulkVote
}

// callbackStates are the states a completion may carry, in Mistral's order.
var callbackStates = []State{StateSuccess, StateError, StateCancelled, StatePaused, StateRunning}

func validCallbackState(s State) bool {
	for _, c := range callbackStates {
		if c == s {
			return true
		}
	}
	return false
}

// result is the value a completion stores under "result" (reference §1.6.2).
func (c Completion) result() any {
	switch c.State {
	case StateSuccess:
		if !c.HasOutput {
			return map[string]any{}
		}
		return c.Output
	case StateError:
		if !expr.Truthy(c.Output) {
			return "Unknown error"
		}
		return c.Output
	}
	return nil
}

// UpdateActionExecution delivers a result or a state change for an action
// execution, then moves its task and workflow on, all in one transaction.
// Delivering the same completion twice is a no-op; a different completion
// of a finished action is fault.ECONFLICT naming what was recorded.
func (e *Engine) UpdateActionExecution(ctx context.Context, id string, c Completion) (*ActionExecution, error) {
	a, _, err := e.DeliverResult(ctx, id, c)
	return a, err
}

// DeliverResult is UpdateActionExecution that also tells whether the
// completion merely repeated one already recorded (and changed nothing).
func (e *Engine) DeliverResult(ctx context.Context, id string, c Completion) (a *ActionExecution, repeated bool, err error) {
	outJSON, err := e.completionOutput(c)
	if err != nil {
		return nil, false, err
	}
	if c.Via == "" {
		c.Via = ViaAPI
	}
	var out *ActionExecution
	var refused error
	for attempt := 0; ; attempt++ {
		err = e.update(ctx, func(w *work) error {
			a, rep, err := w.applyCompletion(id, c, outJSON)
			out, repeated, refused = a, rep, w.refused
			return err
		})
		// A guarded update lost a race with another writer: look again,
		// now the other completion is visible and decides the answer.
		if errors.Is(err, fault.ErrConflict) && attempt < 3 {
			continue
		}
		break
	}
	if err != nil {
		return nil, false, err
	}
	if refused != nil {
		return nil, false, refused // a vote refused: its audit record is committed
	}
	return e.masker(ctx).mask(out), repeated, nil
}

// completionOutput checks what a completion carries (its state, its
// texts, the size of its output) and returns the output as stored:
// {"result": …}.
func (e *Engine) completionOutput(c Completion) (string, error) {
	actual := string(c.State)
	if actual == "" {
		actual = "Unset"
	}
	if !validCallbackState(c.State) {
		return "", fault.Errorf(fault.EINVALID, "Error. Expected one of ['SUCCESS', 'ERROR', 'CANCELLED', 'PAUSED', 'RUNNING'], actual: %s", actual)
	}
	if err := checkTexts("comment", c.Comment, "reason", c.Reason, "note", c.Note); err != nil {
		return "", err
	}
	resJSON, err := encode(c.result())
	if err != nil {
		return "", err
	}
	// The limit is on the output as encoded, not on the record it is
	// stored in (what encode would make of {"result": output}).
	if len(resJSON) > e.maxOutput {
		return "", fault.Errorf(fault.ETOOLARGE, "Output is too large: %d bytes encoded, the limit is %d bytes.", len(resJSON), e.maxOutput)
	}
	return `{"result": ` + resJSON + `}`, nil
}

func (w *work) applyCompletion(id string, c Completion, outJSON string) (*ActionExecution, bool, error) {
	rl, lockFirst := w.tx.(RootLocker)
	if lockFirst {
		if err := rl.LockRootOf(w.ctx, RootOfAction, id); err != nil {
			return nil, false, err
		}
	}
	a, t, ex, err := w.tx.GetActionScope(w.ctx, id)
	if fault.Code(err) == fault.ENOTFOUND {
		return nil, false, fault.Errorf(fault.ENOTFOUND, "ActionExecution not found [id=%s]", id)
	}
	if err != nil {
		return nil, false, err
	}
	if ex != nil && !lockFirst {
		// What was read served to find the tree's root: lock it, then read
		// again, since another transaction may have moved the action, its
		// task or its execution before the lock was granted.
		if err := w.tx.LockExecution(w.ctx, rootOf(ex)); err != nil {
			return nil, false, err
		}
		if _, serial := w.tx.(SerialTx); !serial {
			if a, t, ex, err = w.tx.GetActionScope(w.ctx, id); err != nil {
				return nil, false, err
			}
		}
	}
	if a.ApprovalJSON != nil && (c.State == StateSuccess || c.State == StateError) {
		return w.vote(a, t, ex, c)
	}
	// A person's completion of any other action is recorded in the audit
	// trail, accepted or refused; a machine's (a callback token, an
	// in-process caller) is not: the callback path stays as fast.
	var rec *AuditRecord
	if c.Decider != nil {
		rec = w.completionRecord(a, c)
	}
	refuse := func(err error) (*ActionExecution, bool, error) {
		if rec == nil {
			return nil, false, err
		}
		rec.Outcome, rec.Reason = AuditRefused, fault.Message(err)
		if err := w.tx.AppendAudit(w.ctx, rec); err != nil {
			return nil, false, err
		}
		w.refused = err
		return nil, false, nil
	}
	accept := func(a *ActionExecution, repeated bool, reason string) (*ActionExecution, bool, error) {
		if rec != nil {
			rec.Outcome, rec.Reason = AuditAccepted, reason
			if err := w.tx.AppendAudit(w.ctx, rec); err != nil {
				return nil, false, err
			}
		}
		return a, repeated, nil
	}
	if c.Bulk != nil {
		return refuse(fault.Errorf(fault.EINVALID, "Action execution %s is %s, not an approval: only approvals that allow it (allow_bulk) are decided in bulk.", a.ID, a.Name))
	}
	if c.Override {
		return refuse(fault.Errorf(fault.EINVALID, "override: only an approval (std.approval) is decided by override; action execution %s is %s.", a.ID, a.Name))
	}
	if c.Authorize != nil {
		if err := c.Authorize(a.ID, a.Async, c.State); err != nil {
			return refuse(err)
		}
	}
	if c.State == StateSuccess {
		if outJSON, c, err = w.adhocOutput(a, c, outJSON); err != nil {
			return nil, false, err
		}
	}
	if a.State.Completed() {
		if a.State == c.State && a.OutputJSON != nil && sameOutput(*a.OutputJSON, outJSON) {
			return accept(a, true, "the same completion again; nothing changed") // idempotent
		}
		return refuse(w.alreadyCompleted(a))
	}
	switch c.State {
	case StatePaused, StateRunning:
		if a.State != c.State && !a.Async {
			return refuse(fault.Errorf(fault.EINVALID, "Transition to the %s state is only supported for asynchronous action execution.", c.State))
		}
		if err := w.pauseOrResumeAction(a, c.State); err != nil {
			return nil, false, err
		}
		return accept(a, false, "")
	}
	if err := w.completeActionIn(a, t, ex, c.State, outJSON, c.Via, c.note()); err != nil {
		return nil, false, err
	}
	return accept(a, false, "")
}

// sameOutput reports whether a delivered output is the one recorded: the
// same JSON value (jsonvalue.Equal), whatever order either text writes
// its keys in, so that how outputs are displayed never decides whether a
// callback repeats one. Identical texts, the usual repeat, are not
// decoded.
func sameOutput(recorded, delivered string) bool {
	if recorded == delivered {
		return true
	}
	a, err := jsonvalue.Decode([]byte(recorded))
	if err != nil {
		return false
	}
	b, err := jsonvalue.Decode([]byte(delivered))
	return err == nil && jsonvalue.Equal(a, b)
}

// adhocOutput applies an ad-hoc action's output transformation to a result
// delivered for it (its base is asynchronous). A transformation that fails
// makes the completion an ERROR with the reason.
func (w *work) adhocOutput(a *ActionExecution, c Completion, outJSON string) (string, Completion, error) {
	if _, err := lookupAction(a.Name); err == nil {
		return outJSON, c, nil // a built-in: nothing to transform
	}
	def, err := w.e.resolveAction(w.ctx, w.tx, a.Name, a.WorkflowNamespace, "")
	if err != nil || def.spec == nil {
		return outJSON, c, nil // the definition is gone: the result as delivered
	}
	res, err := def.transform(c.result())
	var ae *actionError
	if errors.As(err, &ae) {
		c.State, c.Output, c.HasOutput = StateError, ae.value, true
		res = ae.value
	} else if err != nil {
		return "", c, err
	}
	out, err := encode(map[string]any{"result": res})
	return out, c, err
}

// alreadyCompleted is the refusal of a different completion of a finished
// action: what was recorded, when, through what and by whom (the note of
// the decision in the timeline: "by alice", "by callback token", or a
// person's comment with their name).
func (w *work) alreadyCompleted(a *ActionExecution) error {
	when, via := "", "unknown"
	if a.CompletedAt != nil {
		when = " at " + a.CompletedAt.Format(timeLayout) + " UTC"
	} else {
		when = " at " + a.UpdatedAt.Format(timeLayout) + " UTC"
	}
	if a.CompletedVia != nil {
		via = *a.CompletedVia
	}
	if events, err := w.tx.StateChanges(w.ctx, a.ID); err == nil {
		for i := len(events) - 1; i >= 0; i-- {
			if ev := events[i]; ev.ID == a.ID && ev.State == a.State {
				if ev.Note != "" {
					via += " (" + ev.Note + ")"
				}
				break
			}
		}
	}
	return fault.Errorf(fault.ECONFLICT, "Action execution %s is already completed: state %s was recorded%s via %s; it is not changed.", a.ID, a.State, when, via)
}

// pauseOrResumeAction handles PAUSED and RUNNING callbacks: they pause or
// resume the action, its task and its workflow.
func (w *work) pauseOrResumeAction(a *ActionExecution, to State) error {
	if a.State == to {
		return nil
	}
	if !a.Async {
		return fault.Errorf(fault.EINVALID, "Transition to the %s state is only supported for asynchronous action execution.", to)
	}
	from := a.State
	now := w.e.now()
	a.State, a.UpdatedAt = to, now
	if err := w.writeAction(a, from); err != nil {
		return err
	}
	var exID string
	if a.WorkflowExecutionID != nil {
		exID = *a.WorkflowExecutionID
	}
	w.publish(Event{Kind: "action_execution", ID: a.ID, State: a.State, Async: a.Async, ExecutionID: exID, Approval: a.ApprovalJSON != nil})
	if a.TaskExecutionID == nil {
		return nil
	}
	t, err := w.tx.GetTask(w.ctx, *a.TaskExecutionID)
	if err != nil {
		return err
	}
	if t.State != from {
		return nil // e.g. the task timed out: the action alone changes
	}
	t.State, t.UpdatedAt = to, now
	if err := w.writeTask(t, from); err != nil {
		return err
	}
	w.publish(Event{Kind: "task", ID: t.ID, State: t.State, ExecutionID: exID})
	ex, err := w.tx.GetExecution(w.ctx, exID)
	if err != nil {
		return err
	}
	if err := w.notifyTask(ex, t, from); err != nil {
		return err
	}
	if to == StatePaused {
		if ex.State == StateRunning {
			return w.pauseExecution(ex)
		}
		return nil
	}
	spec, err := w.e.specs.get(ex.Definition)
	if err != nil {
		return err
	}
	return w.resumeExecution(ex, spec)
}

// completeAction records an action's end and finishes its task. outJSON is
// the stored output, {"result": value}.
func (w *work) completeAction(a *ActionExecution, state State, outJSON, via, comment string) error {
	return w.completeActionIn(a, nil, nil, state, outJSON, via, comment)
}

// completeActionIn is completeAction given the action's task and execution
// as read with it in this transaction (GetActionScope); nil ones are read.
func (w *work) completeActionIn(a *ActionExecution, t *Task, ex *Execution, state State, outJSON, via, comment string) error {
	from := a.State
	now := w.e.now()
	a.State, a.OutputJSON, a.Accepted = state, &outJSON, true
	a.CompletedVia, a.CompletedAt, a.UpdatedAt = &via, &now, now
	if err := w.writeAction(a, from); err != nil {
		return err
	}
	var exID string
	if a.WorkflowExecutionID != nil {
		exID = *a.WorkflowExecutionID
	}
	w.publish(Event{Kind: "action_execution", ID: a.ID, State: a.State, Async: a.Async, ExecutionID: exID, Via: via, Note: comment,
		Approval: a.ApprovalJSON != nil})
	if a.TaskExecutionID == nil {
		return nil // an ad-hoc action: no workflow follows
	}
	if t == nil {
		var err error
		if t, err = w.tx.GetTask(w.ctx, *a.TaskExecutionID); err != nil {
			return err
		}
	}
	if t.State != StateRunning && t.State != StatePaused {
		// The task ended without it (a timeout): the result is recorded
		// and accepted, but does not revive the task (reference §1.6.2).
		// Mistral derives a task's result from its accepted actions, so
		// the late result becomes the task's result all the same.
		if runtimeOf(t).TimedOut && t.ResultJSON != "null" {
			t.ResultJSON = encodeOrNull(decodeObject(outJSON)["result"])
			return w.writeTask(t, t.State)
		}
		return nil
	}
	var spec *dsl.Workflow
	var err error
	if ex == nil {
		ex, spec, err = w.executionOf(t)
	} else {
		spec, err = w.e.specs.get(ex.Definition)
	}
	if err != nil {
		return err
	}
	return w.actionDone(ex, spec, t, a)
}

// Timeline returns the state changes of a record, oldest first; for a
// workflow execution, those of everything in it too.
func (e *Engine) Timeline(ctx context.Context, id string) ([]Event, error) {
	return e.store.StateChanges(ctx, id)
}

// GetActionExecution returns an action execution, its secret input
// masked (maskInput).
func (e *Engine) GetActionExecution(ctx context.Context, id string) (*ActionExecution, error) {
	a, err := e.store.GetActionExecution(ctx, id)
	if fault.Code(err) == fault.ENOTFOUND {
		return nil, fault.Errorf(fault.ENOTFOUND, "ActionExecution not found [id=%s]", id)
	}
	return e.masker(ctx).mask(a), err
}

// ListActionExecutions lists action executions, their secret input
// masked (maskInput).
func (e *Engine) ListActionExecutions(ctx context.Context, q ListQuery) ([]*ActionExecution, error) {
	if err := checkNoInputQuery(q); err != nil {
		return nil, err
	}
	list, err := e.store.ListActionExecutions(ctx, q)
	m := e.masker(ctx)
	for i, a := range list {
		list[i] = m.mask(a)
	}
	return list, err
}

// GetTask returns a task execution.
func (e *Engine) GetTask(ctx context.Context, id string) (*Task, error) {
	t, err := e.store.GetTask(ctx, id)
	if fault.Code(err) == fault.ENOTFOUND {
		return nil, fault.Errorf(fault.ENOTFOUND, "Task execution not found [id=%s]", id)
	}
	return t, err
}

// ListTasks lists task executions.
func (e *Engine) ListTasks(ctx context.Context, q ListQuery) ([]*Task, error) {
	return e.store.ListTasks(ctx, q)
}

// RunRequest asks to run an action outside any workflow
// (POST /v2/action_executions).
type RunRequest struct {
	Name        string
	Input       map[string]any
	Description string
	Namespace   string
	RunSync     bool
	SaveResult  bool
	// CreatedBy is who runs it ("" when authentication is off): for an
	// approval, who asks unless its requested_by says otherwise.
	CreatedBy string
}

// RunAction runs an ad-hoc action. An async action, or one whose result is
// saved, is stored and runs in the background (the returned record is
// RUNNING); otherwise it runs now and the returned record is not stored
// (its ID is empty), as in Mistral.
func (e *Engine) RunAction(ctx context.Context, req RunRequest) (*ActionExecution, error) {
	if req.Name == "" {
		return nil, fault.Errorf(fault.EINVALID, "Please provide at least action name to run action.")
	}
	if err := checkTexts("name", req.Name, "description", req.Description, "workflow_namespace", req.Namespace); err != nil {
		return nil, err
	}
	act, err := e.resolveAction(ctx, e.store, req.Name, req.Namespace, "")
	if err != nil {
		return nil, err
	}
	if req.RunSync && act.async {
		return nil, fault.Errorf(fault.EINVALID, "Action does not support synchronous execution.")
	}
	input := req.Input
	if input == nil {
		input = map[string]any{}
	}
	full, err := act.check(input)
	if err != nil {
		return nil, err
	}
	inputJSON, err := encode(input)
	if err != nil {
		return nil, err
	}
	now := e.now()
	a := &ActionExecution{
		Name:              act.name,
		WorkflowNamespace: req.Namespace,
		State:             StateRunning,
		Description:       req.Description,
		ProjectID:         DefaultProject,
		Async:             act.async,
		WaitsFor:          act.waitsFor(""),
		InputJSON:         inputJSON,
		CreatedAt:         now,
		UpdatedAt:         now,
	}
	var approval *Approval
	if act.isApproval() {
		if approval, a.ApprovalJSON, err = approvalRequest(act, input, req.CreatedBy); err != nil {
			return nil, err
		}
	}
	if !req.RunSync && (req.SaveResult || act.async) {
		a.ID = newID()
		err := e.update(ctx, func(w *work) error {
			if err := w.tx.CreateActionExecution(ctx, a); err != nil {
				return err
			}
			if approval != nil {
				if err := w.startApproval(a, approval, nil); err != nil {
					return err
				}
			}
			w.publish(Event{Kind: "action_execution", ID: a.ID, State: a.State, Async: a.Async, Approval: approval != nil})
			if act.run == nil {
				return nil
			}
			return w.addJob(JobRunAction, a.ID, now)
		})
		if err != nil {
			return nil, err
		}
		return a.masked(act), nil
	}
	state, result := e.invoke(ctx, act, a, full)
	out := encodeOrNull(map[string]any{"result": result})
	a.State, a.OutputJSON = state, &out
	return a.masked(act), nil
}

// invoke runs a synchronous action and maps its outcome to a state and result.
func (e *Engine) invoke(ctx context.Context, act *actionDef, a *ActionExecution, in map[string]any) (State, any) {
	res, err := act.run(ctx, e, a, in)
	var ae *actionError
	switch {
	case errors.As(err, &ae):
		return StateError, ae.value
	case err != nil:
		id := a.ID
		if id == "" {
			id = "None" // an ad-hoc run that is not stored
		}
		return StateError, fmt.Sprintf("The action raised an exception [action=%s, action_ex_id=%s, msg='%v']", a.Name, id, err)
	}
	if b, err := jsonvalue.Encode(res); err == nil && len(b) > e.maxOutput {
		return StateError, fmt.Sprintf("The action result is too large: %d bytes, the limit is %d bytes.", len(b), e.maxOutput)
	}
	return StateSuccess, res
}

// DefaultJobLease is how long a claimed job is reserved for its worker
// before another may take it; a running job keeps extending it.
const DefaultJobLease = time.Minute
