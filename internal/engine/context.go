package engine

import (
	"fmt"

	"github.com/sirocco-project/sirocco/internal/expr"
)

// timeLayout is Mistral's wire format for timestamps.
const timeLayout = "2006-01-02 15:04:05"

// exprContext builds what expressions see: data as `$`/`_`, and the
// Mistral functions task(), tasks(), execution() and env(). current is the
// task that task() without a name means (nil outside a task).
func (w *work) exprContext(ex *Execution, data map[string]any, current *Task) *expr.Context {
	return &expr.Context{
		Data: data,
		Funcs: map[string]expr.Func{
			"task": func(args ...any) (any, error) {
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
			},
			"tasks": func(args ...any) (any, error) {
				tasks, err := w.tx.TasksOf(w.ctx, ex.ID)
				if err != nil {
					return nil, err
				}
				out := make([]any, 0, len(tasks))
				for _, t := range tasks {
					if current != nil && t.ID == current.ID {
						t = current
					}
					out = append(out, taskDict(t))
				}
				return out, nil
			},
			"execution": func(args ...any) (any, error) {
				return executionDict(ex), nil
			},
			"env": func(args ...any) (any, error) {
				env := decodeObject(ex.ParamsJSON)["env"]
				if env == nil {
					return map[string]any{}, nil
				}
				return env, nil
			},
		},
	}
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
		"published":             decodeObject(t.PublishedJSON),
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
