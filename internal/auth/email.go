package auth

import (
	"context"
	"net/mail"
	"strings"

	"github.com/sirocco-project/sirocco/internal/fault"
)

// An account may have an email address (User.Email): where the approvers'
// mail goes, with the person's own decision link. Only admins set it.

// EmailTx sets an account's email address.
type EmailTx interface {
	// SetUserEmail sets user name's address ("" for none).
	SetUserEmail(ctx context.Context, name, email string) error
}

// MaxEmail bounds an address (RFC 5321's path limit).
const MaxEmail = 254

// CheckEmail accepts "" (none) or one bare address, such as
// ann@example.com: no display name, no list, nothing around it.
func CheckEmail(email string) error {
	if email == "" {
		return nil
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Name != "" || a.Address != email || len(email) > MaxEmail || strings.ContainsAny(email, " \t\r\n") {
		return fault.Errorf(fault.EINVALID, "Invalid email %q: give one address such as ann@example.com (at most %d characters), or nothing.", keyText(email), MaxEmail)
	}
	return nil
}

// SetEmail sets a user's email address ("" removes it), as by in the
// audit trail, which records that it changed, not the address.
func (s *Service) SetEmail(ctx context.Context, by Actor, name, email string) error {
	email = strings.TrimSpace(email)
	if err := CheckEmail(email); err != nil {
		return err
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		u, err := getUser(ctx, tx, name)
		if err != nil {
			return err
		}
		if u.Email == email {
			return nil
		}
		if err := tx.SetUserEmail(ctx, name, email); err != nil {
			return err
		}
		what := "email set"
		if email == "" {
			what = "email removed"
		}
		return s.audit(ctx, tx, by, "update user %s: %s", name, what)
	})
	if err != nil {
		return err
	}
	s.log.Info("user email updated", "user", name, "set", email != "")
	return nil
}
