package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/engine"
)

// registerEnvironments adds /v2/environments (environment-create, -list,
// -get, -update, -delete), with Mistral 15's shapes and errors.
func (a *API) registerEnvironments(e *echo.Echo) {
	e.GET("/v2/environments", a.listEnvironments)           // environment-list
	e.GET("/v2/environments/:name", a.getEnvironment)       // environment-get
	e.POST("/v2/environments", a.createEnvironment)         // environment-create (a JSON body; the CLI reads a YAML or JSON file)
	e.PUT("/v2/environments", a.updateEnvironment)          // environment-update (the body names it)
	e.DELETE("/v2/environments/:name", a.deleteEnvironment) // environment-delete
}

var environmentFields = []string{"id", "name", "description", "variables", "scope", "project_id", "created_at", "updated_at"}

// environmentAttrs are the attributes of Mistral's Environment resource;
// a body may carry only some of them: environmentKeys.
var environmentAttrs, environmentKeys = setOf(environmentFields...), setOf("name", "description", "variables", "scope")

func environmentJSON(env *engine.Environment) object {
	var desc any
	if env.Description != "" {
		desc = env.Description
	}
	return object{{"id", env.ID}, {"name", env.Name}, {"description", desc}, {"variables", env.VariablesJSON},
		{"scope", env.Scope}, {"project_id", env.ProjectID}, {"created_at", fmtTime(env.CreatedAt)},
		{"updated_at", fmtTimePtr(env.UpdatedAt)}}
}

func (a *API) listEnvironments(c echo.Context) error {
	p, err := parseList(c, environmentFields)
	if err != nil {
		return a.fault(c, err)
	}
	envs, err := a.engine.ListEnvironments(c.Request().Context(), p.query)
	if err != nil {
		return a.fault(c, err)
	}
	items := make([]object, len(envs))
	last := ""
	for i, env := range envs {
		items[i] = environmentJSON(env).only(p.fields)
		last = env.ID
	}
	return a.page(c, "environments", p, items, last)
}

func (a *API) getEnvironment(c echo.Context) error {
	env, err := a.engine.GetEnvironment(c.Request().Context(), c.Param("name"))
	if err != nil {
		return a.fault(c, err)
	}
	return writeJSON(c, http.StatusOK, environmentJSON(env))
}

func (a *API) createEnvironment(c echo.Context) error {
	in, err := a.environmentBody(c)
	if err != nil {
		return a.fault(c, err)
	}
	env, err := a.engine.CreateEnvironment(c.Request().Context(), actor(c), in)
	if err != nil {
		return a.fault(c, err)
	}
	// As Mistral's answer to a create: no updated_at yet, and no
	// description unless one was given.
	drop := []string{"updated_at"}
	if env.Description == "" {
		drop = append(drop, "description")
	}
	return writeJSON(c, http.StatusCreated, environmentJSON(env).without(drop...))
}

func (a *API) updateEnvironment(c echo.Context) error {
	in, err := a.environmentBody(c)
	if err != nil {
		return a.fault(c, err)
	}
	env, err := a.engine.UpdateEnvironment(c.Request().Context(), actor(c), in)
	if err != nil {
		return a.fault(c, err)
	}
	return writeJSON(c, http.StatusOK, environmentJSON(env))
}

func (a *API) deleteEnvironment(c echo.Context) error {
	if err := a.engine.DeleteEnvironment(c.Request().Context(), actor(c), c.Param("name")); err != nil {
		return a.fault(c, err)
	}
	return c.NoContent(http.StatusNoContent)
}

// environmentBody reads an environment's body: attributes of the resource
// only (else Mistral's "Unknown attribute"), and of those only the
// definition keys (else Mistral's "Only: … are allowed"). variables is a
// JSON object or, as the CLI sends it, a string holding one.
func (a *API) environmentBody(c echo.Context) (engine.EnvironmentInput, error) {
	var in engine.EnvironmentInput
	m, err := a.decodeBody(c, "env", environmentAttrs)
	if err != nil {
		return in, err
	}
	for k := range m {
		if !environmentKeys[k] {
			return in, invalid("Please, check your environment definition. Only: ['name', 'description', 'variables', 'scope'] are allowed as definition keys.")
		}
	}
	if in.Name, _, err = stringField(m, "name"); err != nil {
		return in, err
	}
	desc, ok, err := stringField(m, "description")
	if err != nil {
		return in, err
	}
	if ok {
		in.Description = &desc
	}
	if in.Scope, _, err = stringField(m, "scope"); err != nil {
		return in, err
	}
	if in.Variables, err = objectField(m, "variables"); err != nil {
		return in, err
	}
	return in, nil
}
