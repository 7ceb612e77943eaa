package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// registerParity adds the routes of issue 15's CLI part: execution
// reports, action-validate, action-update --id, action-execution-delete,
// and the answers for what Sirocco does not offer.
func (a *API) registerParity(e *echo.Echo) {
	e.GET("/v2/executions/:id/report", a.executionReport)          // execution-get-report
	e.POST("/v2/actions/validate", a.validateActions)              // action-validate
	e.PUT("/v2/actions/:name", a.updateActionByID)                 // action-update --id
	e.DELETE("/v2/action_executions/:id", a.deleteActionExecution) // action-execution-delete: refused, as Mistral's default
	a.registerUnoffered(e)
}

// validateActions serves POST /v2/actions/validate (text/plain YAML).
func (a *API) validateActions(c echo.Context) error {
	body, done, err := a.readDefinition(c)
	if err != nil {
		return a.plainFault(c, err)
	}
	defer done()
	if err := a.engine.ValidateActions(string(body)); err != nil {
		if definitionTooLarge(err) {
			return a.plainFault(c, err)
		}
		return writeJSON(c, http.StatusOK, object{{"valid", false}, {"error", fault.Message(err)}})
	}
	return writeJSON(c, http.StatusOK, object{{"valid", true}})
}

// updateActionByID serves PUT /v2/actions/<id or name> (text/plain YAML):
// the document defines that one action.
func (a *API) updateActionByID(c echo.Context) error {
	body, done, err := a.readDefinition(c)
	if err != nil {
		return a.plainFault(c, err)
	}
	defer done()
	defs, err := a.engine.UpdateActionByID(c.Request().Context(), actor(c), c.Param("name"), string(body), c.QueryParam("namespace"), c.QueryParam("scope"))
	if err != nil {
		return a.plainFault(c, err)
	}
	items := make([]object, len(defs))
	for i, d := range defs {
		items[i] = adhocActionJSON(d)
	}
	return writeJSON(c, http.StatusOK, object{{"actions", items}})
}

// deleteActionExecution serves DELETE /v2/action_executions/<id>
// (action-execution-delete). Mistral 15 refuses it unless its operator
// sets [api] allow_action_execution_deletion, which is off by default;
// Sirocco has no such setting: an action execution is part of its
// execution's record and goes with it (execution-delete). An unknown id
// is still a 404 (Mistral says 403 for any id).
func (a *API) deleteActionExecution(c echo.Context) error {
	if _, err := a.engine.GetActionExecution(c.Request().Context(), c.Param("id")); err != nil {
		return a.fault(c, err)
	}
	return a.fault(c, fault.Errorf(fault.EFORBIDDEN, "Action execution deletion is not allowed."))
}
