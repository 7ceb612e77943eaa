package engine

import (
	"fmt"
	"slices"

	"github.com/sirocco-project/sirocco/internal/expr"
)

// timeLayout is Mistral's wire format for timestamps.
const timeLayout = "2006-01-02 15:04:05"

// exprContext builds what expressions see: data as `$`/`_`, and the
// Mistral functions task(), tasks(), execution() and env(). current is the
// task that task() without a name means (nil outside a task).
func (w *work) exprContext(ex *Execution, data map[string]any, current *Task) *expr.Context {
	if g := ex.PublishedGlobalJSON; g != "" && g != "{}" {
		// Global variables are seen under the task's own data, as in
		// Mistral's context view.
		data = merge(decodeObject(g), data)
	}
	return &expr.Context{Data: data, Funcs: &mistralFuncs{w: w, ex: ex, current: current}, Params: funcParams}
}

// mistralFuncs are Mistral's functions over the engine's records: task(),
// tasks(), execution(), global(), env(). Looked up by name on demand: most
// contexts evaluate none of them, and building a map of closures for
// each one cost a tenth of the bytes the engine allocated.
type mistralFuncs struct {
	w       *work
	ex      *Execution
	current *Task
}

func (f *mistralFuncs) Func(name string) (expr.Func, bool) {
	switch name {
	case "task":
		return f.task, true
	case "tasks":
		return f.tasks, true
	case "execution":
		return f.execution, true
	case "global":
		return f.global, true
	case "env":
		return f.env, true
	}
	return nil, false
}

func (f *mistralFuncs) task(args ...any) (any, error) {
	w, ex, current := f.w, f.ex, f.current
	if len(args) == 0 || args[0] == nil {
		if current == nil {
			return nil, fmt.Errorf("task() without a name is only valid inside a task")
		}
		return taskDict(current), nil
	}
	name, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("task() takes a task name, got %s", expr.Str(args[0]))
	}
	if current != nil && current.Name == name {
		return taskDict(current), nil
	}
	tasks, err := w.tx.TasksOf(w.ctx, ex.ID)
	if err != nil {
		return nil, err
	}
	var found *Task
	for _, t := range tasks {
		if t.Name == name {
			found = t // the latest execution of that task wins
		}
	}
	if found == nil {
		return nil, nil
	}
	return taskDict(found), nil
}

func (f *mistralFuncs) tasks(args ...any) (any, error) {
	q, err := tasksArgs(f.ex.ID, args)
	if err != nil {
		return nil, err
	}
	return f.w.tasksDicts(q, f.current, 0)
}

func (f *mistralFuncs) execution(args ...any) (any, error) {
	return executionDict(f.ex), nil
}

func (f *mistralFuncs) global(args ...any) (any, error) {
	w, ex := f.w, f.ex
	if len(args) != 1 {
		return nil, fmt.Errorf("global() takes one variable name, got %d arguments", len(args))
	}
	name, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("global() takes a variable name, got %s", expr.Str(args[0]))
	}
	if v, ok := decodeObject(ex.PublishedGlobalJSON)[name]; ok {
		return v, nil
	}
	// Mistral's workflow context holds the vars too.
	if spec, err := w.e.specs.get(ex.Definition); err == nil && spec.Vars != nil {
		if spec.Vars.Has(name) {
			return decodeObject(ex.ContextJSON)[name], nil
		}
	}
	return nil, nil
}

func (f *mistralFuncs) env(args ...any) (any, error) {
	params := f.ex.ParamsJSON
	if root := f.ex.RootExecutionID; root != nil {
		// A sub-workflow sees its root's environment, as in Mistral
		// (execution-update may have changed it since the start).
		r, err := f.w.tx.GetExecution(f.w.ctx, *root)
		if err != nil {
			return nil, fmt.Errorf("env(): read the root execution: %w", err)
		}
		params = r.ParamsJSON
	}
	env := decodeObject(params)["env"]
	if env == nil {
		return map[string]any{}, nil
	}
	return env, nil
}

// funcParams names the parameters of Mistral's functions as Mistral 15
// declares them, for keyword arguments (`tasks(state => 'ERROR')`).
var funcParams = map[string][]string{
	"task":   {"task_name"},
	"tasks":  {"workflow_execution_id", "recursive", "state", "flat"},
	"global": {"var_name"},
}

// tasksQuery is what tasks(workflow_execution_id, recursive, state, flat)
// asks for.
type tasksQuery struct {
	executionID     string
	recursive, flat bool
	state           string
}

// tasksArgs reads tasks()'s arguments. Without an execution id it means
// the current execution (Mistral: the tasks of every execution).
func tasksArgs(current string, args []any) (tasksQuery, error) {
	q := tasksQuery{executionID: current}
	if len(args) > 4 {
		return q, fmt.Errorf("tasks() takes at most 4 arguments (workflow_execution_id, recursive, state, flat), got %d", len(args))
	}
	str := func(i int, what string) (string, error) {
		if i >= len(args) || args[i] == nil {
			return "", nil
		}
		s, ok := args[i].(string)
		if !ok {
			return "", fmt.Errorf("tasks(): %s must be a string, got %s", what, expr.Str(args[i]))
		}
		return s, nil
	}
	id, err := str(0, "workflow_execution_id")
	if err != nil {
		return q, err
	}
	if id != "" {
		q.executionID = id
	}
	if q.state, err = str(2, "state"); err != nil {
		return q, err
	}
	q.recursive = len(args) > 1 && expr.Truthy(args[1])
	q.flat = len(args) > 3 && expr.Truthy(args[3])
	return q, nil
}

// tasksDicts lists the tasks of q.executionID that match q, then, with
// q.recursive, those of its sub-workflows, depth first, as Mistral does.
// With q.flat a sub-workflow task is left out when one of its executions
// is in the task's own state (it is represented by that execution's tasks).
func (w *work) tasksDicts(q tasksQuery, current *Task, depth int) ([]any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("tasks(): sub-workflows nested deeper than %d", maxDepth)
	}
	tasks, err := w.tx.TasksOf(w.ctx, q.executionID)
	if err != nil {
		return nil, err
	}
	out := make([]any, 0, len(tasks))
	var nested []any
	for _, t := range tasks {
		if current != nil && t.ID == current.ID {
			t = current
		}
		var subs []*Execution
		if t.Type == TaskTypeWorkflow && (q.recursive || q.flat) {
			if subs, err = w.tx.ListExecutions(w.ctx, ListQuery{Filters: []Filter{{Field: "task_execution_id", Op: OpEq, Values: []string{t.ID}}}}); err != nil {
				return nil, err
			}
		}
		if q.recursive {
			for _, sub := range subs {
				sq := q
				sq.executionID = sub.ID
				more, err := w.tasksDicts(sq, current, depth+1)
				if err != nil {
					return nil, err
				}
				nested = append(nested, more...)
			}
		}
		if q.state != "" && string(t.State) != q.state {
			continue
		}
		if q.flat && slices.ContainsFunc(subs, func(sub *Execution) bool { return sub.State == t.State }) {
			continue
		}
		out = append(out, taskDict(t))
	}
	return append(out, nested...), nil
}

func taskDict(t *Task) map[string]any {
	result, _ := decode(t.ResultJSON)
	var info any
	if t.StateInfo != nil {
		info = *t.StateInfo
	}
	return map[string]any{
		"id":                    t.ID,
		"name":                  t.Name,
		"state":                 string(t.State),
		"state_info":            info,
		"result":                result,
		"published":             decodeOrdered(t.PublishedJSON),
		"type":                  t.Type,
		"workflow_execution_id": t.WorkflowExecutionID,
		"created_at":            t.CreatedAt.Format(timeLayout),
		"updated_at":            t.UpdatedAt.Format(timeLayout),
	}
}

func executionDict(ex *Execution) map[string]any {
	var root any
	if ex.RootExecutionID != nil {
		root = *ex.RootExecutionID
	}
	input, _ := decode(ex.InputJSON)
	return map[string]any{
		"id":                ex.ID,
		"name":              ex.WorkflowName,
		"input":             input,
		"params":            decodeObject(ex.ParamsJSON),
		"created_at":        ex.CreatedAt.Format(timeLayout),
		"updated_at":        ex.UpdatedAt.Format(timeLayout),
		"root_execution_id": root,
	}
}
