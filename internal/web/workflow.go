package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/guard"
	"github.com/sirocco-project/sirocco/internal/jsonvalue"
	"github.com/sirocco-project/sirocco/internal/jsonview"
	"github.com/sirocco-project/sirocco/web/templates"
)

const workflowsPageSize = 100

// workflows serves GET /workflows: by name, keyset pages (?after=<id>).
func (s *Server) workflows(c echo.Context) error {
	after := c.QueryParam("after")
	list, err := s.engine.ListWorkflows(c.Request().Context(), engine.ListQuery{
		Limit: workflowsPageSize + 1, Marker: after, SortKeys: []string{"name", "namespace"},
	})
	if err != nil {
		return s.fail(c, err)
	}
	v := templates.WorkflowsView{Page: s.page(c, "Workflows", "workflows")}
	if len(list) > workflowsPageSize {
		list = list[:workflowsPageSize]
		v.NextURL = "/workflows?after=" + url.QueryEscape(list[len(list)-1].ID)
	}
	for _, w := range list {
		v.Rows = append(v.Rows, templates.WorkflowRow{
			Name: w.Name, Namespace: w.Namespace, URL: workflowURL(w.Name, w.Namespace), Input: w.Input,
			Tags: strings.Join(w.Tags, ", "), CreatedAt: w.CreatedAt,
		})
	}
	return s.render(c, http.StatusOK, templates.WorkflowsPage(v))
}

// workflowName reads the :name parameter, which links path-escape.
func workflowName(c echo.Context) string {
	n := c.Param("name")
	if u, err := url.PathUnescape(n); err == nil {
		return u
	}
	return n
}

// workflow serves GET /workflows/<name>[?namespace=…].
func (s *Server) workflow(c echo.Context) error {
	v, err := s.workflowView(c, workflowName(c), c.QueryParam("namespace"))
	if err != nil {
		return s.fail(c, err)
	}
	return s.render(c, http.StatusOK, templates.WorkflowPage(v))
}

func (s *Server) workflowView(c echo.Context, name, ns string) (templates.WorkflowView, error) {
	ctx := c.Request().Context()
	w, err := s.engine.GetWorkflow(ctx, name, ns)
	if err != nil {
		return templates.WorkflowView{}, err
	}
	startURL := "/workflows/" + url.PathEscape(w.Name) + "/executions"
	if w.Namespace != "" {
		startURL += "?namespace=" + url.QueryEscape(w.Namespace)
	}
	v := templates.WorkflowView{
		Page: s.page(c, w.Name, "workflows"),
		ID:   w.ID, Name: w.Name, Namespace: w.Namespace, Input: w.Input, Definition: w.Definition, CreatedAt: w.CreatedAt,
		StartURL: startURL, ExecsURL: "/executions?workflow=" + url.QueryEscape(w.Name),
		Form: templates.StartForm{Input: defaultInput(w.InterfaceJSON)},
	}
	if v.Input == "" {
		v.Input = "none"
	}
	v.Graph = definitionGraph(w.Definition, nil)
	recent, err := s.engine.ListExecutions(ctx, engine.ListQuery{
		Limit: 5, SortKeys: []string{"created_at"}, SortDirs: []string{"desc"},
		Filters: []engine.Filter{
			{Field: "workflow_name", Op: engine.OpEq, Values: []string{w.Name}},
			{Field: "workflow_namespace", Op: engine.OpEq, Values: []string{w.Namespace}},
		},
	})
	if err != nil {
		return v, err
	}
	for _, ex := range recent {
		v.Recent = append(v.Recent, execRow(ex))
	}
	return v, nil
}

// defaultInput pre-fills the start form: every input with its default,
// null for the required ones, in the order the workflow declares them.
func defaultInput(interfaceJSON string) string {
	v, err := jsonvalue.Decode([]byte(interfaceJSON))
	iface, _ := v.(*jsonvalue.Object)
	params, _ := iface.Value("input").([]any)
	if err != nil || len(params) == 0 {
		return "{}"
	}
	in := jsonvalue.NewObject(len(params))
	for _, p := range params {
		switch p := p.(type) {
		case string:
			in.Set(p, nil)
		case *jsonvalue.Object:
			for k, def := range p.All() {
				in.Set(k, def)
			}
		}
	}
	text, err := jsonvalue.EncodeUTF8(in)
	var b bytes.Buffer
	if err != nil || json.Compact(&b, text) != nil {
		return "{}"
	}
	// The form needs the value whole: indented if that fits the bound,
	// else on one line (json.MarshalIndent would cost the square of the
	// nesting depth).
	if v := jsonview.Format(b.String(), jsonview.Block); !v.Shortened() {
		return v.Text
	}
	return b.String()
}

// start serves POST /workflows/<name>/executions: it starts an execution
// and redirects to its page. Bad input JSON re-shows the form with the
// error; nothing is started.
func (s *Server) start(c echo.Context) error {
	name, ns := workflowName(c), c.QueryParam("namespace")
	form := templates.StartForm{Input: c.FormValue("input"), Description: c.FormValue("description")}
	req := engine.StartRequest{WorkflowName: name, Namespace: ns, Description: strings.TrimSpace(form.Description),
		CreatedBy: guard.FromContext(c).Name()}
	if text := strings.TrimSpace(form.Input); text != "" {
		in, err := jsonvalue.DecodeInput([]byte(text))
		if err != nil {
			form.Error = fmt.Sprintf("Input is not valid JSON: %v. Nothing was started.", err)
			return s.rerenderStart(c, name, ns, form)
		}
		o, ok := in.(*jsonvalue.Object)
		if !ok && in != nil {
			form.Error = "Input must be a JSON object, e.g. {\"name\": \"value\"}. Nothing was started."
			return s.rerenderStart(c, name, ns, form)
		}
		if o != nil {
			req.Input = o.Map() // the values inside keep their order
		}
	}
	ex, err := s.engine.StartExecution(c.Request().Context(), req)
	switch fault.Code(err) {
	case "":
		return c.Redirect(http.StatusSeeOther, executionURL(ex.ID))
	case fault.EINVALID:
		form.Error = fault.Message(err)
		return s.rerenderStart(c, name, ns, form)
	}
	return s.fail(c, err)
}

func (s *Server) rerenderStart(c echo.Context, name, ns string, form templates.StartForm) error {
	v, err := s.workflowView(c, name, ns)
	if err != nil {
		return s.fail(c, err)
	}
	v.Form = form
	return s.render(c, http.StatusUnprocessableEntity, templates.WorkflowPage(v))
}
