package api

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// Execution reports (GET /v2/executions/<id>/report) and sub-execution
// lists (GET /v2/executions/<id>/executions, /v2/tasks/<id>/executions)
// walk the tree of an execution: its tasks, their action executions and
// the sub-workflow executions they started, and so on down. The walk reads
// one level at a time (a few queries per level, whatever its width) and
// stops at MaxTreeEntries records: past it, a 400 asks for max_depth or
// errors_only rather than building an unbounded answer.

// MaxTreeEntries bounds the executions, tasks and action executions one
// report or sub-execution list holds.
const MaxTreeEntries = 20000

// treeChunk bounds the ids of one `in` filter.
const treeChunk = 500

// treeOptions are the query parameters of reports and sub-execution lists.
type treeOptions struct {
	errorsOnly bool // only tasks in ERROR, and what is below them
	maxDepth   int  // below the origin, how deep; negative: no limit
	statsOnly  bool // reports: the statistics alone
	actions    bool // read action executions (reports)
}

// execNode is an execution of the tree; tasks is nil beyond maxDepth.
type execNode struct {
	ex       *engine.Execution
	depth    int
	expanded bool
	tasks    []*taskNode
}

// taskNode is a task with its action executions and sub-workflows.
type taskNode struct {
	t        *engine.Task
	actions  []*engine.ActionExecution
	children []*execNode
}

// reportStats are Mistral's statistics of a report.
type reportStats struct {
	total, running, success, errors, idle, paused int
}

// count adds a task, as Mistral does: the five states it knows; a task
// WAITING, DELAYED or CANCELLED is in no count, not even the total.
func (s *reportStats) count(state engine.State) {
	p := map[engine.State]*int{engine.StateRunning: &s.running, engine.StateSuccess: &s.success,
		engine.StateError: &s.errors, engine.StateIdle: &s.idle, engine.StatePaused: &s.paused}[state]
	if p != nil {
		*p++
		s.total++
	}
}

// tree loads what is below roots (executions at depth 0 of the walk),
// level by level, counting tasks into stats when it is not nil.
func (a *API) tree(ctx context.Context, roots []*execNode, o treeOptions, stats *reportStats) error {
	entries := len(roots)
	level := roots
	for len(level) > 0 {
		byExec := map[string]*execNode{}
		var ids []string
		for _, n := range level {
			if o.maxDepth >= 0 && n.depth > o.maxDepth {
				continue
			}
			n.expanded = true
			n.tasks = []*taskNode{}
			byExec[n.ex.ID] = n
			ids = append(ids, n.ex.ID)
		}
		tasks, err := listIn(ctx, ids, "workflow_execution_id", a.engine.ListTasks)
		if err != nil {
			return err
		}
		byTask := map[string]*taskNode{}
		var taskIDs, workflowTasks []string
		for _, t := range tasks {
			if o.errorsOnly && t.State != engine.StateError {
				continue
			}
			if stats != nil {
				stats.count(t.State)
			}
			tn := &taskNode{t: t, actions: []*engine.ActionExecution{}, children: []*execNode{}}
			parent := byExec[t.WorkflowExecutionID]
			parent.tasks = append(parent.tasks, tn)
			byTask[t.ID] = tn
			taskIDs = append(taskIDs, t.ID)
			if t.Type == engine.TaskTypeWorkflow {
				workflowTasks = append(workflowTasks, t.ID)
			}
		}
		if entries += len(taskIDs); entries > a.treeLimit() {
			return a.tooLarge()
		}
		if o.actions {
			acts, err := listIn(ctx, taskIDs, "task_execution_id", a.engine.ListActionExecutions)
			if err != nil {
				return err
			}
			if entries += len(acts); entries > a.treeLimit() {
				return a.tooLarge()
			}
			for _, ae := range acts {
				if ae.TaskExecutionID != nil && byTask[*ae.TaskExecutionID] != nil {
					tn := byTask[*ae.TaskExecutionID]
					tn.actions = append(tn.actions, ae)
				}
			}
		}
		children, err := listIn(ctx, workflowTasks, "task_execution_id", a.engine.ListExecutions)
		if err != nil {
			return err
		}
		if entries += len(children); entries > a.treeLimit() {
			return a.tooLarge()
		}
		var next []*execNode
		for _, ex := range children {
			tn := byTask[deref(ex.TaskExecutionID)]
			if tn == nil {
				continue
			}
			child := &execNode{ex: ex, depth: byExec[tn.t.WorkflowExecutionID].depth + 1}
			tn.children = append(tn.children, child)
			next = append(next, child)
		}
		level = next
	}
	return nil
}

// treeLimit is MaxTreeEntries, or what a test set.
func (a *API) treeLimit() int {
	if n := a.maxTree.Load(); n > 0 {
		return int(n)
	}
	return MaxTreeEntries
}

func (a *API) tooLarge() error {
	return fault.Errorf(fault.EINVALID, "The execution tree holds more than %d executions, tasks and action executions: ask for less with max_depth or errors_only.", a.treeLimit())
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// listIn lists the records whose field is one of ids, oldest first, a
// chunk of ids per query.
func listIn[T any](ctx context.Context, ids []string, field string, list func(context.Context, engine.ListQuery) ([]T, error)) ([]T, error) {
	var out []T
	for chunk := range slices.Chunk(ids, treeChunk) {
		got, err := list(ctx, engine.ListQuery{
			Filters:  []engine.Filter{{Field: field, Op: engine.OpIn, Values: chunk}},
			SortKeys: []string{"created_at", "id"}, SortDirs: []string{"asc", "asc"},
		})
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	return out, nil
}

// parseTreeOptions reads errors_only, max_depth (and, for reports,
// statistics_only). Other parameters are refused: these answers are no
// pages of a list.
func parseTreeOptions(c echo.Context, report bool) (treeOptions, bool, error) {
	o := treeOptions{maxDepth: -1}
	q, err := queryValues(c)
	if err != nil {
		return o, false, err
	}
	includeOutput := false
	for _, key := range sortedParamKeys(q) { // the first unknown one named, always the same
		v := q[key][len(q[key])-1]
		var err error
		switch {
		case key == "errors_only":
			o.errorsOnly, err = queryBool(key, v)
		case key == "max_depth":
			if v != "" {
				if o.maxDepth, err = strconv.Atoi(v); err != nil {
					err = invalid("Invalid input for field/attribute max_depth. Value: '%s'. unable to convert to int", v)
				}
			}
		case key == "statistics_only" && report:
			o.statsOnly, err = queryBool(key, v)
		case key == "include_output" && !report:
			includeOutput, err = queryBool(key, v)
		default:
			accepted := "errors_only, max_depth, include_output"
			if report {
				accepted = "errors_only, max_depth, statistics_only"
			}
			err = invalid("Unknown argument: %q (this route takes %s).", key, accepted)
		}
		if err != nil {
			return o, false, err
		}
	}
	return o, includeOutput, nil
}

// queryBool reads a boolean query parameter as WSME does: true/false in
// any case, 1/0, and empty for false (the CLI sends errors_only=).
func queryBool(key, v string) (bool, error) {
	switch strings.ToLower(v) {
	case "true", "1", "yes", "on":
		return true, nil
	case "false", "0", "no", "off", "":
		return false, nil
	}
	return false, invalid("Invalid input for field/attribute %s. Value: '%s'. Wrong type. Expected 'bool'", key, v)
}

// executionReport serves GET /v2/executions/<id>/report
// (execution-get-report), in Mistral 15's shape.
func (a *API) executionReport(c echo.Context) error {
	ctx := c.Request().Context()
	o, _, err := parseTreeOptions(c, true)
	if err != nil {
		return a.fault(c, err)
	}
	root, err := a.engine.GetExecution(ctx, c.Param("id"))
	if err != nil {
		return a.fault(c, err)
	}
	o.actions = !o.statsOnly
	var stats reportStats
	node := &execNode{ex: root}
	if err := a.tree(ctx, []*execNode{node}, o, &stats); err != nil {
		return a.fault(c, err)
	}
	estimated, err := a.engine.EstimatedSeconds(ctx, root)
	if err != nil {
		return a.fault(c, err)
	}
	report := object{{"statistics", object{
		{"total_tasks_count", stats.total}, {"running_tasks_count", stats.running},
		{"success_tasks_count", stats.success}, {"error_tasks_count", stats.errors},
		{"idle_tasks_count", stats.idle}, {"paused_tasks_count", stats.paused},
		{"estimated_time", estimated},
	}}}
	if !o.statsOnly {
		report = append(report, field{"root_workflow_execution", execReportEntry(node)})
	}
	return writeJSON(c, http.StatusOK, report)
}

func execReportEntry(n *execNode) object {
	o := object{{"id", n.ex.ID}, {"name", n.ex.WorkflowName}, {"created_at", fmtTime(n.ex.CreatedAt)},
		{"updated_at", fmtTime(n.ex.UpdatedAt)}, {"state", n.ex.State}, {"state_info", strOrNil(n.ex.StateInfo)}}
	if n.expanded {
		tasks := make([]object, len(n.tasks))
		for i, tn := range n.tasks {
			tasks[i] = taskReportEntry(tn)
		}
		o = append(o, field{"task_executions", tasks})
	}
	return o
}

func taskReportEntry(tn *taskNode) object {
	acts := make([]object, len(tn.actions))
	for i, ae := range tn.actions {
		// No last_heartbeat: Sirocco waits for an action's result without
		// heartbeats (its timeout is the task's).
		acts[i] = object{{"accepted", ae.Accepted}, {"last_heartbeat", nil}, {"id", ae.ID}, {"name", ae.Name},
			{"created_at", fmtTime(ae.CreatedAt)}, {"updated_at", fmtTime(ae.UpdatedAt)},
			{"state", ae.State}, {"state_info", strOrNil(ae.StateInfo)}}
	}
	subs := make([]object, len(tn.children))
	for i, child := range tn.children {
		subs[i] = execReportEntry(child)
	}
	o := object{{"action_executions", acts}, {"workflow_executions", subs}}
	if n := retryCount(tn.t); n >= 0 {
		o = append(o, field{"retry_count", n})
	}
	return append(o, field{"id", tn.t.ID}, field{"name", tn.t.Name}, field{"created_at", fmtTime(tn.t.CreatedAt)},
		field{"updated_at", fmtTime(tn.t.UpdatedAt)}, field{"state", tn.t.State}, field{"state_info", strOrNil(tn.t.StateInfo)})
}

// retryCount is the retries of a task that was retried, -1 for one that
// was not (Mistral then leaves retry_count out).
func retryCount(t *engine.Task) int64 {
	var rc struct {
		Retry *struct {
			No int64 `json:"retry_no"`
		} `json:"retry_task_policy"`
	}
	if json.Unmarshal([]byte(t.RuntimeContextJSON), &rc) != nil || rc.Retry == nil {
		return -1
	}
	return rc.Retry.No
}

// listSubExecutions serves GET /v2/executions/<id>/executions
// (execution-get-sub-executions): as Mistral, the execution itself, then
// depth first each sub-workflow execution below it; max_depth 0 is the
// execution alone, errors_only follows only tasks in ERROR.
func (a *API) listSubExecutions(c echo.Context) error {
	ctx := c.Request().Context()
	o, includeOutput, err := parseTreeOptions(c, false)
	if err != nil {
		return a.fault(c, err)
	}
	ex, err := a.engine.GetExecution(ctx, c.Param("id"))
	if err != nil {
		return a.fault(c, err)
	}
	root := &execNode{ex: ex}
	if err := a.tree(ctx, []*execNode{root}, o, nil); err != nil {
		return a.fault(c, err)
	}
	var items []object
	appendExecutions(&items, root, includeOutput)
	return writeJSON(c, http.StatusOK, object{{"executions", items}})
}

// listTaskExecutions serves GET /v2/tasks/<id>/executions
// (task-get-sub-executions): the sub-workflow executions the task
// started, each followed by those below it; nothing for a task not in
// ERROR with errors_only.
func (a *API) listTaskExecutions(c echo.Context) error {
	ctx := c.Request().Context()
	o, includeOutput, err := parseTreeOptions(c, false)
	if err != nil {
		return a.fault(c, err)
	}
	t, err := a.engine.GetTask(ctx, c.Param("id"))
	if err != nil {
		return a.fault(c, err)
	}
	items := []object{}
	if o.errorsOnly && t.State != engine.StateError {
		return writeJSON(c, http.StatusOK, object{{"executions", items}})
	}
	children, err := listIn(ctx, []string{t.ID}, "task_execution_id", a.engine.ListExecutions)
	if err != nil {
		return a.fault(c, err)
	}
	roots := make([]*execNode, len(children))
	for i, ex := range children {
		roots[i] = &execNode{ex: ex}
	}
	if err := a.tree(ctx, roots, o, nil); err != nil {
		return a.fault(c, err)
	}
	for _, n := range roots {
		appendExecutions(&items, n, includeOutput)
	}
	return writeJSON(c, http.StatusOK, object{{"executions", items}})
}

// appendExecutions adds n and, depth first, the executions below it.
func appendExecutions(items *[]object, n *execNode, includeOutput bool) {
	if !n.expanded {
		return // beyond max_depth: Mistral lists neither it nor what is below
	}
	o := executionJSON(n.ex)
	if !includeOutput {
		o = o.without("output")
	}
	*items = append(*items, o)
	for _, tn := range n.tasks {
		for _, child := range tn.children {
			appendExecutions(items, child, includeOutput)
		}
	}
}
