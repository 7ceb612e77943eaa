package api

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

func workbookJSON(b *engine.Workbook) object {
	return object{{"id", b.ID}, {"name", b.Name}, {"namespace", b.Namespace}, {"definition", b.Definition},
		{"tags", b.Tags}, {"scope", b.Scope}, {"project_id", b.ProjectID}, {"created_at", fmtTime(b.CreatedAt)},
		{"updated_at", fmtTimePtr(b.UpdatedAt)}}
}

func (a *API) listWorkbooks(c echo.Context) error {
	wbs, err := a.engine.ListWorkbooks(c.Request().Context())
	if err != nil {
		return a.fault(c, err)
	}
	items := make([]object, len(wbs))
	for i, b := range wbs {
		items[i] = workbookJSON(b)
	}
	return writeJSON(c, http.StatusOK, object{{"workbooks", items}})
}

func (a *API) getWorkbook(c echo.Context) error {
	b, err := a.engine.GetWorkbook(c.Request().Context(), c.Param("name"), pathNamespace(c))
	if err != nil {
		return a.fault(c, err)
	}
	return writeJSON(c, http.StatusOK, workbookJSON(b))
}

func (a *API) createWorkbook(c echo.Context) error {
	return a.saveWorkbook(c, a.engine.CreateWorkbook, http.StatusCreated)
}

func (a *API) updateWorkbook(c echo.Context) error {
	return a.saveWorkbook(c, a.engine.UpdateWorkbook, http.StatusOK)
}

func (a *API) saveWorkbook(c echo.Context, save func(ctx context.Context, by *engine.Decider, definition, namespace, scope string) (*engine.Workbook, error), status int) error {
	body, done, err := a.readDefinition(c)
	if err != nil {
		return a.plainFault(c, err)
	}
	defer done()
	b, err := save(c.Request().Context(), actor(c), string(body), c.QueryParam("namespace"), c.QueryParam("scope"))
	if err != nil {
		return a.plainFault(c, err)
	}
	return writeJSON(c, status, workbookJSON(b))
}

func (a *API) validateWorkbook(c echo.Context) error {
	body, done, err := a.readDefinition(c)
	if err != nil {
		return a.plainFault(c, err)
	}
	defer done()
	if err := a.engine.ValidateWorkbook(string(body)); err != nil {
		if definitionTooLarge(err) {
			return a.plainFault(c, err)
		}
		return writeJSON(c, http.StatusOK, object{{"valid", false}, {"error", fault.Message(err)}})
	}
	return writeJSON(c, http.StatusOK, validAnswer(body))
}

func (a *API) deleteWorkbook(c echo.Context) error {
	if err := a.engine.DeleteWorkbook(c.Request().Context(), actor(c), c.Param("name"), pathNamespace(c)); err != nil {
		return a.fault(c, err)
	}
	return c.NoContent(http.StatusNoContent)
}
