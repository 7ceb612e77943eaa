package engine

import (
	"fmt"

	"github.com/sirocco-project/sirocco/internal/dsl"
	"github.com/sirocco-project/sirocco/internal/expr"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// startSubworkflow starts the workflow a `workflow:` task names, in the
// same transaction; its end completes the task (subworkflowDone).
func (w *work) startSubworkflow(ex *Execution, spec *dsl.Workflow, t *Task, ectx *expr.Context) error {
	ts := spec.Tasks[t.Name]
	nameV, err := expr.EvalString(ts.Workflow, ectx)
	if err != nil {
		return w.failTask(ex, spec, t, err.Error())
	}
	name, ok := nameV.(string)
	if !ok {
		return w.failTask(ex, spec, t, fmt.Sprintf("Workflow name must be a string, got %s", expr.Str(nameV)))
	}
	input, err := w.taskInput(ts, ectx)
	if err != nil {
		return w.failTask(ex, spec, t, err.Error())
	}
	wf, err := w.tx.GetWorkflow(w.ctx, name, ex.WorkflowNamespace)
	if prefix := dsl.WorkbookPrefix(ex.WorkflowName); fault.Code(err) == fault.ENOTFOUND && prefix != "" {
		// In a workbook, a member names another by its short name.
		wf, err = w.tx.GetWorkflow(w.ctx, prefix+"."+name, ex.WorkflowNamespace)
	}
	if fault.Code(err) == fault.ENOTFOUND {
		return w.failTask(ex, spec, t, fmt.Sprintf("Workflow not found [workflow_identifier=%s, namespace=%s]", name, ex.WorkflowNamespace))
	}
	if err != nil {
		return err
	}
	childSpec, err := w.e.specs.get(wf.Definition)
	if err != nil {
		return w.failTask(ex, spec, t, err.Error())
	}
	childInput, err := checkInput(childSpec, input)
	if err != nil {
		return w.failTask(ex, spec, t, err.Error())
	}
	root := ex.ID
	if ex.RootExecutionID != nil {
		root = *ex.RootExecutionID
	}
	// Mistral's params of a sub-workflow: its place in the tree, and an
	// empty env; env() in it reads its root's (mistralFuncs.env).
	childParams := map[string]any{"root_execution_id": root, "task_execution_id": t.ID, "index": int64(0),
		"namespace": wf.Namespace, "env": map[string]any{}}
	if n, ok := decodeObject(ex.ParamsJSON)[notifyParam]; ok {
		childParams[notifyParam] = n // its receivers hear of the sub-workflow too, as in Mistral
	}
	now := w.e.now()
	child := &Execution{
		ID:                newID(),
		WorkflowID:        wf.ID,
		WorkflowName:      wf.Name,
		WorkflowNamespace: wf.Namespace,
		Description:       "",
		Tags:              []string{},
		ParamsJSON:        encodeOrNull(childParams),
		TaskExecutionID:   strPtr(t.ID),
		RootExecutionID:   strPtr(root),
		State:             StateRunning,
		InputJSON:         encodeOrNull(childInput),
		OutputJSON:        "{}",
		ContextJSON:       "{}",
		Definition:        wf.Definition,
		ProjectID:         ex.ProjectID,
		CreatedBy:         ex.CreatedBy,
		CreatedAt:         now,
		UpdatedAt:         now,
	}
	return w.startWorkflow(child, childSpec, childInput.Map())
}

// subworkflowDone completes the parent task of a finished sub-workflow.
func (w *work) subworkflowDone(child *Execution) error {
	t, err := w.tx.GetTask(w.ctx, *child.TaskExecutionID)
	if err != nil {
		return err
	}
	if t.State != StateRunning && t.State != StatePaused {
		return nil
	}
	parent, spec, err := w.executionOf(t)
	if err != nil {
		return err
	}
	result, _ := decode(child.OutputJSON)
	switch child.State {
	case StateCancelled:
		return w.finishTask(parent, spec, t, StateCancelled, nil, result)
	case StateError:
		info := ""
		if child.StateInfo != nil {
			info = *child.StateInfo
		}
		return w.taskOutcome(parent, spec, t, StateError, &info, result)
	}
	return w.taskOutcome(parent, spec, t, StateSuccess, nil, result)
}
