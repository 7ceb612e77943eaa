package guard

import (
	"testing"

	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// TestMayMoveAction walks the transition rule: role × target state ×
// synchronous or asynchronous action.
func TestMayMoveAction(t *testing.T) {
	t.Parallel()
	who := map[string]*auth.Principal{
		"anonymous":      nil,
		"viewer":         {User: "v", Role: auth.RoleViewer, Method: auth.MethodToken},
		"requester":      {User: "r", Role: auth.RoleRequester, Method: auth.MethodSession},
		"approver":       {User: "a", Role: auth.RoleApprover, Method: auth.MethodSession},
		"admin":          {User: "root", Role: auth.RoleAdmin, Method: auth.MethodToken},
		"callback":       {Role: auth.RoleApprover, Method: auth.MethodCallback, ActionID: "a1"},
		"other callback": {Role: auth.RoleApprover, Method: auth.MethodCallback, ActionID: "a2"},
		"auth off":       offPrincipal,
	}
	states := []engine.State{engine.StateSuccess, engine.StateError, engine.StateCancelled, engine.StatePaused, engine.StateRunning}
	for name, p := range who {
		for _, to := range states {
			for _, async := range []bool{true, false} {
				result := to == engine.StateSuccess || to == engine.StateError
				var want bool
				switch name {
				case "admin", "auth off":
					want = true
				case "approver", "callback":
					want = result && async
				}
				err := MayMoveAction(p, "a1", async, to)
				if got := err == nil; got != want {
					t.Errorf("%s moving a1 (async %v) to %s: allowed %v, want %v (%v)", name, async, to, got, want, err)
				}
				if err != nil && fault.Code(err) != fault.EFORBIDDEN {
					t.Errorf("%s to %s: code %s, want %s", name, to, fault.Code(err), fault.EFORBIDDEN)
				}
			}
		}
	}
}
