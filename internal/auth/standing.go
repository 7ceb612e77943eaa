package auth

import (
	"context"
	"fmt"

	"github.com/sirocco-project/sirocco/internal/fault"
)

// MayStart tells whether the account user may still start executions, as
// a cron trigger asks before each firing (its executions are its
// creator's): "" when the account exists and its role, or a group's, is
// requester or above; else the reason it may not.
func (s *Service) MayStart(ctx context.Context, user string) (reason string, err error) {
	u, err := s.store.GetUser(ctx, user)
	if fault.Code(err) == fault.ENOTFOUND {
		return fmt.Sprintf("Its creator %s was deleted: a trigger starts executions only as an account that may start them.", user), nil
	}
	if err != nil {
		return "", fmt.Errorf("read account %s: %w", user, err)
	}
	if r := u.Effective(); !r.Allows(RoleRequester) {
		return fmt.Sprintf("Its creator %s is a %s now: starting executions needs the requester role or above.", user, r), nil
	}
	return "", nil
}
