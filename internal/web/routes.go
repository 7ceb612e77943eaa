package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/web/static"
)

// inboxPath is where the inbox is routed. Browsers reach it at / (see
// negotiateRoot); the path itself works too.
const inboxPath = "/inbox"

// Register adds every dashboard route to e. Register the API first: "/"
// stays the API's version document for clients that do not prefer HTML.
func (s *Server) Register(e *echo.Echo) {
	e.Pre(s.negotiateRoot) // GET / from a browser → the inbox; from API clients → Mistral's version document

	mw := s.pageMW
	e.GET(inboxPath, s.inbox, mw...)                       // the inbox: pending async actions, filters, keyset pages (?fragment=1: its live regions; ?mine=1: what waits for me)
	e.GET("/inbox/waiting", s.waitingLink, mw...)          // the header's count of approvals waiting for me, a fragment the page script refetches
	e.GET("/actions/:id", s.action, mw...)                 // an action execution: input, request sent, context, timeline, decision form
	e.POST("/actions/:id", s.decide, mw...)                // approve (state=SUCCESS) or reject (state=ERROR) with output and comment; PRG
	e.POST(bulkDecidePath, s.decideBulk, mw...)            // decide the ticked approvals (allow_bulk) at once; a page of results (bulk.go)
	e.POST("/actions/:id/claim", s.claim, mw...)           // op=claim: "I am handling this" (a soft lock that expires); op=release; PRG (claim.go)
	e.POST("/actions/:id/cancel", s.cancelService, mw...)  // admin: cancel an action waiting for a service (the services view); PRG (inbox.go)
	e.GET("/executions", s.executions, mw...)              // workflow executions, newest first, keyset pages
	e.GET("/executions/:id", s.execution, mw...)           // an execution: tasks with states and results, live
	e.GET("/actions/:id/:file", s.actionRaw, mw...)        // an action's input.json, output.json, request.json or an approval's context.json, a download
	e.GET("/executions/:id/:file", s.executionRaw, mw...)  // an execution's input.json, output.json, params.json or published.json, a download
	e.GET("/tasks/:id/:file", s.taskRaw, mw...)            // a task's result.json or published.json, a download
	e.GET("/workflows", s.workflows, mw...)                // workflow definitions
	e.GET("/workflows/:name", s.workflow, mw...)           // a definition and the form that starts an execution
	e.POST("/workflows/:name/executions", s.start, mw...)  // start an execution with input JSON; PRG to its page
	e.GET("/action-definitions", s.actionDefs, mw...)      // ad-hoc action definitions, then the built-in actions
	e.GET("/action-definitions/:name", s.actionDef, mw...) // an action definition: text, base, input, output, workbook
	e.GET("/workbooks", s.workbooks, mw...)                // workbooks
	e.GET("/workbooks/:name", s.workbook, mw...)           // a workbook: text and links to its workflows and actions
	s.registerTriggers(e, mw)                              // the Triggers page and its forms (trigger.go)
	s.registerLinks(e, mw)                                 // decision links (/links/<token>) and their revocation (links.go)
	e.GET("/static/*", echo.WrapHandler(static.Handler())) // embedded CSS and JS under content-hashed names, cached for a year

	e.GET("/login", s.loginForm, mw...)                             // the login form
	e.POST("/login", s.login, mw...)                                // check name and password (rate-limited), start a session; PRG to ?next
	e.POST("/logout", s.logout, mw...)                              // end the session
	e.GET("/account/password", s.passwordForm, mw...)               // the logged-in user's password change form
	e.POST("/account/password", s.changePassword, mw...)            // change it (current password needed); ends the user's other sessions and Keystone tokens
	e.GET("/admin", s.admin, mw...)                                 // accounts: users, groups, API tokens
	e.POST("/admin/users", s.adminCreateUser, mw...)                // create a user
	e.POST("/admin/users/:name", s.adminUpdateUser, mw...)          // change a user's role or password
	e.POST("/admin/users/:name/delete", s.adminDeleteUser, mw...)   // delete a user, its tokens and sessions
	e.POST("/admin/groups", s.adminCreateGroup, mw...)              // create a group with a role
	e.POST("/admin/groups/:name/delete", s.adminDeleteGroup, mw...) // delete a group
	e.POST("/admin/groups/:name/members", s.adminMember, mw...)     // add or remove a member (op=add|remove)
	e.POST("/admin/tokens", s.adminCreateToken, mw...)              // create an API token, shown once
	e.POST("/admin/tokens/:id/revoke", s.adminRevokeToken, mw...)   // revoke an API token
	e.GET(auditPath, s.auditPage, mw...)                            // the audit trail (admin): filters, the head, CSV and JSON exports
	e.GET("/replicas", s.replicas, mw...)                           // the live replicas (admin), from their heartbeats
	if s.live != nil {
		e.GET("/ws", s.serveLive, s.securityHeaders) // live events over a websocket (the hub); they end with the session
	}
}

// negotiateRoot routes GET / to the inbox when the client prefers HTML.
// The API keeps / for everyone else (the mistral CLI and curl send */* or
// JSON), so the two share the address without either knowing the other.
func (s *Server) negotiateRoot(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.URL.Path == "/" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			c.Response().Header().Add("Vary", "Accept")
			if prefersHTML(r.Header.Get("Accept")) {
				r.URL.Path, r.URL.RawPath = inboxPath, ""
			}
		}
		return next(c)
	}
}
