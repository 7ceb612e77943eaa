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

// CreateGroup adds a group that gives its members role.
func (s *Service) CreateGroup(ctx context.Context, name string, role Role) error {
	if err := checkName("group", name); err != nil {
		return err
	}
	if role.rank() == 0 {
		return unknownRole(string(role))
	}
	g := &Group{Name: name, Role: role, CreatedAt: s.now().UTC()}
	if err := s.store.Update(ctx, func(tx Tx) error { return tx.CreateGroup(ctx, g) }); err != nil {
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

// DeleteGroup removes a group (its members keep their own roles).
func (s *Service) DeleteGroup(ctx context.Context, name string) error {
	if err := s.store.Update(ctx, func(tx Tx) error { return tx.DeleteGroup(ctx, name) }); err != nil {
		if fault.Code(err) == fault.ENOTFOUND {
			return fault.Errorf(fault.ENOTFOUND, "Group not found [name=%s]", name)
		}
		return err
	}
	s.log.Info("group deleted", "group", name)
	return nil
}

// SetMember adds user to group, or removes it.
func (s *Service) SetMember(ctx context.Context, group, user string, member bool) error {
	if err := s.store.Update(ctx, func(tx Tx) error { return tx.SetMember(ctx, group, user, member) }); err != nil {
		if fault.Code(err) == fault.ENOTFOUND {
			return fault.Errorf(fault.ENOTFOUND, "No such group %q or user %q.", group, user)
		}
		return err
	}
	s.log.Info("group membership changed", "group", group, "user", user, "member", member)
	return nil
}
