package engine

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/sirocco-project/sirocco/internal/dsl"
	"github.com/sirocco-project/sirocco/internal/expr"
)

var itemsRE = regexp.MustCompile(`^\s*([A-Za-z_][A-Za-z0-9_]*)\s+in\s+(.+?)\s*$`)

// evalItems evaluates with-items into one binding map per item; several
// lists are zipped and must have the same length.
func evalItems(spec any, ectx *expr.Context) ([]map[string]any, error) {
	var clauses []string
	switch v := spec.(type) {
	case string:
		clauses = []string{v}
	case []any:
		for _, c := range v {
			s, ok := c.(string)
			if !ok {
				return nil, fmt.Errorf("with-items entries must be strings like 'x in <%% $.list %%>', got %s", expr.Str(c))
			}
			clauses = append(clauses, s)
		}
	default:
		return nil, fmt.Errorf("with-items must be a string or a list of strings")
	}
	var names []string
	var lists [][]any
	for _, c := range clauses {
		m := itemsRE.FindStringSubmatch(c)
		if m == nil {
			return nil, fmt.Errorf("with-items %q: want 'name in <list>'", c)
		}
		src := strings.TrimSpace(m[2])
		if strings.HasPrefix(src, "[") {
			src = "<% " + src + " %>" // a literal list
		}
		v, err := expr.EvalString(src, ectx)
		if err != nil {
			return nil, err
		}
		list, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("with-items %q: the value must be a list, got %s", c, expr.Str(v))
		}
		names, lists = append(names, m[1]), append(lists, list)
	}
	n := len(lists[0])
	for i, l := range lists {
		if len(l) != n {
			return nil, fmt.Errorf("with-items: all lists must have the same length (%s has %d, %s has %d)", names[0], n, names[i], len(l))
		}
	}
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = map[string]any{}
		for j, name := range names {
			out[i][name] = lists[j][i]
		}
	}
	return out, nil
}

// startItems starts a with-items task: one action execution per item, at
// most `concurrency` at a time.
func (w *work) startItems(ex *Execution, spec *dsl.Workflow, t *Task, data map[string]any) error {
	ts := spec.Tasks[t.Name]
	ectx := w.exprContext(ex, data, t)
	items, err := evalItems(ts.WithItems, ectx)
	if err != nil {
		return w.failTask(ex, spec, t, err.Error())
	}
	capacity := len(items)
	if ts.Concurrency != nil {
		c, err := policyNumber(ts.Concurrency, ectx, "concurrency")
		if err != nil {
			return w.failTask(ex, spec, t, err.Error())
		}
		if c > 0 && int(c) < capacity {
			capacity = int(c)
		}
	}
	rc := runtimeOf(t)
	// A task run again without reset (RerunTask) keeps the items whose
	// results still count; only the others run.
	var kept map[int]bool
	if rc.WithItems != nil {
		actions, err := w.tx.ActionExecutionsOf(w.ctx, t.ID)
		if err != nil {
			return err
		}
		kept = coveredItems(actions)
	}
	rc.WithItems = &itemsProgress{Count: int64(len(items)), Capacity: int64(capacity)}
	rc.Items = items
	if ts.Concurrency != nil {
		n := int64(capacity)
		rc.Concurrency = &n
	}
	setRuntime(t, rc)
	if err := w.writeTask(t, t.State); err != nil {
		return err
	}
	if len(items) == 0 {
		return w.taskOutcome(ex, spec, t, StateSuccess, nil, []any{})
	}
	started := 0
	for i := 0; i < len(items) && started < capacity; i++ {
		if kept[i] {
			continue
		}
		if err := w.startItem(ex, spec, t, data, items[i], i); err != nil {
			return err
		}
		if t.State != StateRunning {
			return nil // an item failed at once and ended the task
		}
		started++
	}
	if started == 0 {
		return w.itemDone(ex, spec, t) // every item's result was kept
	}
	return nil
}

// coveredItems are the item indexes whose action still counts: accepted,
// or not finished yet.
func coveredItems(actions []*ActionExecution) map[int]bool {
	covered := map[int]bool{}
	for _, a := range actions {
		if !a.State.Completed() || a.Accepted {
			covered[a.ItemIndex] = true
		}
	}
	return covered
}

func (w *work) startItem(ex *Execution, spec *dsl.Workflow, t *Task, data, binding map[string]any, index int) error {
	return w.startAction(ex, spec, t, w.exprContext(ex, merge(data, binding), t), index)
}

// itemDone starts the next item when a slot frees, and ends the task when
// every item has ended: its result lists the items' results in order.
func (w *work) itemDone(ex *Execution, spec *dsl.Workflow, t *Task) error {
	actions, err := w.tx.ActionExecutionsOf(w.ctx, t.ID)
	if err != nil {
		return err
	}
	items := runtimeOf(t).Items
	var current []*ActionExecution // this attempt's actions (earlier retries are no longer accepted)
	running, failed := 0, false
	for _, a := range actions {
		if a.State.Completed() && !a.Accepted {
			continue
		}
		current = append(current, a)
		switch a.State {
		case StateRunning, StatePaused:
			running++
		case StateError, StateCancelled:
			failed = true
		}
	}
	if !failed {
		// A slot is free: start the first item not yet run (items kept by
		// a rerun without reset may leave gaps).
		covered := coveredItems(current)
		next := 0
		for covered[next] {
			next++
		}
		if next < len(items) {
			return w.startItem(ex, spec, t, decodeObject(t.InContextJSON), items[next], next)
		}
	}
	if running > 0 {
		return nil
	}
	results := make([]any, len(current))
	state := StateSuccess
	var info *string
	for _, a := range current {
		r := decodeObject(deref(a.OutputJSON))["result"]
		if a.ItemIndex >= 0 && a.ItemIndex < len(results) {
			results[a.ItemIndex] = r
		}
		if a.State == StateError && info == nil {
			state, info = StateError, strPtr(expr.Str(r))
		}
		if a.State == StateCancelled && state != StateError {
			state = StateCancelled
		}
	}
	if state == StateCancelled {
		return w.finishTask(ex, spec, t, StateCancelled, nil, results)
	}
	return w.taskOutcome(ex, spec, t, state, info, results)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
