package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// Register adds the root documents and every /v2 route to e.
func (a *API) Register(e *echo.Echo) {
	e.GET("/", a.versions)                    // version discovery (Mistral's root document)
	e.GET("/v2", func(c echo.Context) error { // pecan's trailing-slash redirect
		return c.Redirect(http.StatusFound, "/v2/")
	})
	e.GET("/v2/", a.v2root) // the v2 root document

	e.POST("/v2/workflows", a.createWorkflows)            // workflow-create (text/plain YAML)
	e.PUT("/v2/workflows", a.updateWorkflows)             // workflow-update
	e.PUT("/v2/workflows/:id", a.updateWorkflows)         // workflow-update --id (one workflow, may rename it)
	e.POST("/v2/workflows/validate", a.validateWorkflows) // workflow-validate
	e.GET("/v2/workflows", a.listWorkflows)               // workflow-list
	e.GET("/v2/workflows/:id", a.getWorkflow)             // workflow-get (name or id)
	e.DELETE("/v2/workflows/:id", a.deleteWorkflow)       // workflow-delete

	e.POST("/v2/executions", a.createExecution)                 // execution-create
	e.GET("/v2/executions", a.listExecutions)                   // execution-list
	e.GET("/v2/executions/:id", a.getExecution)                 // execution-get, -get-input, -get-output
	e.PUT("/v2/executions/:id", a.updateExecution)              // execution-update: pause, resume, stop, description, env
	e.DELETE("/v2/executions/:id", a.deleteExecution)           // execution-delete
	e.GET("/v2/executions/:id/tasks", a.listExecutionTasks)     // task-list <execution>
	e.GET("/v2/executions/:id/executions", a.listSubExecutions) // the sub-workflow executions under an execution

	e.GET("/v2/tasks", a.listTasks)                                      // task-list
	e.GET("/v2/tasks/:id", a.getTask)                                    // task-get, task-get-result
	e.PUT("/v2/tasks/:id", a.rerunTask)                                  // task-rerun: run a failed task again
	e.GET("/v2/tasks/:id/action_executions", a.listTaskActionExecutions) // action-execution-list <task>
	e.GET("/v2/tasks/:id/executions", a.listTaskExecutions)              // the sub-workflow execution a workflow task started

	e.GET("/v2/action_executions", a.listActionExecutions)       // action-execution-list
	e.POST("/v2/action_executions", a.runAction)                 // run-action (ad-hoc)
	e.GET("/v2/action_executions/:id", a.getActionExecution)     // action-execution-get
	e.GET("/v2/action-executions/:id", a.getActionExecution)     // reading it back under the same spelling
	e.GET("/v2/workbooks", a.listWorkbooks)                      // workbook-list
	e.GET("/v2/workbooks/:name", a.getWorkbook)                  // workbook-get
	e.GET("/v2/workbooks/:name/", a.getWorkbook)                 // the CLI appends "/<namespace>", empty by default
	e.GET("/v2/workbooks/:name/:namespace", a.getWorkbook)       // workbook-get --namespace
	e.POST("/v2/workbooks", a.createWorkbook)                    // workbook-create (text/plain YAML)
	e.PUT("/v2/workbooks", a.updateWorkbook)                     // workbook-update
	e.POST("/v2/workbooks/validate", a.validateWorkbook)         // workbook-validate
	e.DELETE("/v2/workbooks/:name", a.deleteWorkbook)            // workbook-delete
	e.DELETE("/v2/workbooks/:name/", a.deleteWorkbook)           // same, as the CLI spells it
	e.DELETE("/v2/workbooks/:name/:namespace", a.deleteWorkbook) // workbook-delete --namespace
	e.GET("/v2/actions", a.listActions)                          // action-list (built-in and ad-hoc)
	e.GET("/v2/actions/:name", a.getAction)                      // action-get
	e.GET("/v2/actions/:name/", a.getAction)                     // the CLI appends "/<namespace>", empty by default
	e.GET("/v2/actions/:name/:namespace", a.getAction)           // action-get --namespace
	e.POST("/v2/actions", a.createActions)                       // action-create (text/plain YAML)
	e.PUT("/v2/actions", a.updateActions)                        // action-update
	e.DELETE("/v2/actions/:name", a.deleteAction)                // action-delete
	e.DELETE("/v2/actions/:name/", a.deleteAction)               // same, as the CLI spells it
	e.DELETE("/v2/actions/:name/:namespace", a.deleteAction)     // action-delete --namespace

	a.registerCron(e)         // /v2/cron_triggers (cron.go)
	a.registerEnvironments(e) // /v2/environments

	e.GET("/v2/audit", a.listAudit)       // the audit trail, JSON or CSV (a Sirocco extension)
	e.GET("/v2/services", a.listServices) // service-list: the live replicas
	a.registerParity(e)                   // issue 15: reports, action validate/update by id/delete, what is not offered
	a.registerLinks(e)                    // issue 16: decision links, listed and revoked (links.go)
	a.registerBulk(e)                     // POST /sirocco/approvals/decide: bulk decisions for scripts (bulk.go)

	// The callbacks. An Idempotency-Key makes a retry get the first answer
	// (idempotency.go); wrapped once here, not per request as echo's
	// route middleware would be.
	callback := a.idempotent(a.updateActionExecution)
	e.PUT("/v2/action_executions/:id", callback)  // action-execution-update
	e.POST("/v2/action-executions/:id", callback) // as the async-actions guide spells it
	e.PUT("/v2/action-executions/:id", callback)  // same, with PUT

	e.GET("/v3", a.keystoneVersion)               // Keystone v3 discovery (OS_AUTH_URL=<base>/v3)
	e.GET("/v3/", a.keystoneVersion)              // same, with the trailing slash keystoneauth may add
	e.POST("/v3/auth/tokens", a.keystoneLogin)    // Keystone password (or token) login → X-Subject-Token and the catalog
	e.GET("/v3/auth/tokens", a.keystoneValidate)  // validate X-Subject-Token
	e.HEAD("/v3/auth/tokens", a.keystoneValidate) // check X-Subject-Token
	e.DELETE("/v3/auth/tokens", a.keystoneRevoke) // revoke X-Subject-Token (logout)

	e.GET("/auth/whoami", a.whoami)                              // the caller's name and role
	e.GET("/auth/users", a.listUsers)                            // user-list
	e.POST("/auth/users", a.createUser)                          // user-create
	e.PUT("/auth/users/:name", a.updateUser)                     // user-update: role, password
	e.DELETE("/auth/users/:name", a.deleteUser)                  // user-delete (its tokens and sessions go too)
	e.GET("/auth/groups", a.listGroups)                          // group-list
	e.POST("/auth/groups", a.createGroup)                        // group-create
	e.DELETE("/auth/groups/:name", a.deleteGroup)                // group-delete
	e.PUT("/auth/groups/:name/members/:user", a.addMember)       // group-add-user
	e.DELETE("/auth/groups/:name/members/:user", a.removeMember) // group-remove-user
	e.GET("/auth/tokens", a.listTokens)                          // token-list (API tokens)
	e.POST("/auth/tokens", a.createToken)                        // token-create: the value is in this answer only
	e.DELETE("/auth/tokens/:id", a.revokeToken)                  // token-revoke
}

func (a *API) versions(c echo.Context) error {
	return writeJSON(c, http.StatusOK, object{{"versions", []object{{
		{"id", "v2.0"}, {"status", "CURRENT"},
		{"links", []object{{{"href", a.base + "/v2"}, {"target", "v2"}, {"rel", "self"}}}},
	}}}})
}

func (a *API) v2root(c echo.Context) error {
	return writeJSON(c, http.StatusOK, object{{"uri", a.base + "/v2"}})
}
