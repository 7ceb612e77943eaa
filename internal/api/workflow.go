package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

var workflowFields = []string{"id", "name", "namespace", "input", "interface", "definition", "tags", "scope", "project_id", "created_at", "updated_at"}

// workflowJSON renders a workflow. The create and update responses carry
// "interface" as an object and no updated_at (Mistral builds them on
// another code path); GET and list carry it as a JSON string.
func workflowJSON(w *engine.Workflow, created bool) object {
	var iface any = w.InterfaceJSON
	if created {
		iface = rawJSON(w.InterfaceJSON)
	}
	o := object{
		{"id", w.ID}, {"name", w.Name}, {"namespace", w.Namespace}, {"input", w.Input},
		{"interface", iface}, {"definition", w.Definition}, {"tags", w.Tags}, {"scope", w.Scope},
		{"project_id", w.ProjectID}, {"created_at", fmtTime(w.CreatedAt)},
	}
	if !created {
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
	return writeJSON(c, http.StatusCreated, object{{"workflows", renderWorkflows(wfs, true)}})
}

func (a *API) updateWorkflows(c echo.Context) error {
	body, done, err := a.readDefinition(c)
	if err != nil {
		return a.plainFault(c, err)
	}
	defer done()
	wfs, err := a.engine.UpdateWorkflows(c.Request().Context(), actor(c), string(body), c.QueryParam("namespace"), c.QueryParam("scope"))
	if err != nil {
		return a.plainFault(c, err)
	}
	return writeJSON(c, http.StatusOK, object{{"workflows", renderWorkflows(wfs, true)}})
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
	return writeJSON(c, http.StatusOK, object{{"valid", true}})
}

func renderWorkflows(wfs []*engine.Workflow, created bool) []object {
	out := make([]object, len(wfs))
	for i, w := range wfs {
		out[i] = workflowJSON(w, created)
	}
	return out
}

func (a *API) getWorkflow(c echo.Context) error {
	w, err := a.engine.GetWorkflow(c.Request().Context(), c.Param("id"), c.QueryParam("namespace"))
	if err != nil {
		return a.fault(c, err)
	}
	return writeJSON(c, http.StatusOK, workflowJSON(w, false))
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
		items[i] = workflowJSON(w, false).only(p.fields)
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
