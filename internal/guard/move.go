package guard

import (
	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// MayMoveAction is the rule for who may move an action execution to a
// state: a callback token SUCCESS or ERROR for its own action; an approver
// SUCCESS or ERROR for an asynchronous action; PAUSED, RUNNING and
// CANCELLED (they pause, resume or cancel the workflow), and anything on a
// synchronous action, need an admin. A nil principal (no authentication
// in the request path) is refused.
func MayMoveAction(p *auth.Principal, id string, async bool, to engine.State) error {
	if p != nil && (p.Method == auth.MethodOff || (p.Method != auth.MethodCallback && p.Role.Allows(auth.RoleAdmin))) {
		return nil
	}
	result := to == engine.StateSuccess || to == engine.StateError
	switch {
	case p == nil:
	case p.Method == auth.MethodCallback:
		if p.ActionID != id {
			return fault.Errorf(fault.EFORBIDDEN, "Forbidden: a callback token may only complete its own action execution.")
		}
		if result && async {
			return nil
		}
		return fault.Errorf(fault.EFORBIDDEN, "Forbidden: a callback token may only send SUCCESS or ERROR for its action; %s needs the admin role.", to)
	case p.Role.Allows(auth.RoleApprover):
		if !async {
			return fault.Errorf(fault.EFORBIDDEN, "Forbidden: action execution %s is synchronous (Sirocco runs it); only an admin may change its state.", id)
		}
		if result {
			return nil
		}
		return fault.Errorf(fault.EFORBIDDEN, "Forbidden: %s on an action execution pauses, resumes or cancels its workflow and needs the admin role; approvers may send SUCCESS or ERROR.", to)
	}
	return fault.Errorf(fault.EFORBIDDEN, "Forbidden: changing an action execution's state needs the approver role.")
}

// AuthorizeMove is MayMoveAction for the request's principal, as
// engine.Completion.Authorize takes it; nil when the request has none
// (no middleware installed, as in the API's and the dashboard's own
// tests), so that nothing is checked.
func AuthorizeMove(c echo.Context) func(id string, async bool, to engine.State) error {
	p := FromContext(c)
	if p == nil {
		return nil
	}
	return func(id string, async bool, to engine.State) error { return MayMoveAction(p, id, async, to) }
}
