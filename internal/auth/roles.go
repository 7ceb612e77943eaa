package auth

import (
	"sort"
	"strings"

	"github.com/sirocco-project/sirocco/internal/fault"
)

// Role is what an account may do. Each role includes the ones below it.
type Role string

const (
	// RoleViewer reads everything: workflows, executions, tasks, actions.
	RoleViewer Role = "viewer"
	// RoleApprover also decides actions: callbacks and dashboard decisions.
	RoleApprover Role = "approver"
	// RoleAdmin also manages workflows, executions, users, groups and tokens.
	RoleAdmin Role = "admin"
)

// Roles lists the roles, weakest first.
var Roles = []Role{RoleViewer, RoleApprover, RoleAdmin}

func (r Role) rank() int {
	switch r {
	case RoleViewer:
		return 1
	case RoleApprover:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// Allows reports whether r includes need.
func (r Role) Allows(need Role) bool { return r.rank() > 0 && r.rank() >= need.rank() }

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if r.rank() == 0 {
		return "", fault.Errorf(fault.EINVALID, "Unknown role %q: want admin, approver or viewer.", s)
	}
	return r, nil
}

func maxRole(a, b Role) Role {
	if b.rank() > a.rank() {
		return b
	}
	return a
}

func minRole(a, b Role) Role {
	if b.rank() < a.rank() {
		return b
	}
	return a
}

// SortedRoles returns role names for messages.
func SortedRoles() []string {
	out := make([]string, len(Roles))
	for i, r := range Roles {
		out[i] = string(r)
	}
	sort.Strings(out)
	return out
}
