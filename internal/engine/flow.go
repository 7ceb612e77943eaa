package engine

import (
	"fmt"
	"sort"
	"strings"

	"github.com/sirocco-project/sirocco/internal/dsl"
	"github.com/sirocco-project/sirocco/internal/expr"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

// This file is the direct-workflow algorithm. Every function here runs
// inside one engine transaction (a *work) and does no I/O besides the
// store: actions that talk to the world run later as jobs.

// maxDepth bounds chains of tasks started and ended in one transaction.
const maxDepth = 200

// startWorkflow evaluates vars and starts the start tasks.
// It creates the execution record, whose initial context it computes first.
func (w *work) startWorkflow(ex *Execution, spec *dsl.Workflow, input map[string]any) error {
	data := merge(input)
	var varsErr error
	if spec.Vars != nil {
		v, err := expr.Eval(spec.Vars, w.exprContext(ex, data, nil))
		varsErr = err
		for k, val := range asObject(v) {
			data[k] = val
		}
	}
	ex.ContextJSON = encodeOrNull(data)
	if err := w.tx.CreateExecution(w.ctx, ex); err != nil {
		return fmt.Errorf("create execution: %w", err)
	}
	w.counted, w.tasks = ex.ID, 0 // a new execution has no task to count
	w.publish(Event{Kind: "execution", ID: ex.ID, State: ex.State, ExecutionID: ex.ID})
	if err := w.notifyExecution(ex, ""); err != nil {
		return err
	}
	if varsErr != nil {
		return w.finishExecution(ex, spec, StateError, strPtr(varsErr.Error()))
	}
	if spec.Type == dsl.TypeReverse {
		if err := w.startReady(ex, spec); err != nil {
			return err
		}
		return w.checkCompletion(ex, spec, nil)
	}
	starts := spec.StartTasks()
	for _, name := range starts {
		if err := w.startTask(ex, spec, name, data, nil); err != nil {
			return err
		}
		if ex.State != StateRunning {
			return nil // a task that could not start ended the workflow
		}
	}
	if len(starts) > 0 {
		// Each start task runs on, or has ended, and a task's end checks
		// the workflow's completion itself (endTask): no need to count
		// the tasks again.
		return nil
	}
	return w.checkCompletion(ex, spec, nil) // nothing to run: it ends now
}

// taskInput evaluates a task's input block and its inline parameters,
// which win on conflicts.
func (w *work) taskInput(ts *dsl.Task, ectx *expr.Context) (map[string]any, error) {
	input, _, err := w.orderedTaskInput(ts, ectx)
	return input, err
}

// orderedTaskInput is taskInput that also gives the input in the order it
// is written (the task's input, then its inline parameters), as the
// action execution shows it.
func (w *work) orderedTaskInput(ts *dsl.Task, ectx *expr.Context) (map[string]any, *jsonvalue.Object, error) {
	ordered := jsonvalue.NewObject(0)
	if ts.Input != nil {
		v, err := expr.Eval(ts.Input, ectx)
		if err != nil {
			return nil, nil, err
		}
		if _, ok := jsonvalue.AsObject(v); !ok && v != nil {
			return nil, nil, fmt.Errorf("task input must be a dictionary, got %s", expr.Str(v))
		}
		ordered = objectOf(v)
	}
	if ts.InlineInput.Len() > 0 {
		v, err := expr.Eval(ts.InlineInput, ectx)
		if err != nil {
			return nil, nil, err
		}
		if ordered.Len() == 0 {
			ordered = objectOf(v)
		} else {
			ordered = ordered.Clone()
			for k, x := range objectOf(v).All() {
				ordered.Set(k, x)
			}
		}
	}
	return ordered.Map(), ordered, nil
}

// failTask ends a task that could not start its work (an expression
// error in its input, an unknown action, bad action input...). As in
// Mistral, such an error is not the task's outcome but the engine's: it
// bypasses on-error and fails the workflow with "Failed to run task".
func (w *work) failTask(ex *Execution, spec *dsl.Workflow, t *Task, msg string) error {
	info := fmt.Sprintf("Failed to run task [error=%s, wf=%s, task=%s]", msg, ex.WorkflowName, t.Name)
	return w.abortTask(ex, spec, t, info, []any{})
}

// abortTask ends a task in ERROR without transitions and fails its workflow
// with the same message.
func (w *work) abortTask(ex *Execution, spec *dsl.Workflow, t *Task, info string, result any) error {
	now := w.e.now()
	from := t.State
	t.State, t.StateInfo, t.FinishedAt, t.Processed = StateError, &info, &now, true
	t.ResultJSON = encodeOrNull(result)
	if err := w.saveTask(ex, t, from, ""); err != nil {
		return err
	}
	return w.finishExecution(ex, spec, StateError, strPtr(info))
}

// finishTask records a task's end, publishes its variables and, unless the
// workflow is paused, runs its transitions.
func (w *work) finishTask(ex *Execution, spec *dsl.Workflow, t *Task, state State, info *string, result any) error {
	return w.endTask(ex, spec, t, taskEnd{state: state, info: info, result: result, publish: true})
}

// taskEnd is how a task ends.
type taskEnd struct {
	state  State
	info   *string
	result any
	// publish runs publish (on SUCCESS) or publish-on-error (on ERROR).
	publish bool
	// publishAs, when set, is the state publishing sees instead of state
	// (in the publish chosen and in task()): a fail-on failure publishes
	// as the success it was, as Mistral 15 does.
	publishAs State
}

func (w *work) endTask(ex *Execution, spec *dsl.Workflow, t *Task, end taskEnd) error {
	ts := spec.Tasks[t.Name]
	now := w.e.now()
	from := t.State
	t.State, t.StateInfo = end.state, end.info
	t.FinishedAt, t.UpdatedAt = &now, now
	t.ResultJSON = encodeOrNull(end.result)

	var branch, global *jsonvalue.Object
	view := t
	if end.publishAs != "" {
		v := *t
		v.State, v.StateInfo = end.publishAs, nil
		view = &v
	}
	if end.publish {
		branch, global = publishFor(ts, view.State)
	}
	published := jsonvalue.NewObject(0)
	if branch != nil || global != nil {
		ectx := w.exprContext(ex, decodeObject(t.InContextJSON), view)
		v, err := expr.Eval(branch, ectx)
		var g any
		if err == nil && global != nil {
			g, err = expr.Eval(global, ectx)
		}
		if err != nil {
			// Mistral fails the workflow: the error is in handling the
			// action's completion, not in the action.
			info := w.completionFailure(ex, spec, t, err)
			t.State, t.StateInfo, t.FinishedAt = from, nil, nil
			return w.abortTask(ex, spec, t, info, end.result)
		}
		published = objectOf(v)
		if g != nil {
			ex.PublishedGlobalJSON = encodeOrNull(deepMerge(decodeOrdered(ex.PublishedGlobalJSON), objectOf(g)))
			ex.UpdatedAt = now
			if err := w.writeExecution(ex, ex.State); err != nil {
				return fmt.Errorf("publish global variables of task %q: %w", t.Name, err)
			}
		}
	}
	t.PublishedJSON = encodeOrNull(published)
	if ts.KeepResult != nil {
		keep, err := policyBool(ts.KeepResult, w.exprContext(ex, decodeObject(t.InContextJSON), t))
		if err == nil && !keep {
			t.ResultJSON = "null"
		}
	}
	// Paused: transitions run on resume. Completed: nothing follows. When
	// running, processTask below fires them in this same transaction.
	t.Processed = ex.State == StateRunning
	if err := w.saveTask(ex, t, from, ""); err != nil {
		return err
	}
	if ex.State != StateRunning {
		return nil
	}
	if err := w.processTask(ex, spec, t); err != nil {
		return err
	}
	return w.checkCompletion(ex, spec, t)
}

// publishFor returns what a task ending in state publishes, as Mistral 15
// decides it: the task's publish (SUCCESS) or publish-on-error (ERROR) as
// branch variables; on-complete's publish merged over them; and that merged
// over the on-success or on-error clause's publish.
func publishFor(ts *dsl.Task, state State) (branch, global *jsonvalue.Object) {
	var own *jsonvalue.Object
	var clause *dsl.Publish
	switch state {
	case StateSuccess:
		own, clause = ts.Publish, ts.OnSuccessPublish
	case StateError:
		own, clause = ts.PublishOnError, ts.OnErrorPublish
	default:
		return nil, nil
	}
	branch = own
	if oc := ts.OnCompletePublish; oc != nil {
		branch, global = deepMerge(branch, oc.Branch), deepMerge(nil, oc.Global)
	}
	if clause != nil {
		branch, global = deepMerge(clause.Branch, branch), deepMerge(clause.Global, global)
	}
	return branch, global
}

// deepMerge returns a copy of a with b merged in: b's values win, objects
// present in both are merged key by key (Mistral's merge_dicts); a's keys
// keep their places, b's new ones follow. nil when both are empty.
func deepMerge(a, b *jsonvalue.Object) *jsonvalue.Object {
	if a.Len() == 0 && b.Len() == 0 {
		return nil
	}
	out := jsonvalue.NewObject(a.Len() + b.Len())
	for k, v := range a.All() {
		out.Set(k, v)
	}
	for k, v := range b.All() {
		am, aok := jsonvalue.AsObject(out.Value(k))
		bm, bok := jsonvalue.AsObject(v)
		if aok && bok {
			out.Set(k, deepMerge(am, bm))
			continue
		}
		out.Set(k, v)
	}
	return out
}

// completionFailure is Mistral's message for an error in handling the end
// of a task's action (its publish, a guard, a command's message, the
// output a succeed command computes): it fails the task and the workflow.
func (w *work) completionFailure(ex *Execution, spec *dsl.Workflow, t *Task, err error) string {
	return fmt.Sprintf("Failed to handle action completion [error=%s, wf=%s, task=%s, action=%s]",
		err.Error(), ex.WorkflowName, t.Name, w.actionName(t, spec.Tasks[t.Name]))
}

// actionName names what a task ran, for error messages.
func (w *work) actionName(t *Task, ts *dsl.Task) string {
	if ts.Workflow != "" {
		return ts.Workflow
	}
	actions, err := w.tx.ActionExecutionsOf(w.ctx, t.ID)
	if err != nil || len(actions) == 0 {
		return ts.Action
	}
	return actions[len(actions)-1].Name
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
	// endTask already saved the task as processed when it could; write it
	// again only if firing its transitions changes it.
	wasSaved, handledBefore := t.Processed, t.ErrorHandled
	t.Processed = true
	flush := func() error {
		if wasSaved && t.ErrorHandled == handledBefore {
			return nil
		}
		return w.writeTask(t, t.State)
	}
	if spec.Type == dsl.TypeReverse {
		if err := flush(); err != nil {
			return err
		}
		if t.State != StateSuccess {
			return nil
		}
		return w.startReady(ex, spec)
	}
	// Transitions already fired before a pause command are not fired again
	// on resume.
	rc := runtimeOf(t)
	skip := rc.TransitionsDone
	n := int64(0)
	for _, c := range clauses {
		for _, tr := range c.items {
			n++
			if n <= skip {
				continue
			}
			if tr.Guard != "" {
				v, err := expr.EvalString(tr.Guard, ectx)
				if err != nil {
					return w.abortTask(ex, spec, t, w.completionFailure(ex, spec, t, err), decodeOrNil(t.ResultJSON))
				}
				if !expr.Truthy(v) {
					continue
				}
			}
			if c.event == "on-error" {
				t.ErrorHandled = true
			}
			if !tr.IsCommand() {
				if err := w.startTask(ex, spec, tr.Target, data, &trigger{TaskID: t.ID, Event: c.event}); err != nil {
					return err
				}
				if ex.State != StateRunning {
					// A task that failed at once already ended the workflow.
					return flush()
				}
				continue
			}
			switch tr.Target {
			case dsl.CmdNoop:
				continue
			case dsl.CmdPause:
				// The rest of the transitions fire on resume.
				rc.TransitionsDone = n
				setRuntime(t, rc)
				t.Processed = false
				if err := w.writeTask(t, t.State); err != nil {
					return err
				}
				return w.pauseExecution(ex)
			}
			if err := flush(); err != nil {
				return err
			}
			return w.command(ex, spec, t, tr, ectx)
		}
	}
	return flush()
}

// command runs the engine commands that end the workflow: fail and succeed.
func (w *work) command(ex *Execution, spec *dsl.Workflow, t *Task, tr dsl.Transition, ectx *expr.Context) error {
	var msg *string
	if raw, ok := tr.Params["msg"]; ok {
		v, err := expr.Eval(raw, ectx)
		if err != nil {
			return w.abortTask(ex, spec, t, w.completionFailure(ex, spec, t, err), decodeOrNil(t.ResultJSON))
		}
		msg = strPtr(expr.Str(v))
	}
	if tr.Target == dsl.CmdFail {
		// Mistral's fail keeps what tasks published in the output.
		return w.endExecution(ex, spec, StateError, msg, ending{keepPublished: true})
	}
	// Mistral evaluates the output before the task that ran succeed counts
	// as processed: its publish is not in the final context, and an error
	// is one in handling that task's completion.
	return w.endExecution(ex, spec, StateSuccess, msg, ending{trigger: t})
}

// decodeOrNil decodes stored JSON text, nil if it does not parse.
func decodeOrNil(s string) any {
	v, _ := decode(s)
	return v
}

// checkCompletion ends the workflow once no task is active or unprocessed.
func (w *work) checkCompletion(ex *Execution, spec *dsl.Workflow, last *Task) error {
	if ex.State != StateRunning {
		return nil
	}
	// Most calls find work still going: count it before loading every task.
	busy, total, err := w.tx.CountTasks(w.ctx, ex.ID)
	if err != nil || busy > 0 {
		return err
	}
	var tasks []*Task
	if total == 1 && last != nil && last.WorkflowExecutionID == ex.ID {
		// The execution's only task is the one whose end called us, as
		// this update has just written it: reading it back would return
		// the same (a one-task workflow, the commonest, saves a read).
		tasks = []*Task{last}
	} else if tasks, err = w.tx.TasksOf(w.ctx, ex.ID); err != nil {
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
			info := w.joinFailure(spec, tasks, t)
			if err := w.finishTask(ex, spec, t, StateError, &info, []any{}); err != nil {
				return err
			}
			if ex.State != StateRunning {
				return nil
			}
		}
		return w.checkCompletion(ex, spec, nil)
	}
	// Nothing changed since the list was read: endExecution can use it.
	done := ending{tasks: tasks}
	switch {
	case len(cancelled) > 0:
		names := make([]string, len(cancelled))
		for i, t := range cancelled {
			names[i] = t.Name
		}
		return w.endExecution(ex, spec, StateCancelled, strPtr("Cancelled tasks: "+strings.Join(names, ", ")), done)
	case len(unhandled) > 0:
		return w.endExecution(ex, spec, StateError, strPtr(w.failureInfo(unhandled)), done)
	}
	return w.endExecution(ex, spec, StateSuccess, nil, done)
}

// joinFailure says why a join task can never run: Mistral names the
// inbound tasks that failed ("Failed by tasks: ['b']").
func (w *work) joinFailure(spec *dsl.Workflow, tasks []*Task, join *Task) string {
	var failed []string
	for _, name := range spec.TaskOrder {
		if !transitionsTo(spec.Tasks[name], join.Name) {
			continue
		}
		for _, t := range tasks {
			if t.Name == name && t.State == StateError {
				failed = append(failed, name)
				break
			}
		}
	}
	if len(failed) > 0 {
		return "Failed by tasks: " + pyList(failed)
	}
	return fmt.Sprintf("Join condition is not satisfied: %d inbound transition(s) fired", runtimeOf(join).JoinCount)
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
	return w.endExecution(ex, spec, state, info, ending{})
}

// ending adjusts how a workflow's end is computed, where Mistral's engine
// commands behave differently from a workflow that ran out of tasks.
type ending struct {
	// keepPublished puts the published variables in an ERROR output (the fail command).
	keepPublished bool
	// trigger is the task whose succeed command ends the workflow.
	trigger *Task
	// tasks, when set, are the execution's tasks as just read by the
	// caller, which saves reading them again.
	tasks []*Task
}

func (w *work) endExecution(ex *Execution, spec *dsl.Workflow, state State, info *string, how ending) error {
	if ex.State.Completed() {
		return nil
	}
	tasks := how.tasks
	if tasks == nil {
		var err error
		if tasks, err = w.tx.TasksOf(w.ctx, ex.ID); err != nil {
			return err
		}
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
	published := jsonvalue.NewObject(0)
	for _, t := range tasks {
		if how.trigger != nil && t.ID == how.trigger.ID {
			continue
		}
		for k, v := range decodeOrdered(t.PublishedJSON).All() {
			published.Set(k, v)
		}
	}
	data := merge(decodeObject(ex.ContextJSON), published.Map())
	var output any
	switch state {
	case StateSuccess:
		output = published
		if spec.Output != nil {
			v, err := expr.Eval(spec.Output, w.exprContext(ex, data, nil))
			switch {
			case err != nil && how.trigger != nil:
				t := how.trigger
				return w.abortTask(ex, spec, t, w.completionFailure(ex, spec, t, err), decodeOrNil(t.ResultJSON))
			case err != nil:
				state, info = StateError, strPtr(fmt.Sprintf("Failed to check and complete [wf_ex_id=%s, wf_name=%s]: %s", ex.ID, ex.WorkflowName, err.Error()))
				output = jsonvalue.ObjectOf("result", *info)
			default:
				output = v
			}
		}
	default:
		var result any
		if info != nil {
			result = *info
		}
		out := jsonvalue.NewObject(1)
		if how.keepPublished {
			out = published.Clone()
		}
		out.Set("result", result)
		if state == StateError && spec.OutputOnError != nil {
			if v, err := expr.Eval(spec.OutputOnError, w.exprContext(ex, data, nil)); err == nil {
				for k, val := range objectOf(v).All() {
					out.Set(k, val)
				}
			}
		}
		output = out
	}
	outJSON, err := encode(output)
	if err != nil {
		state, info = StateError, strPtr(err.Error())
		outJSON = encodeOrNull(map[string]any{"result": *info})
	}
	from := ex.State
	ex.State, ex.StateInfo, ex.OutputJSON, ex.UpdatedAt = state, info, outJSON, w.e.now()
	if err := w.writeExecution(ex, from); err != nil {
		return fmt.Errorf("finish execution %s: %w", ex.ID, err)
	}
	w.publish(Event{Kind: "execution", ID: ex.ID, State: ex.State, ExecutionID: ex.ID})
	if err := w.notifyExecution(ex, from); err != nil {
		return err
	}
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
			if err := w.writeAction(a, from); err != nil {
				return fmt.Errorf("cancel action execution %s: %w", a.ID, err)
			}
			w.publish(Event{Kind: "action_execution", ID: a.ID, State: a.State, Async: a.Async, ExecutionID: ex.ID, Via: "engine",
				Approval: a.ApprovalJSON != nil})
		}
		if t.Type == TaskTypeWorkflow {
			if err := w.cancelChildren(t); err != nil {
				return err
			}
		}
		if len(actions) > 0 {
			t.ResultJSON = "null" // its cancelled action's result
		}
		from := t.State
		t.State, t.StateInfo, t.FinishedAt, t.UpdatedAt, t.Processed = StateCancelled, strPtr("Cancelled because the workflow ended"), &now, now, true
		if err := w.writeTask(t, from); err != nil {
			return fmt.Errorf("cancel task %s: %w", t.ID, err)
		}
		w.publish(Event{Kind: "task", ID: t.ID, State: t.State, ExecutionID: ex.ID})
		if err := w.notifyTask(ex, t, from); err != nil {
			return err
		}
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
		return fault.Errorf(fault.EINVALID, "Invalid state transition from %s to PAUSED.", ex.State)
	}
	ex.State, ex.UpdatedAt = StatePaused, w.e.now()
	if err := w.writeExecution(ex, StateRunning); err != nil {
		return err
	}
	w.publish(Event{Kind: "execution", ID: ex.ID, State: ex.State, ExecutionID: ex.ID})
	return w.notifyExecution(ex, StateRunning)
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
	if err := w.writeExecution(ex, StatePaused); err != nil {
		return err
	}
	w.publish(Event{Kind: "execution", ID: ex.ID, State: ex.State, ExecutionID: ex.ID})
	if err := w.notifyExecution(ex, StatePaused); err != nil {
		return err
	}
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
				if err := w.writeAction(a, StatePaused); err != nil {
					return err
				}
				w.publish(Event{Kind: "action_execution", ID: a.ID, State: a.State, Async: a.Async, ExecutionID: ex.ID, Approval: a.ApprovalJSON != nil})
			}
		}
		t.State, t.UpdatedAt = StateRunning, now
		if err := w.writeTask(t, StatePaused); err != nil {
			return err
		}
		w.publish(Event{Kind: "task", ID: t.ID, State: t.State, ExecutionID: ex.ID})
		if err := w.notifyTask(ex, t, StatePaused); err != nil {
			return err
		}
	}
	for _, t := range tasks {
		var err error
		switch {
		case t.State.Completed() && !t.Processed:
			err = w.processTask(ex, spec, t)
		case t.State == StateIdle:
			err = w.runTask(ex, spec, t) // held by pause-before
		case t.State == StateDelayed && runtimeOf(t).TimerFired != "":
			err = w.fireTimer(ex, spec, t, runtimeOf(t).TimerFired)
		}
		if err != nil {
			return err
		}
		if ex.State != StateRunning {
			return nil
		}
	}
	return w.checkCompletion(ex, spec, nil)
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
