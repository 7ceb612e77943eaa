package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/guard"
	"github.com/sirocco-project/sirocco/internal/httpstatus"
	"github.com/sirocco-project/sirocco/web/templates"
)

// registerTriggers adds the Triggers page and its forms. Pausing,
// resuming and deleting a trigger here is a Sirocco extension; the engine
// decides who may (an admin or the trigger's creator) and audits it.
func (s *Server) registerTriggers(e *echo.Echo, mw []echo.MiddlewareFunc) {
	e.GET("/triggers", s.triggers, mw...)                    // cron triggers: next runs, last executions
	e.POST("/triggers/:name/pause", s.pauseTrigger, mw...)   // pause a trigger; PRG
	e.POST("/triggers/:name/resume", s.resumeTrigger, mw...) // resume it at its pattern's next time; PRG
	e.POST("/triggers/:name/delete", s.deleteTrigger, mw...) // delete it; PRG
}

func triggerURL(name, action string) string {
	return "/triggers/" + url.PathEscape(name) + "/" + action
}

// triggersView lists the triggers, with the forms the person may use.
func (s *Server) triggersView(c echo.Context) (templates.TriggersView, error) {
	list, err := s.engine.ListCronTriggers(c.Request().Context())
	if err != nil {
		return templates.TriggersView{}, err
	}
	v := templates.TriggersView{Page: s.page(c, "Triggers", "triggers")}
	by := guard.Decider(c, engine.ViaDashboard)
	for _, t := range list {
		r := templates.TriggerRow{Name: t.Name, Pattern: t.Pattern, WorkflowName: t.WorkflowName,
			WorkflowURL: workflowURL(t.WorkflowName, t.WorkflowNamespace), Next: t.NextExecutionTime, State: t.State, CreatedBy: t.CreatedBy}
		if t.RemainingExecutions != nil {
			r.Remaining = strconv.Itoa(*t.RemainingExecutions)
		}
		if t.StateInfo != nil {
			r.StateInfo = *t.StateInfo
		}
		for _, x := range t.LastExecutions() {
			r.Last = append(r.Last, templates.TriggerRun{ID: x.ID, URL: executionURL(x.ID), At: x.At})
		}
		if engine.MayManageCron(by, t) {
			if t.State == engine.CronActive {
				r.PauseURL = triggerURL(t.Name, "pause")
			} else {
				r.ResumeURL = triggerURL(t.Name, "resume")
			}
			r.DeleteURL = triggerURL(t.Name, "delete")
		}
		v.Rows = append(v.Rows, r)
	}
	switch c.QueryParam("notice") {
	case "paused":
		v.Notice = &templates.Notice{Kind: "ok", Text: "Trigger paused: it does not fire until it is resumed."}
	case "resumed":
		v.Notice = &templates.Notice{Kind: "ok", Text: "Trigger resumed: it fires next at its pattern's next time."}
	case "deleted":
		v.Notice = &templates.Notice{Kind: "ok", Text: "Trigger deleted."}
	}
	return v, nil
}

// triggers serves GET /triggers.
func (s *Server) triggers(c echo.Context) error {
	v, err := s.triggersView(c)
	if err != nil {
		return s.fail(c, err)
	}
	return s.render(c, http.StatusOK, templates.TriggersPage(v))
}

func (s *Server) pauseTrigger(c echo.Context) error {
	_, err := s.engine.SetCronTriggerState(c.Request().Context(), guard.Decider(c, engine.ViaDashboard), pathName(c, "name"), engine.CronPaused)
	return s.triggerDone(c, "paused", err)
}

func (s *Server) resumeTrigger(c echo.Context) error {
	_, err := s.engine.SetCronTriggerState(c.Request().Context(), guard.Decider(c, engine.ViaDashboard), pathName(c, "name"), engine.CronActive)
	return s.triggerDone(c, "resumed", err)
}

func (s *Server) deleteTrigger(c echo.Context) error {
	return s.triggerDone(c, "deleted", s.engine.DeleteCronTrigger(c.Request().Context(), guard.Decider(c, engine.ViaDashboard), pathName(c, "name")))
}

// triggerDone redirects back to the page after a change, or shows the
// page with the refusal.
func (s *Server) triggerDone(c echo.Context, notice string, err error) error {
	if err == nil {
		return c.Redirect(http.StatusSeeOther, "/triggers?notice="+notice)
	}
	switch fault.Code(err) {
	case fault.EINVALID, fault.ECONFLICT, fault.ENOTFOUND, fault.EFORBIDDEN:
		v, verr := s.triggersView(c)
		if verr != nil {
			return s.fail(c, verr)
		}
		v.Error = fault.Message(err) + " Nothing was changed."
		return s.render(c, httpstatus.Of(err), templates.TriggersPage(v))
	}
	return s.fail(c, err)
}
