package auth

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Deciders returns the accounts an approval's approvers entries name
// ("user:<name>", "group:<name>"), each once, sorted by name, as the
// channels that reach people (mail, decision links) need them. No entries
// means every account that may decide (the approver role or above). Names
// of accounts or groups that do not exist are left out; so are accounts
// below the approver role, who could not decide anyway.
func (s *Service) Deciders(ctx context.Context, approvers []string) ([]*User, error) {
	users, err := s.store.ListUsers(ctx)
	if err != nil {
		return nil, fmt.Errorf("list the deciders: %w", err)
	}
	var out []*User
	for _, u := range users {
		if !u.Effective().Allows(RoleApprover) {
			continue
		}
		if len(approvers) == 0 || slices.ContainsFunc(approvers, func(a string) bool { return names(u, a) }) {
			out = append(out, u)
		}
	}
	slices.SortFunc(out, func(a, b *User) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// names reports whether approvers entry a names u.
func names(u *User, a string) bool {
	if name, ok := strings.CutPrefix(a, "user:"); ok {
		return u.Name == name
	}
	if g, ok := strings.CutPrefix(a, "group:"); ok {
		return slices.Contains(u.GroupNames(), g)
	}
	return false
}
