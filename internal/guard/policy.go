package guard

import "github.com/sirocco-project/sirocco/internal/auth"

// Surface is how a route answers a request it refuses.
type Surface int

const (
	// API routes answer 401/403 with Mistral's JSON fault body.
	API Surface = iota
	// Page routes send people without a session to the login page and
	// show an error page for a missing role.
	Page
	// Socket is the dashboard's websocket: a session is required, and a
	// refusal is a plain status.
	Socket
)

// Access is what a route needs: Public, AnyUser, or a role.
type Access string

const (
	// Public routes need no credentials.
	Public Access = "public"
	// AnyUser routes need credentials of any role.
	AnyUser Access = "user"
	// Viewer, Requester, Approver and Admin need that role or a stronger
	// one.
	Viewer    Access = Access(auth.RoleViewer)
	Requester Access = Access(auth.RoleRequester)
	Approver  Access = Access(auth.RoleApprover)
	Admin     Access = Access(auth.RoleAdmin)
)

// Rule is one row of the policy: a route (method and Echo path pattern)
// and what it needs.
type Rule struct {
	Method, Path string
	Access       Access
	Surface      Surface
	// Callback routes also accept the Sirocco-Callback-Token of the action
	// execution named by the :id parameter.
	Callback bool
}

// Policy is the authorization table: every route the server registers,
// and what it needs. A test checks that it covers every registered route.
var Policy = []Rule{
	// Version documents and the Keystone subset (discovery and login).
	{"GET", "/", Public, API, false},
	{"GET", "/v2", Public, API, false},
	{"GET", "/v2/", Public, API, false},
	{"GET", "/v3", Public, API, false},
	{"GET", "/v3/", Public, API, false},
	{"POST", "/v3/auth/tokens", Public, API, false},
	{"GET", "/v3/auth/tokens", AnyUser, API, false},
	{"HEAD", "/v3/auth/tokens", AnyUser, API, false},
	{"DELETE", "/v3/auth/tokens", AnyUser, API, false},

	// Mistral v2: viewers read; requesters start executions; approvers
	// deliver results; admins manage.
	{"POST", "/v2/workflows", Admin, API, false},
	{"PUT", "/v2/workflows", Admin, API, false},
	{"PUT", "/v2/workflows/:id", Admin, API, false},
	{"POST", "/v2/workflows/validate", Viewer, API, false},
	{"GET", "/v2/workflows", Viewer, API, false},
	{"GET", "/v2/workflows/:id", Viewer, API, false},
	{"DELETE", "/v2/workflows/:id", Admin, API, false},
	{"GET", "/v2/audit", Admin, API, false},
	{"GET", "/v2/services", Admin, API, false},
	{"POST", "/v2/executions", Requester, API, false},
	{"GET", "/v2/executions", Viewer, API, false},
	{"GET", "/v2/executions/:id", Viewer, API, false},
	{"PUT", "/v2/executions/:id", Admin, API, false},
	{"DELETE", "/v2/executions/:id", Admin, API, false},
	{"GET", "/v2/executions/:id/tasks", Viewer, API, false},
	{"GET", "/v2/executions/:id/executions", Viewer, API, false},
	{"GET", "/v2/tasks", Viewer, API, false},
	{"GET", "/v2/tasks/:id", Viewer, API, false},
	{"GET", "/v2/tasks/:id/action_executions", Viewer, API, false},
	{"GET", "/v2/tasks/:id/executions", Viewer, API, false},
	{"PUT", "/v2/tasks/:id", Admin, API, false},
	{"GET", "/v2/action_executions", Viewer, API, false},
	{"POST", "/v2/action_executions", Admin, API, false}, // runs any action, std.http included
	{"GET", "/v2/action_executions/:id", Viewer, API, false},
	{"DELETE", "/v2/action_executions/:id", Admin, API, false},
	{"PUT", "/v2/action_executions/:id", Approver, API, true},
	{"POST", "/v2/action-executions/:id", Approver, API, true},
	{"PUT", "/v2/action-executions/:id", Approver, API, true},
	{"GET", "/v2/action-executions/:id", Viewer, API, false},
	{"GET", "/v2/workbooks", Viewer, API, false},
	{"GET", "/v2/workbooks/:name", Viewer, API, false},
	{"GET", "/v2/workbooks/:name/", Viewer, API, false},
	{"GET", "/v2/workbooks/:name/:namespace", Viewer, API, false},
	{"POST", "/v2/workbooks", Admin, API, false},
	{"PUT", "/v2/workbooks", Admin, API, false},
	{"POST", "/v2/workbooks/validate", Viewer, API, false},
	{"DELETE", "/v2/workbooks/:name", Admin, API, false},
	{"DELETE", "/v2/workbooks/:name/", Admin, API, false},
	{"DELETE", "/v2/workbooks/:name/:namespace", Admin, API, false},
	{"GET", "/v2/actions", Viewer, API, false},
	{"GET", "/v2/actions/:name", Viewer, API, false},
	{"GET", "/v2/actions/:name/", Viewer, API, false},
	{"GET", "/v2/actions/:name/:namespace", Viewer, API, false},
	{"POST", "/v2/actions", Admin, API, false},
	{"PUT", "/v2/actions", Admin, API, false},
	{"DELETE", "/v2/actions/:name", Admin, API, false},
	{"DELETE", "/v2/actions/:name/", Admin, API, false},
	{"DELETE", "/v2/actions/:name/:namespace", Admin, API, false},
	// Cron triggers start executions as their creator: a requester may
	// create one; deleting is for an admin or the creator (the engine
	// checks which).
	{"POST", "/v2/cron_triggers", Requester, API, false},
	{"GET", "/v2/cron_triggers", Viewer, API, false},
	{"GET", "/v2/cron_triggers/:id", Viewer, API, false},
	{"DELETE", "/v2/cron_triggers/:id", Requester, API, false},
	{"GET", "/v2/environments", Viewer, API, false},
	{"GET", "/v2/environments/:name", Viewer, API, false},
	{"POST", "/v2/environments", Admin, API, false},
	{"PUT", "/v2/environments", Admin, API, false},
	{"DELETE", "/v2/environments/:name", Admin, API, false},
	{"GET", "/v2/executions/:id/report", Viewer, API, false},
	{"POST", "/v2/actions/validate", Viewer, API, false},
	{"PUT", "/v2/actions/:name", Admin, API, false},
	// Not offered (501 with the reason, api/unoffered.go): anyone who
	// may read the API may learn why.
	{"GET", "/v2/event_triggers", Viewer, API, false},
	{"POST", "/v2/event_triggers", Viewer, API, false},
	{"PUT", "/v2/event_triggers", Viewer, API, false},
	{"DELETE", "/v2/event_triggers", Viewer, API, false},
	{"GET", "/v2/event_triggers/*", Viewer, API, false},
	{"POST", "/v2/event_triggers/*", Viewer, API, false},
	{"PUT", "/v2/event_triggers/*", Viewer, API, false},
	{"DELETE", "/v2/event_triggers/*", Viewer, API, false},
	{"GET", "/v2/code_sources", Viewer, API, false},
	{"POST", "/v2/code_sources", Viewer, API, false},
	{"PUT", "/v2/code_sources", Viewer, API, false},
	{"DELETE", "/v2/code_sources", Viewer, API, false},
	{"GET", "/v2/code_sources/*", Viewer, API, false},
	{"POST", "/v2/code_sources/*", Viewer, API, false},
	{"PUT", "/v2/code_sources/*", Viewer, API, false},
	{"DELETE", "/v2/code_sources/*", Viewer, API, false},
	{"GET", "/v2/dynamic_actions", Viewer, API, false},
	{"POST", "/v2/dynamic_actions", Viewer, API, false},
	{"PUT", "/v2/dynamic_actions", Viewer, API, false},
	{"DELETE", "/v2/dynamic_actions", Viewer, API, false},
	{"GET", "/v2/dynamic_actions/*", Viewer, API, false},
	{"POST", "/v2/dynamic_actions/*", Viewer, API, false},
	{"PUT", "/v2/dynamic_actions/*", Viewer, API, false},
	{"DELETE", "/v2/dynamic_actions/*", Viewer, API, false},
	{"GET", "/v2/workflows/:id/members", Viewer, API, false},
	{"POST", "/v2/workflows/:id/members", Viewer, API, false},
	{"PUT", "/v2/workflows/:id/members", Viewer, API, false},
	{"DELETE", "/v2/workflows/:id/members", Viewer, API, false},
	{"GET", "/v2/workflows/:id/members/*", Viewer, API, false},
	{"POST", "/v2/workflows/:id/members/*", Viewer, API, false},
	{"PUT", "/v2/workflows/:id/members/*", Viewer, API, false},
	{"DELETE", "/v2/workflows/:id/members/*", Viewer, API, false},

	// Operations: probes are open (they tell only up or down); metrics
	// need a viewer token (Prometheus: authorization.credentials).
	{"GET", "/healthz", Public, API, false},
	{"GET", "/readyz", Public, API, false},
	{"GET", "/metrics", Viewer, API, false},

	// Accounts and tokens over JSON (the client subcommands).
	{"GET", "/auth/whoami", AnyUser, API, false},
	{"GET", "/auth/users", Admin, API, false},
	{"POST", "/auth/users", Admin, API, false},
	{"PUT", "/auth/users/:name", Admin, API, false},
	{"DELETE", "/auth/users/:name", Admin, API, false},
	{"GET", "/auth/groups", Admin, API, false},
	{"POST", "/auth/groups", Admin, API, false},
	{"DELETE", "/auth/groups/:name", Admin, API, false},
	{"PUT", "/auth/groups/:name/members/:user", Admin, API, false},
	{"DELETE", "/auth/groups/:name/members/:user", Admin, API, false},
	{"GET", "/auth/tokens", Admin, API, false},
	{"POST", "/auth/tokens", Admin, API, false},
	{"DELETE", "/auth/tokens/:id", Admin, API, false},

	// Decision links (a Sirocco extension): approvers list their own
	// links, admins all; an admin or the link's person revokes one (the
	// engine checks which).
	{"GET", "/sirocco/approvals/:id/links", Approver, API, false},
	{"DELETE", "/sirocco/links/:id", Approver, API, false},

	// The dashboard.
	{"GET", "/login", Public, Page, false},
	{"POST", "/login", Public, Page, false},
	{"POST", "/logout", AnyUser, Page, false},
	{"GET", "/account/password", AnyUser, Page, false},
	{"POST", "/account/password", AnyUser, Page, false},
	{"GET", "/static/*", Public, Page, false},
	{"GET", "/inbox", Viewer, Page, false},
	{"GET", "/inbox/waiting", Viewer, Page, false},
	{"GET", "/actions/:id", Viewer, Page, false},
	{"POST", "/actions/:id", Approver, Page, false},
	{"GET", "/executions", Viewer, Page, false},
	{"GET", "/executions/:id", Viewer, Page, false},
	{"GET", "/actions/:id/:file", Viewer, Page, false},
	{"GET", "/executions/:id/:file", Viewer, Page, false},
	{"GET", "/tasks/:id/:file", Viewer, Page, false},
	{"GET", "/workflows", Viewer, Page, false},
	{"GET", "/workflows/:name", Viewer, Page, false},
	{"POST", "/workflows/:name/executions", Requester, Page, false},
	{"GET", "/action-definitions", Viewer, Page, false},
	{"GET", "/action-definitions/:name", Viewer, Page, false},
	{"GET", "/workbooks", Viewer, Page, false},
	{"GET", "/workbooks/:name", Viewer, Page, false},
	{"GET", "/triggers", Viewer, Page, false},
	{"POST", "/triggers/:name/pause", Requester, Page, false}, // the engine allows an admin or the creator
	{"POST", "/triggers/:name/resume", Requester, Page, false},
	{"POST", "/triggers/:name/delete", Requester, Page, false},
	{"GET", "/admin", Admin, Page, false},
	{"POST", "/admin/users", Admin, Page, false},
	{"POST", "/admin/users/:name", Admin, Page, false},
	{"POST", "/admin/users/:name/delete", Admin, Page, false},
	{"POST", "/admin/groups", Admin, Page, false},
	{"POST", "/admin/groups/:name/delete", Admin, Page, false},
	{"POST", "/admin/groups/:name/members", Admin, Page, false},
	{"POST", "/admin/tokens", Admin, Page, false},
	{"POST", "/admin/tokens/:id/revoke", Admin, Page, false},
	{"GET", "/audit", Admin, Page, false},
	{"GET", "/replicas", Admin, Page, false},
	// A decision link is its own credential: its page checks the login
	// the approval asks for (require_login) and decides as the link's
	// person only.
	{"GET", "/links/:token", Public, Page, false},
	{"POST", "/links/:token", Public, Page, false},
	{"POST", "/actions/:id/links/:link/revoke", Approver, Page, false},
	{"GET", "/ws", Viewer, Socket, false},

	// Bulk decisions, presence and claims (issue 16): each item is still
	// a vote the engine checks against that approval's rules.
	{"POST", "/sirocco/approvals/decide", Approver, API, false},
	{"POST", "/sirocco/approvals/:id/claim", Approver, API, false},
	{"DELETE", "/sirocco/approvals/:id/claim", Approver, API, false},
	{"POST", "/approvals/decide", Approver, Page, false},
	{"POST", "/actions/:id/claim", Approver, Page, false},

	// The inbox's services view (issue 17): an admin cancels an action
	// that waits for a service's callback.
	{"POST", "/actions/:id/cancel", Admin, Page, false},
}

var policyIndex = func() map[string]Rule {
	m := make(map[string]Rule, len(Policy))
	for _, r := range Policy {
		m[r.Method+" "+r.Path] = r
	}
	return m
}()

// Lookup returns the rule of a route. HEAD follows GET. Routes missing
// from the table (unknown paths among them) need a viewer: nothing is
// public by omission.
func Lookup(method, path string) (Rule, bool) {
	if r, ok := policyIndex[method+" "+path]; ok {
		return r, true
	}
	if method == "HEAD" {
		if r, ok := policyIndex["GET "+path]; ok {
			return r, true
		}
	}
	s := API
	if !APIPath(path) {
		s = Page
	}
	return Rule{Method: method, Path: path, Access: Viewer, Surface: s}, false
}

// Allows reports whether p may use a route with this rule (the callback
// scope is checked by the middleware, which knows the action id).
func (r Rule) Allows(p *auth.Principal) bool {
	switch {
	case r.Access == Public:
		return true
	case p == nil:
		return false
	case p.Method == auth.MethodCallback:
		return r.Callback
	case r.Access == AnyUser:
		return true
	}
	return p.Role.Allows(auth.Role(r.Access))
}
