package engine

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/sirocco-project/sirocco/internal/dsl"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

// StartRequest asks to start a workflow execution.
type StartRequest struct {
	// ID is an optional client-chosen id; starting with an id that exists
	// returns that execution (Mistral's idempotent start).
	ID           string
	WorkflowID   string
	WorkflowName string
	Namespace    string
	Description  string
	Input        map[string]any
	Params       map[string]any
	// ParamsOrder, when set, is the order the client wrote Params' keys
	// in: the execution shows them so, then the ones the engine adds.
	ParamsOrder       []string
	SourceExecutionID string
	// CreatedBy is who starts it: the account's name, "" when
	// authentication is off or for an in-process start.
	CreatedBy string
	// inTx, when set, runs in the start's transaction once the execution
	// is created (a cron trigger's advance commits with its execution).
	inTx func(w *work, ex *Execution) error
}

// StartExecution starts a workflow. The returned execution is committed
// in state RUNNING; its first tasks are already scheduled.
func (e *Engine) StartExecution(ctx context.Context, req StartRequest) (*Execution, error) {
	if err := checkTexts("id", req.ID, "workflow_id", req.WorkflowID, "workflow_name", req.WorkflowName,
		"workflow_namespace", req.Namespace, "description", req.Description, "source_execution_id", req.SourceExecutionID); err != nil {
		return nil, err
	}
	if req.ID != "" {
		if ex, err := e.store.GetExecution(ctx, req.ID); err == nil {
			return ex, nil
		}
	}
	if req.SourceExecutionID != "" {
		src, err := e.GetExecution(ctx, req.SourceExecutionID)
		if err != nil {
			return nil, err
		}
		if req.WorkflowID == "" && req.WorkflowName == "" {
			req.WorkflowID = src.WorkflowID
		}
		if req.Input == nil {
			req.Input = decodeObject(src.InputJSON)
		}
		if req.Params == nil {
			req.Params = decodeObject(src.ParamsJSON)
		}
		desc := fmt.Sprintf("Based on the execution '%s'", src.ID)
		if req.Description != "" {
			desc = req.Description + " " + desc
		}
		req.Description = desc
	}
	ident := req.WorkflowID
	if ident == "" {
		ident = req.WorkflowName
	}
	if ident == "" {
		return nil, fault.Errorf(fault.EINVALID, "Workflow ID or workflow name must be provided. Workflow ID is recommended.")
	}
	ns := req.Namespace
	if ns == "" {
		if v, ok := req.Params["namespace"].(string); ok {
			if err := fault.CheckText("params.namespace", v); err != nil {
				return nil, err
			}
			ns = v
		}
	}
	wf, err := e.GetWorkflow(ctx, ident, ns)
	if err != nil {
		return nil, err
	}
	spec, err := e.specs.get(wf.Definition)
	if err != nil {
		return nil, fmt.Errorf("load workflow %q: %w", wf.Name, err)
	}
	input, err := checkInput(spec, req.Input)
	if err != nil {
		return nil, err
	}
	params := merge(map[string]any{"namespace": wf.Namespace, "env": map[string]any{}}, req.Params)
	if err := resolveEnv(ctx, e.store, params); err != nil {
		return nil, err
	}
	if err := e.checkNotify(params); err != nil {
		return nil, err
	}
	inputJSON, err := encode(input)
	if err != nil {
		return nil, err
	}
	paramsJSON, err := encode(orderedParams(params, req.ParamsOrder))
	if err != nil {
		return nil, err
	}
	id := req.ID
	if id == "" {
		id = newID()
	}
	now := e.now()
	ex := &Execution{
		ID:                id,
		WorkflowID:        wf.ID,
		WorkflowName:      wf.Name,
		WorkflowNamespace: wf.Namespace,
		Description:       req.Description,
		Tags:              []string{},
		ParamsJSON:        paramsJSON,
		State:             StateRunning,
		InputJSON:         inputJSON,
		OutputJSON:        "{}",
		ContextJSON:       "{}",
		Definition:        wf.Definition,
		ProjectID:         wf.ProjectID,
		CreatedBy:         req.CreatedBy,
		CreatedAt:         now,
		UpdatedAt:         now,
	}
	err = e.update(ctx, func(w *work) error {
		c := *ex // a retried transaction starts from the original
		if err := w.startWorkflow(&c, spec, input.Map()); err != nil {
			return err
		}
		if req.inTx != nil {
			if err := req.inTx(w, &c); err != nil {
				return err
			}
		}
		*ex = c
		return nil
	})
	if fault.Code(err) == fault.ECONFLICT && req.ID != "" {
		// The same start, repeated while the first was committing (a
		// client that lost its answer when a replica died): the
		// execution the first one created is the answer to both.
		if existing, gerr := e.store.GetExecution(ctx, req.ID); gerr == nil {
			return existing, nil
		}
	}
	if err != nil {
		return nil, err
	}
	return ex, nil // as committed; no need to read it back
}

// checkInput fills defaults and rejects unknown or missing inputs, as Mistral does.
// The input lists the parameters in the order the workflow declares them.
func checkInput(spec *dsl.Workflow, given map[string]any) (*jsonvalue.Object, error) {
	input := jsonvalue.NewObject(len(spec.Input))
	known := make(map[string]bool, len(spec.Input))
	var missing, unexpected []string
	for _, p := range spec.Input {
		known[p.Name] = true
		if v, ok := given[p.Name]; ok {
			input.Set(p.Name, v)
		} else if p.HasDefault {
			input.Set(p.Name, p.Default)
		} else {
			missing = append(missing, p.Name)
		}
	}
	for k := range given {
		if !known[k] {
			unexpected = append(unexpected, k)
		}
	}
	if len(missing) == 0 && len(unexpected) == 0 {
		return input, nil
	}
	sort.Strings(unexpected)
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, "missing="+pyList(missing))
	}
	if len(unexpected) > 0 {
		parts = append(parts, "unexpected="+pyList(unexpected))
	}
	return nil, fault.Errorf(fault.EINVALID, "Invalid input [name=%s, class=DirectWorkflowSpec, %s]", spec.Name, strings.Join(parts, ", "))
}

func pyList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "'" + n + "'"
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// GetExecution returns a workflow execution.
func (e *Engine) GetExecution(ctx context.Context, id string) (*Execution, error) {
	ex, err := e.store.GetExecution(ctx, id)
	if fault.Code(err) == fault.ENOTFOUND {
		return nil, fault.Errorf(fault.ENOTFOUND, "WorkflowExecution not found [id=%s]", id)
	}
	return ex, err
}

// ListExecutions lists workflow executions.
func (e *Engine) ListExecutions(ctx context.Context, q ListQuery) ([]*Execution, error) {
	return e.store.ListExecutions(ctx, q)
}

// ExecutionUpdate is a change to an execution requested through the API.
type ExecutionUpdate struct {
	State       State // "" for no state change
	StateInfo   *string
	Description *string
	Env         map[string]any // nil for no change
	// By is who asks (nil: the server itself), for the audit trail, which
	// records changes of state and environment.
	By *Decider
}

// UpdateExecution pauses, resumes or stops an execution, or changes its
// description or environment (reference §1.4).
func (e *Engine) UpdateExecution(ctx context.Context, id string, u ExecutionUpdate) (*Execution, error) {
	switch {
	case u.Description != nil && u.State != "":
		return nil, fault.Errorf(fault.EINVALID, "The property description must be updated separately from state.")
	case u.Description == nil && u.State == "" && u.Env == nil:
		return nil, fault.Errorf(fault.EINVALID, "The property state, description, or env is not provided for update.")
	case u.Env != nil && u.State != "" && u.State != StateRunning:
		return nil, fault.Errorf(fault.EINVALID, "The property env can be updated only alone or together with state RUNNING.")
	}
	if u.Description != nil {
		if err := fault.CheckText("description", *u.Description); err != nil {
			return nil, err
		}
	}
	if u.StateInfo != nil {
		if err := fault.CheckText("state_info", *u.StateInfo); err != nil {
			return nil, err
		}
	}
	switch u.State {
	case "", StatePaused, StateRunning, StateSuccess, StateError, StateCancelled:
	default:
		return nil, fault.Errorf(fault.EINVALID, "Cannot change state to %s.", u.State)
	}
	err := e.update(ctx, func(w *work) error {
		ex, err := w.lockTree(id)
		if fault.Code(err) == fault.ENOTFOUND {
			return fault.Errorf(fault.ENOTFOUND, "WorkflowExecution not found [id=%s]", id)
		}
		if err != nil {
			return err
		}
		if u.Description != nil {
			ex.Description = *u.Description
			ex.UpdatedAt = e.now()
			return w.writeExecution(ex, ex.State)
		}
		if err := w.auditAdmin(u.By, "", u.State, executionChange(ex, u)); err != nil {
			return err
		}
		if u.Env != nil {
			params := decodeObject(ex.ParamsJSON)
			params["env"] = merge(asObject(params["env"]), u.Env)
			ex.ParamsJSON = encodeOrNull(params)
			ex.UpdatedAt = e.now()
			if err := w.writeExecution(ex, ex.State); err != nil {
				return err
			}
		}
		spec, err := e.specs.get(ex.Definition)
		if err != nil {
			return err
		}
		switch u.State {
		case StatePaused:
			return w.pauseExecution(ex)
		case StateRunning:
			return w.resumeExecution(ex, spec)
		case StateSuccess, StateError, StateCancelled:
			if ex.State.Completed() {
				return fault.Errorf(fault.ECONFLICT, "Execution %s is already completed with state %s.", ex.ID, ex.State)
			}
			return w.stopExecution(ex, spec, u.State, u.StateInfo)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return e.store.GetExecution(ctx, id)
}

// DeleteExecution deletes an execution with its tasks and action
// executions, as by in the audit trail (its records stay). A running one
// needs force.
func (e *Engine) DeleteExecution(ctx context.Context, by *Decider, id string, force bool) error {
	return e.update(ctx, func(w *work) error {
		ex, err := w.lockTree(id)
		if fault.Code(err) == fault.ENOTFOUND {
			return fault.Errorf(fault.ENOTFOUND, "WorkflowExecution not found [id=%s]", id)
		}
		if err != nil {
			return err
		}
		if !ex.State.Completed() && !force {
			return fault.Errorf(fault.EFORBIDDEN, "Only completed executions can be deleted; execution %s is %s (use force to delete it anyway).", id, ex.State)
		}
		// As in Mistral, deleting an execution deletes its sub-workflow
		// executions too (its tasks take them along): none is left
		// orphaned, deepest first.
		subs, err := w.descendants(ctx, id)
		if err != nil {
			return err
		}
		for i := len(subs) - 1; i >= 0; i-- {
			if err := w.tx.DeleteExecution(ctx, subs[i]); err != nil {
				return fmt.Errorf("delete sub-execution %s: %w", subs[i], err)
			}
		}
		if err := w.tx.DeleteExecution(ctx, id); err != nil {
			return err
		}
		what := fmt.Sprintf("delete execution %s (workflow %s, state %s)", id, ex.WorkflowName, ex.State)
		if len(subs) > 0 {
			what += fmt.Sprintf(" with %d sub-executions", len(subs))
		}
		if !ex.State.Completed() {
			what += ", forced"
		}
		return w.auditAdmin(by, "", "", what)
	})
}

// orderedParams gives params in the order the client wrote them (order),
// then the keys the engine added, as Mistral shows them (it appends
// namespace); without an order, params as they are (sorted when encoded).
func orderedParams(params map[string]any, order []string) any {
	if len(order) == 0 {
		return params
	}
	o := jsonvalue.NewObject(len(params))
	for _, k := range order {
		if v, ok := params[k]; ok {
			o.Set(k, v)
		}
	}
	for _, k := range jsonvalue.SortedKeys(params) {
		if !o.Has(k) {
			o.Set(k, params[k])
		}
	}
	return o
}

// descendants lists the sub-workflow executions below id, level by
// level (parents before their children), read in the transaction.
func (w *work) descendants(ctx context.Context, id string) ([]string, error) {
	const chunk = 500 // ids per IN list
	var out []string
	for level := []string{id}; len(level) > 0; {
		var next []string
		for i := 0; i < len(level); i += chunk {
			tasks, err := w.tx.ListTasks(ctx, ListQuery{Filters: []Filter{{Field: "workflow_execution_id", Op: OpIn, Values: level[i:min(i+chunk, len(level))]}}})
			if err != nil {
				return nil, fmt.Errorf("list the tasks of %d executions: %w", len(level), err)
			}
			taskIDs := make([]string, len(tasks))
			for k, t := range tasks {
				taskIDs[k] = t.ID
			}
			for j := 0; j < len(taskIDs); j += chunk {
				children, err := w.tx.ListExecutions(ctx, ListQuery{Filters: []Filter{{Field: "task_execution_id", Op: OpIn, Values: taskIDs[j:min(j+chunk, len(taskIDs))]}}})
				if err != nil {
					return nil, fmt.Errorf("list sub-executions: %w", err)
				}
				for _, c := range children {
					next = append(next, c.ID)
				}
			}
		}
		out = append(out, next...)
		level = next
	}
	return out, nil
}

// executionChange says what an update of an execution's state or
// environment does, for the audit trail.
func executionChange(ex *Execution, u ExecutionUpdate) string {
	var what string
	switch u.State {
	case StatePaused:
		what = "pause execution " + ex.ID
	case StateRunning:
		what = "resume execution " + ex.ID
	case "":
		what = "change execution " + ex.ID
	default:
		what = fmt.Sprintf("set execution %s to %s", ex.ID, u.State)
	}
	what += fmt.Sprintf(" (workflow %s, state %s)", ex.WorkflowName, ex.State)
	if u.StateInfo != nil {
		what += ": " + *u.StateInfo
	}
	if u.Env != nil {
		keys := slices.Sorted(maps.Keys(u.Env))
		what += "; env keys set: " + strings.Join(keys, ", ")
	}
	return what
}

// asObject returns v's members as a Go map when v is an object (an
// *jsonvalue.Object or a map), else an empty map.
func asObject(v any) map[string]any {
	switch x := v.(type) {
	case map[string]any:
		return x
	case *jsonvalue.Object:
		if x != nil {
			return x.Map()
		}
	}
	return map[string]any{}
}

// mapOf is asObject that tells whether v was an object.
func mapOf(v any) (map[string]any, bool) {
	switch x := v.(type) {
	case map[string]any:
		return x, true
	case *jsonvalue.Object:
		if x != nil {
			return x.Map(), true
		}
	}
	return nil, false
}
