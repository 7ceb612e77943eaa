package guard

import (
	"reflect"
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

// TestDeciderOf: who a vote is from, for each kind of principal.
func TestDeciderOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    *auth.Principal
		want *engine.Decider
	}{
		{"none", nil, nil},
		{"callback token", &auth.Principal{Role: auth.RoleApprover, Method: auth.MethodCallback, ActionID: "a1"}, nil},
		{"token without a user", &auth.Principal{Role: auth.RoleAdmin, Method: auth.MethodToken}, nil},
		{"auth off", offPrincipal, &engine.Decider{Role: "admin", MayDecide: true, Admin: true, Channel: "api", Addr: "192.0.2.1"}},
		{"requester", &auth.Principal{User: "rita", Role: auth.RoleRequester, Method: auth.MethodSession},
			&engine.Decider{User: "rita", Role: "requester", Channel: "api", Addr: "192.0.2.1"}},
		{"approver in groups", &auth.Principal{User: "ann", Groups: []string{"finance", "security"}, Role: auth.RoleApprover, Method: auth.MethodToken},
			&engine.Decider{User: "ann", Groups: []string{"finance", "security"}, Role: "approver", MayDecide: true, Channel: "api", Addr: "192.0.2.1"}},
		{"admin", &auth.Principal{User: "root", Role: auth.RoleAdmin, Method: auth.MethodSession},
			&engine.Decider{User: "root", Role: "admin", MayDecide: true, Admin: true, Channel: "api", Addr: "192.0.2.1"}},
	}
	for _, tt := range tests {
		if got := DeciderOf(tt.p, "api", "192.0.2.1"); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}
