package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/web/templates"
)

// actionDefURL is the page of an action definition, ad-hoc or built-in.
func actionDefURL(name, namespace string) string {
	u := "/action-definitions/" + url.PathEscape(name)
	if namespace != "" {
		u += "?namespace=" + url.QueryEscape(namespace)
	}
	return u
}

// actionDefs serves GET /action-definitions: the ad-hoc actions by name,
// then the built-in ones. Both lists are short (the engine and the API
// list them whole too), so there are no pages.
func (s *Server) actionDefs(c echo.Context) error {
	defs, err := s.engine.ListActionDefinitions(c.Request().Context())
	if err != nil {
		return s.fail(c, err)
	}
	v := templates.ActionDefsView{Page: s.page(c, "Action definitions", "action-definitions")}
	for _, d := range defs {
		row := templates.ActionDefRow{
			Name: d.Name, Namespace: d.Namespace, URL: actionDefURL(d.Name, d.Namespace), Input: d.Input,
			CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
		}
		if spec, err := s.engine.DescribeAction(d); err == nil {
			row.Base = spec.Base
		}
		v.Rows = append(v.Rows, row)
	}
	for _, name := range engine.ActionNames() {
		v.Builtins = append(v.Builtins, templates.BuiltinActionRow{Name: name, URL: actionDefURL(name, ""), Input: engine.ActionInput(name)})
	}
	return s.render(c, http.StatusOK, templates.ActionDefsPage(v))
}

// actionDef serves GET /action-definitions/<name>[?namespace=…]: an
// ad-hoc action, or a built-in one (the base an ad-hoc action links to).
func (s *Server) actionDef(c echo.Context) error {
	ctx := c.Request().Context()
	name, ns := pathName(c, "name"), c.QueryParam("namespace")
	if full := engine.BuiltinAction(name); full != "" {
		v := templates.ActionDefView{Page: s.page(c, full, "action-definitions"), Name: full, Builtin: true, Input: engine.ActionInput(full)}
		return s.render(c, http.StatusOK, templates.ActionDefPage(v))
	}
	d, err := s.engine.GetActionDefinition(ctx, name, ns)
	if err != nil {
		return s.fail(c, err)
	}
	v := templates.ActionDefView{
		Page: s.page(c, d.Name, "action-definitions"),
		Name: d.Name, Namespace: d.Namespace, Description: d.Description, Tags: strings.Join(d.Tags, ", "),
		Input: d.Input, Definition: d.Definition, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
	}
	if v.Input == "" {
		v.Input = "none"
	}
	spec, err := s.engine.DescribeAction(d)
	if err != nil {
		// The text is still worth reading; say why the rest is missing.
		s.log.Warn("stored action definition does not parse", "name", d.Name, "namespace", d.Namespace, "err", err)
		v.Problem = "This definition cannot be read as an action: its base, base input and output are not shown."
	} else {
		// Built from the definition, whose text the page shows whole.
		v.Base, v.BaseInput, v.Output = spec.Base, jsonBlock(spec.BaseInputJSON, ""), jsonBlock(spec.OutputJSON, "")
		if v.BaseURL, err = s.baseURL(ctx, d, spec.Base); err != nil {
			return s.fail(c, err)
		}
	}
	b, err := s.engine.WorkbookOfAction(ctx, d.Name, d.Namespace)
	switch fault.Code(err) {
	case "":
		v.Workbook = &templates.Link{Text: b.Name, URL: workbookURL(b.Name, b.Namespace)}
	case fault.ENOTFOUND:
	default:
		return s.fail(c, err)
	}
	return s.render(c, http.StatusOK, templates.ActionDefPage(v))
}

// baseURL links an ad-hoc action's base to its page, found as the engine
// finds it when the action runs: a built-in; else an ad-hoc action in the
// same namespace, by its name or, inside a workbook, by its short name;
// else one in the default namespace. "" when there is none (yet).
func (s *Server) baseURL(ctx context.Context, d *engine.ActionDefinition, base string) (string, error) {
	if full := engine.BuiltinAction(base); full != "" {
		return actionDefURL(full, ""), nil
	}
	candidates := []struct{ name, ns string }{{base, d.Namespace}}
	if i := strings.LastIndexByte(d.Name, '.'); i > 0 {
		candidates = append(candidates, struct{ name, ns string }{d.Name[:i] + "." + base, d.Namespace})
	}
	if d.Namespace != "" {
		candidates = append(candidates, struct{ name, ns string }{base, ""})
	}
	for _, cand := range candidates {
		found, err := s.engine.GetActionDefinition(ctx, cand.name, cand.ns)
		switch fault.Code(err) {
		case "":
			return actionDefURL(found.Name, found.Namespace), nil
		case fault.ENOTFOUND:
			continue
		}
		return "", err
	}
	return "", nil
}
