package api

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/guard"
	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

var executionFields = []string{"id", "workflow_id", "workflow_name", "workflow_namespace", "description", "tags", "params",
	"task_execution_id", "root_execution_id", "state", "state_info", "input", "output", "created_at", "updated_at", "project_id",
	"created_by"}

// executionAttrs are the attributes an execution body may carry (WSME's
// resource). created_by is not one: the server says who started it.
var executionAttrs = setOf(append(executionFields[:len(executionFields)-1:len(executionFields)-1], "source_execution_id", "published_global")...)

func executionJSON(e *engine.Execution) object {
	return object{
		{"id", e.ID}, {"workflow_id", e.WorkflowID}, {"workflow_name", e.WorkflowName},
		{"workflow_namespace", e.WorkflowNamespace}, {"description", e.Description}, {"tags", e.Tags},
		{"params", engine.MaskParams(e.ParamsJSON)}, {"task_execution_id", strOrNil(e.TaskExecutionID)},
		{"root_execution_id", strOrNil(e.RootExecutionID)}, {"state", e.State}, {"state_info", strOrNil(e.StateInfo)},
		{"input", e.InputJSON}, {"output", e.OutputJSON}, {"created_at", fmtTime(e.CreatedAt)},
		{"updated_at", fmtTime(e.UpdatedAt)}, {"project_id", e.ProjectID},
		// A Sirocco extension: who started it ("" when authentication is
		// off); Mistral has no such field.
		{"created_by", e.CreatedBy},
	}
}

func (a *API) createExecution(c echo.Context) error {
	m, err := a.decodeBody(c, "execution", executionAttrs)
	if err != nil {
		return a.fault(c, err)
	}
	var req engine.StartRequest
	for key, dst := range map[string]*string{
		"id": &req.ID, "workflow_id": &req.WorkflowID, "workflow_name": &req.WorkflowName,
		"workflow_namespace": &req.Namespace, "description": &req.Description, "source_execution_id": &req.SourceExecutionID,
	} {
		if *dst, _, err = stringField(m, key); err != nil {
			return a.fault(c, err)
		}
	}
	if req.Input, err = objectField(m, "input"); err != nil {
		return a.fault(c, err)
	}
	if req.Params, req.ParamsOrder, err = orderedObjectField(m, "params"); err != nil {
		return a.fault(c, err)
	}
	req.CreatedBy = guard.FromContext(c).Name()
	ex, err := a.engine.StartExecution(c.Request().Context(), req)
	if err != nil {
		return a.fault(c, err)
	}
	return writeJSON(c, http.StatusCreated, executionJSON(ex))
}

func (a *API) getExecution(c echo.Context) error {
	ex, err := a.engine.GetExecution(c.Request().Context(), c.Param("id"))
	if err != nil {
		return a.fault(c, err)
	}
	global := ex.PublishedGlobalJSON
	if global == "" {
		global = "{}"
	}
	return writeJSON(c, http.StatusOK, append(executionJSON(ex), field{"published_global", global}))
}

func (a *API) listExecutions(c echo.Context) error {
	return a.renderExecutions(c, nil)
}

func (a *API) renderExecutions(c echo.Context, scope *engine.Filter) error {
	p, err := parseList(c, executionFields)
	if err != nil {
		return a.fault(c, err)
	}
	if scope != nil {
		p.query.Filters = append(p.query.Filters, *scope)
	}
	exs, err := a.engine.ListExecutions(c.Request().Context(), p.query)
	if err != nil {
		return a.fault(c, err)
	}
	if scope != nil {
		p.query.Filters = p.query.Filters[:len(p.query.Filters)-1]
	}
	items := make([]object, len(exs))
	last := ""
	for i, ex := range exs {
		o := executionJSON(ex)
		if !p.includeOutput {
			o = o.without("output")
		}
		items[i] = o.only(p.fields)
		last = ex.ID
	}
	return a.page(c, "executions", p, items, last)
}

func (a *API) updateExecution(c echo.Context) error {
	m, err := a.decodeBody(c, "execution", executionAttrs)
	if err != nil {
		return a.fault(c, err)
	}
	var u engine.ExecutionUpdate
	state, _, err := stringField(m, "state")
	if err != nil {
		return a.fault(c, err)
	}
	u.State = engine.State(strings.ToUpper(state))
	if info, ok, err := stringField(m, "state_info"); err != nil {
		return a.fault(c, err)
	} else if ok && info != "" {
		u.StateInfo = &info
	}
	if desc, ok, err := stringField(m, "description"); err != nil {
		return a.fault(c, err)
	} else if ok {
		u.Description = &desc
	}
	if _, ok := m["params"]; ok {
		params, err := objectField(m, "params")
		if err != nil {
			return a.fault(c, err)
		}
		if env, ok := params["env"]; ok {
			envObj, ok := env.(*jsonvalue.Object)
			if !ok {
				return a.fault(c, invalid("The property env must be a dictionary."))
			}
			u.Env = envObj.Map()
		}
	}
	u.By = actor(c)
	ex, err := a.engine.UpdateExecution(c.Request().Context(), c.Param("id"), u)
	if err != nil {
		return a.fault(c, err)
	}
	o := executionJSON(ex)
	if u.Description != nil {
		o = o.without("params", "input", "output")
	}
	return writeJSON(c, http.StatusOK, o)
}

func (a *API) deleteExecution(c echo.Context) error {
	force := strings.EqualFold(c.QueryParam("force"), "true")
	if err := a.engine.DeleteExecution(c.Request().Context(), actor(c), c.Param("id"), force); err != nil {
		return a.fault(c, err)
	}
	return c.NoContent(http.StatusNoContent)
}
