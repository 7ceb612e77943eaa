package auth

import (
	"testing"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// TestMayMoveAction walks the transition rule: role × target state ×
// synchronous or asynchronous action.
func TestMayMoveAction(t *testing.T) {
	t.Parallel()
	who := map[string]*Principal{
		"anonymous":      nil,
		"viewer":         {User: "v", Role: RoleViewer, Method: MethodToken},
		"approver":       {User: "a", Role: RoleApprover, Method: MethodSession},
		"admin":          {User: "root", Role: RoleAdmin, Method: MethodToken},
		"callback":       {Role: RoleApprover, Method: MethodCallback, ActionID: "a1"},
		"other callback": {Role: RoleApprover, Method: MethodCallback, ActionID: "a2"},
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
				err := p.MayMoveAction("a1", async, to)
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
