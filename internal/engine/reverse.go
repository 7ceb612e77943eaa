package engine

import (
	"fmt"

	"github.com/sirocco-project/sirocco/internal/dsl"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// Reverse workflows run a target task (params.task_name) and, first, what
// it requires, transitively. A task starts once all it requires succeeded.

// reverseTarget returns the target task of a reverse workflow execution.
func reverseTarget(ex *Execution, spec *dsl.Workflow) (string, error) {
	target, _ := decodeObject(ex.ParamsJSON)["task_name"].(string)
	if target == "" {
		return "", fault.Errorf(fault.EINVALID, "Reverse workflow %s needs params.task_name: the task to run.", spec.Name)
	}
	if _, ok := spec.Tasks[target]; !ok {
		return "", fault.Errorf(fault.EINVALID, "Task '%s' not found in workflow %s.", target, spec.Name)
	}
	return target, nil
}

// required returns the target and everything it requires, transitively.
func required(spec *dsl.Workflow, target string) map[string]bool {
	set := map[string]bool{}
	var visit func(string)
	visit = func(name string) {
		if set[name] {
			return
		}
		set[name] = true
		for _, r := range spec.Tasks[name].Requires {
			visit(r)
		}
	}
	visit(target)
	return set
}

// startReady starts the tasks of a reverse workflow whose requirements
// have all succeeded and that have not started yet.
func (w *work) startReady(ex *Execution, spec *dsl.Workflow) error {
	target, err := reverseTarget(ex, spec)
	if err != nil {
		return err
	}
	set := required(spec, target)
	tasks, err := w.tx.TasksOf(w.ctx, ex.ID)
	if err != nil {
		return err
	}
	started := map[string]bool{}
	succeeded := map[string]*Task{}
	for _, t := range tasks {
		started[t.Name] = true
		if t.State == StateSuccess {
			succeeded[t.Name] = t
		}
	}
	for _, name := range spec.TaskOrder {
		if !set[name] || started[name] {
			continue
		}
		data := decodeObject(ex.ContextJSON)
		ready := true
		for _, r := range spec.Tasks[name].Requires {
			t, ok := succeeded[r]
			if !ok {
				ready = false
				break
			}
			data = merge(data, decodeObject(t.PublishedJSON))
		}
		if !ready {
			continue
		}
		if err := w.startTask(ex, spec, name, data, nil); err != nil {
			return fmt.Errorf("start task %q: %w", name, err)
		}
		if ex.State != StateRunning {
			return nil
		}
	}
	return nil
}
