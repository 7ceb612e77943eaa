package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// Mistral 15.0.0 resources Sirocco does not offer. Each route answers,
// whatever its method, 501 with a faultstring naming why, so that the
// mistral CLI prints the reason (not "Not Found", which would suggest a
// typo or an old server).
var unoffered = []struct {
	paths  []string
	reason string
}{
	{[]string{"/v2/event_triggers", "/v2/event_triggers/*"},
		"Event triggers are not offered: they start workflows on OpenStack notifications, which arrive on OpenStack's notification bus, and Sirocco has no such bus. Start executions through the API or from a cron trigger."},
	{[]string{"/v2/code_sources", "/v2/code_sources/*"},
		"Code sources are not offered: they hold Python modules for Mistral to import, and Sirocco runs no Python. Use an ad-hoc action (action-create) built on a standard action, or std.http to call a service."},
	{[]string{"/v2/dynamic_actions", "/v2/dynamic_actions/*"},
		"Dynamic actions are not offered: they are Python classes loaded from code sources, and Sirocco runs no Python. Use an ad-hoc action (action-create) built on a standard action, or std.http to call a service."},
	{[]string{"/v2/workflows/:id/members", "/v2/workflows/:id/members/*"},
		"Members are not offered: they share a workflow with other OpenStack projects, and Sirocco has one project. Who may read, start or change workflows is decided by account roles (viewer, requester, approver, admin)."},
}

// unofferedMethods are the methods the mistral CLI uses on these routes.
var unofferedMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete}

// registerUnoffered adds the routes of resources Sirocco does not offer.
func (a *API) registerUnoffered(e *echo.Echo) {
	for _, u := range unoffered {
		reason := u.reason
		answer := func(c echo.Context) error { return Fault(c, http.StatusNotImplemented, reason) }
		for _, p := range u.paths {
			for _, m := range unofferedMethods {
				e.Add(m, p, answer)
			}
		}
	}
}
