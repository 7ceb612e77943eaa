package api

import (
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/engine"
)

var taskFields = []string{"id", "name", "type", "workflow_name", "workflow_namespace", "workflow_id", "workflow_execution_id",
	"tags", "state", "state_info", "project_id", "runtime_context", "result", "published", "processed",
	"created_at", "updated_at", "started_at", "finished_at"}

func taskJSON(t *engine.Task, withResult bool) object {
	o := object{
		{"id", t.ID}, {"name", t.Name}, {"type", t.Type}, {"workflow_name", t.WorkflowName},
		{"workflow_namespace", t.WorkflowNamespace}, {"workflow_id", t.WorkflowID},
		{"workflow_execution_id", t.WorkflowExecutionID}, {"tags", t.Tags}, {"state", t.State},
		{"state_info", strOrNil(t.StateInfo)}, {"project_id", t.ProjectID}, {"runtime_context", t.RuntimeContextJSON},
	}
	if withResult {
		o = append(o, field{"result", t.ResultJSON})
	}
	return append(o,
		field{"published", t.PublishedJSON}, field{"processed", t.Processed},
		field{"created_at", fmtTime(t.CreatedAt)}, field{"updated_at", fmtTime(t.UpdatedAt)},
		field{"started_at", fmtTimePtr(t.StartedAt)}, field{"finished_at", fmtTimePtr(t.FinishedAt)},
	)
}

func (a *API) getTask(c echo.Context) error {
	t, err := a.engine.GetTask(c.Request().Context(), c.Param("id"))
	if err != nil {
		return a.fault(c, err)
	}
	return writeJSON(c, http.StatusOK, taskJSON(t, true))
}

func (a *API) listTasks(c echo.Context) error {
	return a.renderTasks(c, nil)
}

// listExecutionTasks serves GET /v2/executions/<id>/tasks.
func (a *API) listExecutionTasks(c echo.Context) error {
	id := c.Param("id")
	if !engine.LooksLikeID(id) {
		return a.fault(c, invalid("Invalid input for field/attribute workflow_execution_id. Value: '%s'. unable to convert to uuid. Expected a uuid", id))
	}
	if _, err := a.engine.GetExecution(c.Request().Context(), id); err != nil {
		return a.fault(c, err)
	}
	return a.renderTasks(c, &engine.Filter{Field: "workflow_execution_id", Op: engine.OpEq, Values: []string{id}})
}

func (a *API) renderTasks(c echo.Context, scope *engine.Filter) error {
	p, err := parseList(c, taskFields)
	if err != nil {
		return a.fault(c, err)
	}
	if scope != nil {
		p.query.Filters = append(p.query.Filters, *scope)
	}
	tasks, err := a.engine.ListTasks(c.Request().Context(), p.query)
	if err != nil {
		return a.fault(c, err)
	}
	items := make([]object, len(tasks))
	last := ""
	for i, t := range tasks {
		items[i] = taskJSON(t, false).only(p.fields)
		last = t.ID
	}
	if scope != nil {
		p.query.Filters = p.query.Filters[:len(p.query.Filters)-1]
	}
	return a.page(c, "tasks", p, items, last)
}

// taskAttrs are the attributes a task body may carry.
var taskAttrs = setOf(append(taskFields, "reset", "env")...)

// rerunTask serves PUT /v2/tasks/<id> (the mistral CLI's task-rerun):
// {"state": "RUNNING", "reset": true, "env": "{...}"} runs a failed task
// again; "reset": false runs only its failed with-items items again.
func (a *API) rerunTask(c echo.Context) error {
	m, err := a.decodeBody(c, "task", taskAttrs)
	if err != nil {
		return a.fault(c, err)
	}
	state, _, err := stringField(m, "state")
	if err != nil {
		return a.fault(c, err)
	}
	if state != string(engine.StateRunning) {
		return a.fault(c, invalid("Invalid task state: %s; a task can only be rerun, with state RUNNING.", state))
	}
	env, err := objectField(m, "env")
	if err != nil {
		return a.fault(c, err)
	}
	reset := true // the CLI sends false for task-rerun --resume
	if raw, ok := m["reset"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &reset); err != nil {
			return a.fault(c, invalid("Invalid input for field/attribute reset. Value: '%s'. Wrong type. Expected 'bool'", raw))
		}
	}
	t, err := a.engine.RerunTask(c.Request().Context(), c.Param("id"), env, reset)
	if err != nil {
		return a.fault(c, err)
	}
	return writeJSON(c, http.StatusOK, taskJSON(t, true))
}
