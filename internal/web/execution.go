package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/web/templates"
)

// executionsPageSize is how many executions a page of the list shows.
const executionsPageSize = 50

// executions serves GET /executions: newest first, keyset pages (?after=<id>).
func (s *Server) executions(c echo.Context) error {
	state, wf, after := c.QueryParam("state"), c.QueryParam("workflow"), c.QueryParam("after")
	q := engine.ListQuery{Limit: executionsPageSize + 1, Marker: after, SortKeys: []string{"created_at"}, SortDirs: []string{"desc"}}
	if state != "" {
		q.Filters = append(q.Filters, engine.Filter{Field: "state", Op: engine.OpEq, Values: []string{state}})
	}
	if wf != "" {
		q.Filters = append(q.Filters, engine.Filter{Field: "workflow_name", Op: engine.OpEq, Values: []string{wf}})
	}
	list, err := s.engine.ListExecutions(c.Request().Context(), q)
	if err != nil {
		return s.fail(c, err)
	}
	link := func(after string) string {
		v := url.Values{}
		for k, val := range map[string]string{"state": state, "workflow": wf, "after": after} {
			if val != "" {
				v.Set(k, val)
			}
		}
		if len(v) == 0 {
			return "/executions"
		}
		return "/executions?" + v.Encode()
	}
	v := templates.ExecutionsView{Page: s.page(c, "Executions", "executions"), State: state, Workflow: wf}
	if len(list) > executionsPageSize {
		list = list[:executionsPageSize]
		v.NextURL = link(list[len(list)-1].ID)
	}
	if after != "" {
		v.FirstURL = link("")
	}
	for _, ex := range list {
		v.Rows = append(v.Rows, execRow(ex))
	}
	if fragment(c) {
		return s.render(c, http.StatusOK, templates.ExecutionsRegions(v))
	}
	v.Live = &templates.Live{Topics: "executions", Src: link(after)}
	return s.render(c, http.StatusOK, templates.ExecutionsPage(v))
}

// execution serves GET /executions/<id>: its tasks, data and timeline.
func (s *Server) execution(c echo.Context) error {
	ctx := c.Request().Context()
	ex, err := s.engine.GetExecution(ctx, c.Param("id"))
	if err != nil {
		return s.fail(c, err)
	}
	tasks, err := s.engine.ListTasks(ctx, engine.ListQuery{
		Filters:  []engine.Filter{{Field: "workflow_execution_id", Op: engine.OpEq, Values: []string{ex.ID}}},
		SortKeys: []string{"created_at"},
	})
	if err != nil {
		return s.fail(c, err)
	}
	pending, err := s.engine.ListActionExecutions(ctx, engine.ListQuery{Filters: []engine.Filter{
		{Field: "workflow_execution_id", Op: engine.OpEq, Values: []string{ex.ID}},
		{Field: "state", Op: engine.OpIn, Values: []string{string(engine.StateRunning), string(engine.StatePaused)}},
	}})
	if err != nil {
		return s.fail(c, err)
	}
	waiting := map[string][]templates.Link{}
	for _, a := range pending {
		if a.Async && a.TaskExecutionID != nil {
			waiting[*a.TaskExecutionID] = append(waiting[*a.TaskExecutionID], templates.Link{Text: "Decide: " + a.Name, URL: actionURL(a.ID)})
		}
	}
	events, err := s.engine.Timeline(ctx, ex.ID)
	if err != nil {
		return s.fail(c, err)
	}
	names := map[string]string{ex.ID: "execution"}
	v := templates.ExecutionView{
		Page: s.page(c, ex.WorkflowName, "executions"),
		ID:   ex.ID, Workflow: ex.WorkflowName, WorkflowURL: workflowURL(ex.WorkflowName, ex.WorkflowNamespace),
		State: string(ex.State), Description: ex.Description,
		StateInfo: clipPtr(ex.StateInfo, maxStateInfo),
		Input:     jsonBlock(ex.InputJSON, rawURL("executions", ex.ID, "input.json")),
		Output:    jsonBlock(ex.OutputJSON, rawURL("executions", ex.ID, "output.json")),
		Params:    jsonBlock(engine.MaskParams(ex.ParamsJSON), rawURL("executions", ex.ID, "params.json")),
		CreatedAt: ex.CreatedAt, UpdatedAt: ex.UpdatedAt, CreatedBy: ex.CreatedBy,
	}
	if g := ex.PublishedGlobalJSON; g != "" && g != "{}" {
		v.Global = jsonBlock(g, rawURL("executions", ex.ID, "published.json"))
	}
	for _, t := range tasks {
		names[t.ID] = "task " + t.Name
		row := templates.TaskRow{
			ID: t.ID, Name: t.Name, State: string(t.State), StateInfo: clipPtr(t.StateInfo, maxStateInfo),
			Result:    jsonCell(t.ResultJSON, rawURL("tasks", t.ID, "result.json")),
			Published: jsonCell(t.PublishedJSON, rawURL("tasks", t.ID, "published.json")),
			StartedAt: t.StartedAt, Finished: t.FinishedAt, Pending: waiting[t.ID],
		}
		v.Tasks = append(v.Tasks, row)
	}
	for _, ev := range events {
		if ev.Kind == "action_execution" {
			names[ev.ID] = "action"
		}
	}
	rs := newRunState(tasks, waiting, s.now())
	if rs.children, err = s.subExecutions(ctx, tasks); err != nil {
		return s.fail(c, err)
	}
	v.Graph = definitionGraph(ex.Definition, rs)
	v.Timeline = timelineEntries(events, names)
	if v.Notifications, err = s.notifications(ctx, ex.ID); err != nil {
		return s.fail(c, err)
	}
	if fragment(c) {
		return s.render(c, http.StatusOK, templates.ExecutionRegions(v))
	}
	v.Live = &templates.Live{Topics: "execution:" + ex.ID, Src: executionURL(ex.ID)}
	return s.render(c, http.StatusOK, templates.ExecutionPage(v))
}

// subExecutions finds the executions that tasks' sub-workflow tasks
// started, by task execution id, for the graph to link.
func (s *Server) subExecutions(ctx context.Context, tasks []*engine.Task) (map[string]string, error) {
	var ids []string
	for _, t := range tasks {
		if t.Type == engine.TaskTypeWorkflow {
			ids = append(ids, t.ID)
		}
	}
	out := map[string]string{}
	const chunk = 500 // well under SQLite's bound on a statement's variables
	for i := 0; i < len(ids); i += chunk {
		subs, err := s.engine.ListExecutions(ctx, engine.ListQuery{Filters: []engine.Filter{
			{Field: "task_execution_id", Op: engine.OpIn, Values: ids[i:min(i+chunk, len(ids))]}}})
		if err != nil {
			return nil, fmt.Errorf("web: sub-workflow executions: %w", err)
		}
		for _, sub := range subs {
			if sub.TaskExecutionID != nil {
				out[*sub.TaskExecutionID] = executionURL(sub.ID)
			}
		}
	}
	return out, nil
}
