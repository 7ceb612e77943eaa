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
	// RoleRequester also starts executions, so that the people who ask
	// for something need not be admins; it decides nothing and changes no
	// definition.
	RoleRequester Role = "requester"
	// RoleApprover also decides actions: callbacks and dashboard decisions.
	RoleApprover Role = "approver"
	// RoleAdmin also manages workflows, executions, users, groups and tokens.
	RoleAdmin Role = "admin"
)

// Roles lists the roles, weakest first.
var Roles = []Role{RoleViewer, RoleRequester, RoleApprover, RoleAdmin}

func (r Role) rank() int {
	switch r {
	case RoleViewer:
		return 1
	case RoleRequester:
		return 2
	case RoleApprover:
		return 3
	case RoleAdmin:
		return 4
	}
	return 0
}

// Allows reports whether r includes need.
func (r Role) Allows(need Role) bool { return r.rank() > 0 && r.rank() >= need.rank() }

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if r.rank() == 0 {
		return "", unknownRole(s)
	}
	return r, nil
}

// unknownRole is the refusal of a role name that is none of Roles.
func unknownRole(s string) error {
	return fault.Errorf(fault.EINVALID, "Unknown role %q: want admin, approver, requester or viewer.", s)
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
