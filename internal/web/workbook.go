package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/web/templates"
)

func workbookURL(name, namespace string) string {
	u := "/workbooks/" + url.PathEscape(name)
	if namespace != "" {
		u += "?namespace=" + url.QueryEscape(namespace)
	}
	return u
}

// workbooks serves GET /workbooks: by name, whole (as the API lists them).
func (s *Server) workbooks(c echo.Context) error {
	list, err := s.engine.ListWorkbooks(c.Request().Context())
	if err != nil {
		return s.fail(c, err)
	}
	v := templates.WorkbooksView{Page: s.page(c, "Workbooks", "workbooks")}
	for _, b := range list {
		row := templates.WorkbookRow{
			Name: b.Name, Namespace: b.Namespace, URL: workbookURL(b.Name, b.Namespace), Tags: strings.Join(b.Tags, ", "),
			CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt,
		}
		if m, err := s.engine.WorkbookMembers(b); err == nil {
			row.Workflows, row.Actions = len(m.Workflows), len(m.Actions)
		}
		v.Rows = append(v.Rows, row)
	}
	return s.render(c, http.StatusOK, templates.WorkbooksPage(v))
}

// workbook serves GET /workbooks/<name>[?namespace=…]: its text and links
// to its members, which are stored in its namespace.
func (s *Server) workbook(c echo.Context) error {
	b, err := s.engine.GetWorkbook(c.Request().Context(), pathName(c, "name"), c.QueryParam("namespace"))
	if err != nil {
		return s.fail(c, err)
	}
	v := templates.WorkbookView{
		Page: s.page(c, b.Name, "workbooks"),
		Name: b.Name, Namespace: b.Namespace, Tags: strings.Join(b.Tags, ", "), Definition: b.Definition,
		CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt,
	}
	m, err := s.engine.WorkbookMembers(b)
	if err != nil {
		s.log.Warn("stored workbook does not parse", "name", b.Name, "namespace", b.Namespace, "err", err)
		v.Problem = "This workbook's text cannot be read: its workflows and actions are not listed."
	}
	for _, name := range m.Workflows {
		v.Workflows = append(v.Workflows, templates.Link{Text: name, URL: workflowURL(name, b.Namespace)})
	}
	for _, name := range m.Actions {
		v.Actions = append(v.Actions, templates.Link{Text: name, URL: actionDefURL(name, b.Namespace)})
	}
	return s.render(c, http.StatusOK, templates.WorkbookPage(v))
}
