package auth

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/sirocco-project/sirocco/internal/fault"
	"golang.org/x/crypto/bcrypt"
)

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 8

// maxPasswordBytes is what bcrypt reads of a password.
const maxPasswordBytes = 72

// commonPasswordList holds the 10,000 commonest passwords, commonest
// first, lower case, one a line after '#' comments: zxcvbn's list as
// Debian ships it, written by scripts/common-passwords.sh (which records
// the source and its MIT licence). A list rather than a strength
// estimator, as NIST SP 800-63B and ASVS 2.1.7 ask: a blocklist of known
// passwords, no composition rules.
//
//go:embed common_passwords.txt
var commonPasswordList string

// commonPasswords is the list sorted, for binary search; its strings
// share the embedded text.
var commonPasswords = sync.OnceValue(func() []string {
	var out []string
	for line := range strings.SplitSeq(commonPasswordList, "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	slices.Sort(out)
	return out
})

// CheckPassword says whether a password may be set: at least
// MinPasswordLength characters and at most 72 bytes, not one character
// repeated, and not among the 10,000 commonest passwords in any case. The
// error is EINVALID and names the rule.
func CheckPassword(password string) error {
	if len(password) < MinPasswordLength {
		return fault.Errorf(fault.EINVALID, "The password is too short: use at least %d characters.", MinPasswordLength)
	}
	if len(password) > maxPasswordBytes {
		return fault.Errorf(fault.EINVALID, "The password is too long: use at most %d bytes.", maxPasswordBytes)
	}
	if r := []rune(password); strings.Count(password, string(r[0])) == len(r) {
		return fault.Errorf(fault.EINVALID, "The password is one character repeated: choose another.")
	}
	if _, common := slices.BinarySearch(commonPasswords(), strings.ToLower(password)); common {
		return fault.Errorf(fault.EINVALID, "The password is one of the 10,000 most common passwords, which are guessed first: choose another.")
	}
	return nil
}

// errBadLogin is the one answer to a wrong name or password, so that
// nobody learns which accounts exist.
var errBadLogin = fault.Errorf(fault.EUNAUTHORIZED, "The username or password is not correct.")

// hash checks a new password (CheckPassword) and hashes it.
func (s *Service) hash(password string) (string, error) {
	if err := CheckPassword(password); err != nil {
		return "", err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), s.cost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// Login checks a name and password from a client at addr, through the
// login throttle (see LimitConfig): an attempt that comes too soon gets a
// *ThrottledError (matching ErrTooManyAttempts) without a check.
func (s *Service) Login(ctx context.Context, name, password, addr string) (*User, error) {
	at, err := s.limiter.begin(ctx, name, addr)
	if err != nil {
		if errors.Is(err, ErrTooManyAttempts) {
			s.log.Warn("login refused: too many failures", "user", name, "addr", addr)
		}
		return nil, err
	}
	var u *User
	if nameRE.MatchString(name) { // no account has another name (checkName)
		if u, err = s.store.GetUser(ctx, name); err != nil && fault.Code(err) != fault.ENOTFOUND {
			return nil, err
		}
	}
	hash := s.dummyHash()
	if u != nil {
		hash = u.PasswordHash
	}
	// Compare even for a missing user, so that timing does not tell
	// which names exist.
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil || u == nil {
		s.log.Info("login failed", "user", name, "addr", addr)
		if err := s.limiter.failed(ctx, name, addr); err != nil {
			return nil, err
		}
		return nil, errBadLogin
	}
	if err := s.limiter.succeed(ctx, name, addr, at); err != nil {
		return nil, err
	}
	return u, nil
}
