package auth

import (
	"context"
	"time"

	"github.com/sirocco-project/sirocco/internal/fault"
)

// Group gives its members a role.
type Group struct {
	Name      string
	Role      Role
	Members   []string
	CreatedAt time.Time
}

// CreateGroup adds a group that gives its members role, as by in the
// audit trail.
func (s *Service) CreateGroup(ctx context.Context, by Actor, name string, role Role) error {
	if err := checkName("group", name); err != nil {
		return err
	}
	if role.rank() == 0 {
		return unknownRole(string(role))
	}
	g := &Group{Name: name, Role: role, CreatedAt: s.now().UTC()}
	err := s.updateAccounts(ctx, func(tx Tx) error {
		if err := tx.CreateGroup(ctx, g); err != nil {
			return err
		}
		return s.audit(ctx, tx, by, "create group %s (role %s)", name, role)
	})
	if err != nil {
		if fault.Code(err) == fault.ECONFLICT {
			return fault.Errorf(fault.ECONFLICT, "A group named %q already exists.", name)
		}
		return err
	}
	s.log.Info("group created", "group", name, "role", role)
	return nil
}

// ListGroups lists groups by name, with their members.
func (s *Service) ListGroups(ctx context.Context) ([]*Group, error) { return s.store.ListGroups(ctx) }

// DeleteGroup removes a group (its members keep their own roles), as by
// in the audit trail.
func (s *Service) DeleteGroup(ctx context.Context, by Actor, name string) error {
	err := s.updateAccounts(ctx, func(tx Tx) error {
		if err := tx.DeleteGroup(ctx, name); err != nil {
			return err
		}
		return s.audit(ctx, tx, by, "delete group %s", name)
	})
	if err != nil {
		if fault.Code(err) == fault.ENOTFOUND {
			return fault.Errorf(fault.ENOTFOUND, "Group not found [name=%s]", name)
		}
		return err
	}
	s.log.Info("group deleted", "group", name)
	return nil
}

// SetMember adds user to group, or removes it, as by in the audit trail.
func (s *Service) SetMember(ctx context.Context, by Actor, group, user string, member bool) error {
	for _, f := range [][2]string{{"group", group}, {"user", user}} {
		if err := fault.CheckText(f[0], f[1]); err != nil {
			return err
		}
	}
	err := s.updateAccounts(ctx, func(tx Tx) error {
		if err := tx.SetMember(ctx, group, user, member); err != nil {
			return err
		}
		if member {
			return s.audit(ctx, tx, by, "add user %s to group %s", user, group)
		}
		return s.audit(ctx, tx, by, "remove user %s from group %s", user, group)
	})
	if err != nil {
		if fault.Code(err) == fault.ENOTFOUND {
			return fault.Errorf(fault.ENOTFOUND, "No such group %q or user %q.", group, user)
		}
		return err
	}
	s.log.Info("group membership changed", "group", group, "user", user, "member", member)
	return nil
}
