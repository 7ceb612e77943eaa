package auth

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/sirocco-project/sirocco/internal/fault"
)

// User is an account. Its effective role is the strongest of its own and
// its groups'.
type User struct {
	Name         string
	Role         Role
	PasswordHash string
	Groups       []Group // name and role of each group it belongs to
	CreatedAt    time.Time
	// Email is where the approvers' mail goes; "" for none (email.go).
	Email string
}

// GroupNames lists the names of the user's groups.
func (u *User) GroupNames() []string {
	if len(u.Groups) == 0 {
		return nil
	}
	out := make([]string, len(u.Groups))
	for i, g := range u.Groups {
		out[i] = g.Name
	}
	return out
}

// Effective is the strongest of the user's role and its groups' roles.
func (u *User) Effective() Role {
	r := u.Role
	for _, g := range u.Groups {
		r = maxRole(r, g.Role)
	}
	return r
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

func checkName(what, name string) error {
	if !nameRE.MatchString(name) {
		return fault.Errorf(fault.EINVALID, "Invalid %s name %q: use 1 to 64 letters, digits, '.', '_', '@' or '-'.", what, name)
	}
	return nil
}

// CreateUser adds an account, as by in the audit trail.
func (s *Service) CreateUser(ctx context.Context, by Actor, name string, role Role, password string) (*User, error) {
	return s.CreateUserWithEmail(ctx, by, name, role, password, "")
}

// CreateUserWithEmail is CreateUser for an account with an email address
// ("" for none; see CheckEmail).
func (s *Service) CreateUserWithEmail(ctx context.Context, by Actor, name string, role Role, password, email string) (*User, error) {
	if err := checkName("user", name); err != nil {
		return nil, err
	}
	email = strings.TrimSpace(email)
	if err := CheckEmail(email); err != nil {
		return nil, err
	}
	if role.rank() == 0 {
		return nil, unknownRole(string(role))
	}
	h, err := s.hash(password)
	if err != nil {
		return nil, err
	}
	u := &User{Name: name, Role: role, PasswordHash: h, CreatedAt: s.now().UTC(), Email: email}
	err = s.updateAccounts(ctx, func(tx Tx) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		return s.audit(ctx, tx, by, "create user %s (role %s)", name, role)
	})
	if err != nil {
		if fault.Code(err) == fault.ECONFLICT {
			return nil, fault.Errorf(fault.ECONFLICT, "A user named %q already exists.", name)
		}
		return nil, err
	}
	s.log.Info("user created", "user", name, "role", role)
	return u, nil
}

// UpdateUser changes a user's role and, if password is not empty, its
// password. A new password ends all the user's dashboard sessions and
// Keystone tokens (API tokens, which an admin names and revokes, stay).
// Demoting the last admin is refused, in the transaction that would
// demote it. The audit trail records the change, as by, and whether the
// password was reset (never the password).
func (s *Service) UpdateUser(ctx context.Context, by Actor, name string, role Role, password string) error {
	if role.rank() == 0 {
		return unknownRole(string(role))
	}
	// Hash before the transaction (bcrypt is slow); a refused password is
	// told after the account and the last-admin checks, as it always was.
	var h string
	var pwErr error
	if password != "" {
		h, pwErr = s.hash(password)
	}
	var ended []string
	err := s.updateAccounts(ctx, func(tx Tx) (err error) {
		ended = nil
		u, err := getUser(ctx, tx, name)
		if err != nil {
			return err
		}
		if u.Role == RoleAdmin && role != RoleAdmin {
			if err := keepAnAdmin(ctx, tx, name); err != nil {
				return err
			}
		}
		if pwErr != nil {
			return pwErr
		}
		if err := tx.UpdateUser(ctx, name, role, h); err != nil {
			return err
		}
		what := fmt.Sprintf("update user %s: role %s", name, role)
		if u.Role != role {
			what = fmt.Sprintf("update user %s: role %s, was %s", name, role, u.Role)
		}
		if password != "" {
			what += "; password reset"
			if ended, err = endLogins(ctx, tx, name, ""); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, by, "%s", what)
	})
	if err != nil {
		return err
	}
	s.log.Info("user updated", "user", name, "role", role, "password_changed", password != "")
	s.sessionsEnded(name, ended)
	return nil
}

// ChangePassword is a user (by.User) changing their own password from
// by.Addr: the current one must be right (the check is throttled as a
// login is), and the new one pass CheckPassword. It ends the user's other
// dashboard sessions and Keystone tokens; the session whose hash is
// keepSession stays. The audit trail records that it changed.
func (s *Service) ChangePassword(ctx context.Context, by Actor, current, password, keepSession string) error {
	name, addr := by.User, by.Addr
	if current == "" {
		return fault.Errorf(fault.EINVALID, "Enter your current password.")
	}
	if err := CheckPassword(password); err != nil {
		return err
	}
	u, err := s.Login(ctx, name, current, addr)
	if IsUnauthorized(err) {
		return fault.Errorf(fault.EINVALID, "The current password is not correct.")
	}
	if err != nil {
		return err
	}
	if password == current {
		return fault.Errorf(fault.EINVALID, "The new password is the current one: choose another.")
	}
	h, err := s.hash(password)
	if err != nil {
		return err
	}
	var ended []string
	err = s.updateAccounts(ctx, func(tx Tx) error {
		// The role is read again here: one an admin changed since the
		// login must not be written back.
		cur, err := getUser(ctx, tx, u.Name)
		if err != nil {
			return err
		}
		if err := tx.UpdateUser(ctx, cur.Name, cur.Role, h); err != nil {
			return err
		}
		if ended, err = endLogins(ctx, tx, cur.Name, keepSession); err != nil {
			return err
		}
		return s.audit(ctx, tx, by, "change own password (user %s)", cur.Name)
	})
	if err != nil {
		return err
	}
	s.log.Info("password changed", "user", u.Name)
	s.sessionsEnded(u.Name, ended)
	return nil
}

// endLogins ends a user's dashboard sessions but keep ("" for all), and
// revokes its Keystone tokens: what a password change must end. It
// returns the hashes of the sessions it ended.
func endLogins(ctx context.Context, tx Tx, name, keep string) ([]string, error) {
	ended, err := tx.DeleteUserSessions(ctx, name, keep)
	if err != nil {
		return nil, fmt.Errorf("end the sessions of %s: %w", name, err)
	}
	if err := tx.DeleteUserTokens(ctx, name, KindKeystone); err != nil {
		return nil, fmt.Errorf("revoke the Keystone tokens of %s: %w", name, err)
	}
	return ended, nil
}

// sessionsEnded tells SessionEnded of the sessions a committed change
// ended.
func (s *Service) sessionsEnded(name string, ended []string) {
	if len(ended) > 0 {
		s.log.Info("sessions ended", "user", name, "count", len(ended))
	}
	if s.sessionEnded != nil {
		for _, h := range ended {
			s.sessionEnded(h)
		}
	}
}

// keepAnAdmin refuses to remove the last account with the admin role. It
// reads in the transaction of the removal, so that two removals cannot
// each see the other's admin and both go ahead.
func keepAnAdmin(ctx context.Context, tx Tx, leaving string) error {
	users, err := tx.ListUsers(ctx)
	if err != nil {
		return err
	}
	for _, u := range users {
		if u.Name != leaving && u.Role == RoleAdmin {
			return nil
		}
	}
	return fault.Errorf(fault.ECONFLICT, "%q is the last admin: make another user admin first.", leaving)
}

// DeleteUser removes an account with its tokens and sessions, as by in
// the audit trail (whose records about the user stay). Deleting the last
// admin is refused, in the transaction that would delete it.
func (s *Service) DeleteUser(ctx context.Context, by Actor, name string) error {
	var ended []string
	err := s.updateAccounts(ctx, func(tx Tx) (err error) {
		u, err := getUser(ctx, tx, name)
		if err != nil {
			return err
		}
		if u.Role == RoleAdmin {
			if err := keepAnAdmin(ctx, tx, name); err != nil {
				return err
			}
		}
		// Its sessions go with it (the store cascades); ending them here
		// names them, so that their live connections close.
		if ended, err = tx.DeleteUserSessions(ctx, name, ""); err != nil {
			return fmt.Errorf("end the sessions of %s: %w", name, err)
		}
		if err := tx.DeleteUser(ctx, name); err != nil {
			return err
		}
		return s.audit(ctx, tx, by, "delete user %s (role %s)", name, u.Role)
	})
	if err != nil {
		return err
	}
	s.log.Info("user deleted", "user", name)
	s.sessionsEnded(name, ended)
	return nil
}

// GetUser returns an account.
func (s *Service) GetUser(ctx context.Context, name string) (*User, error) {
	return getUser(ctx, s.store, name)
}

// getUser reads an account, in a transaction or not.
func getUser(ctx context.Context, r Reader, name string) (*User, error) {
	if !nameRE.MatchString(name) {
		// No account has such a name (checkName), and one holding NUL
		// would make PostgreSQL refuse the query where SQLite finds no
		// row: answered here, the same on both.
		return nil, fault.Errorf(fault.ENOTFOUND, "User not found [name=%s]", keyText(name))
	}
	u, err := r.GetUser(ctx, name)
	if fault.Code(err) == fault.ENOTFOUND {
		return nil, fault.Errorf(fault.ENOTFOUND, "User not found [name=%s]", name)
	}
	return u, err
}

// ListUsers lists accounts by name.
func (s *Service) ListUsers(ctx context.Context) ([]*User, error) { return s.store.ListUsers(ctx) }
