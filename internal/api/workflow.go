package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/dsl"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

var workflowFields = []string{"id", "name", "namespace", "input", "interface", "definition", "tags", "scope", "project_id", "created_at", "updated_at"}

// workflowShape is where a workflow is rendered: Mistral builds the
// create and update responses on another code path than GET and list.
type workflowShape int

const (
	workflowStored  workflowShape = iota // GET and list: "interface" as a JSON string
	workflowCreated                      // create: "interface" as an object, no updated_at
	workflowUpdated                      // update: "interface" as an object, with updated_at
)

// workflowJSON renders a workflow in the given shape.
func workflowJSON(w *engine.Workflow, shape workflowShape) object {
	var iface any = w.InterfaceJSON
	if shape != workflowStored {
		iface = rawJSON(w.InterfaceJSON)
	}
	o := object{
		{"id", w.ID}, {"name", w.Name}, {"namespace", w.Namespace}, {"input", w.Input},
		{"interface", iface}, {"definition", w.Definition}, {"tags", w.Tags}, {"scope", w.Scope},
		{"project_id", w.ProjectID}, {"created_at", fmtTime(w.CreatedAt)},
	}
	if shape != workflowCreated {
		o = append(o, field{"updated_at", fmtTimePtr(w.UpdatedAt)})
	}
	return o
}

// rawJSON embeds stored JSON text as a value.
type rawJSON string

func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }

func (a *API) createWorkflows(c echo.Context) error {
	body, done, err := a.readDefinition(c)
	if err != nil {
		return a.plainFault(c, err)
	}
	defer done()
	wfs, err := a.engine.CreateWorkflows(c.Request().Context(), actor(c), string(body), c.QueryParam("namespace"), c.QueryParam("scope"))
	if err != nil {
		return a.plainFault(c, err)
	}
	return writeJSON(c, http.StatusCreated, object{{"workflows", renderWorkflows(wfs, workflowCreated)}})
}

func (a *API) updateWorkflows(c echo.Context) error {
	body, done, err := a.readDefinition(c)
	if err != nil {
		return a.plainFault(c, err)
	}
	defer done()
	if id := c.Param("id"); id != "" {
		// workflow-update --id: one workflow, answered as itself.
		wf, err := a.engine.UpdateWorkflowByID(c.Request().Context(), actor(c), id, string(body), c.QueryParam("namespace"), c.QueryParam("scope"))
		if err != nil {
			return a.plainFault(c, err)
		}
		return writeJSON(c, http.StatusOK, workflowJSON(wf, workflowUpdated))
	}
	wfs, err := a.engine.UpdateWorkflows(c.Request().Context(), actor(c), string(body), c.QueryParam("namespace"), c.QueryParam("scope"))
	if err != nil {
		return a.plainFault(c, err)
	}
	return writeJSON(c, http.StatusOK, object{{"workflows", renderWorkflows(wfs, workflowUpdated)}})
}

func (a *API) validateWorkflows(c echo.Context) error {
	body, done, err := a.readDefinition(c)
	if err != nil {
		return a.plainFault(c, err)
	}
	defer done()
	if err := a.engine.ValidateWorkflows(string(body)); err != nil {
		if definitionTooLarge(err) {
			return a.plainFault(c, err)
		}
		return writeJSON(c, http.StatusOK, object{{"valid", false}, {"error", fault.Message(err)}})
	}
	return writeJSON(c, http.StatusOK, validAnswer(body))
}

// validAnswer is the answer for a valid definition: Mistral's
// {"valid": true}, and "warnings" when a string of it changed type under
// the interpolation rule (Mistral has no such field; its CLI ignores it).
func validAnswer(definition []byte) object {
	o := object{{"valid", true}}
	if w := dsl.TypeWarnings(definition); len(w) > 0 {
		o = append(o, field{"warnings", w})
	}
	return o
}

func renderWorkflows(wfs []*engine.Workflow, shape workflowShape) []object {
	out := make([]object, len(wfs))
	for i, w := range wfs {
		out[i] = workflowJSON(w, shape)
	}
	return out
}

func (a *API) getWorkflow(c echo.Context) error {
	w, err := a.engine.GetWorkflow(c.Request().Context(), c.Param("id"), c.QueryParam("namespace"))
	if err != nil {
		return a.fault(c, err)
	}
	return writeJSON(c, http.StatusOK, workflowJSON(w, workflowStored))
}

func (a *API) listWorkflows(c echo.Context) error {
	p, err := parseList(c, workflowFields)
	if err != nil {
		return a.fault(c, err)
	}
	wfs, err := a.engine.ListWorkflows(c.Request().Context(), p.query)
	if err != nil {
		return a.fault(c, err)
	}
	items := make([]object, len(wfs))
	last := ""
	for i, w := range wfs {
		items[i] = workflowJSON(w, workflowStored).only(p.fields)
		last = w.ID
	}
	return a.page(c, "workflows", p, items, last)
}

func (a *API) deleteWorkflow(c echo.Context) error {
	if err := a.engine.DeleteWorkflow(c.Request().Context(), actor(c), c.Param("id"), c.QueryParam("namespace")); err != nil {
		return a.fault(c, err)
	}
	return c.NoContent(http.StatusNoContent)
}
