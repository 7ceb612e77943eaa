package auth_test

import (
	"bufio"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/sqlite"
	"golang.org/x/crypto/bcrypt"
)

// TestCommonPasswordRefused: a password among the 10,000 commonest, in
// any case, is refused wherever a password is set, with a message naming
// the rule; an uncommon one is taken.
func TestCommonPasswordRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newService(t, nil)
	if _, err := s.Init(ctx, "admin-password"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, testActor, "bob", auth.RoleViewer, "bob-password"); err != nil {
		t.Fatal(err)
	}
	refused := func(what string, err error) {
		t.Helper()
		if fault.Code(err) != fault.EINVALID || !strings.Contains(fault.Message(err), "10,000 most common") {
			t.Errorf("%s: %v, want EINVALID naming the common-password rule", what, err)
		}
	}
	for _, pw := range []string{"password1", "Password1", "PASSWORD123", "qwertyuiop", "iloveyou", "Trustno1"} {
		_, err := s.CreateUser(ctx, testActor, "carol", auth.RoleViewer, pw)
		refused("CreateUser "+pw, err)
		refused("UpdateUser "+pw, s.UpdateUser(ctx, testActor, "bob", auth.RoleViewer, pw))
	}
	if _, err := s.Login(ctx, "bob", "bob-password", "127.0.0.1"); err != nil {
		t.Errorf("a refused change changed bob's password: %v", err)
	}
	if _, err := s.CreateUser(ctx, testActor, "carol", auth.RoleViewer, "correct horse battery staple"); err != nil {
		t.Errorf("an uncommon passphrase: %v", err)
	}
}

// TestEveryListedPasswordRefused: every entry of the embedded list long
// enough to pass the length rule is refused (so the file is the one the
// check reads, whole).
func TestEveryListedPasswordRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newService(t, nil)
	f, err := os.Open("common_passwords.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, checked := 0, 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		pw := sc.Text()
		if strings.HasPrefix(pw, "#") {
			continue
		}
		n++
		if len(pw) < auth.MinPasswordLength {
			continue
		}
		checked++
		if _, err := s.CreateUser(ctx, testActor, "u", auth.RoleViewer, strings.ToUpper(pw)); fault.Code(err) != fault.EINVALID {
			t.Fatalf("CreateUser(%q): %v, want EINVALID", strings.ToUpper(pw), err)
		}
	}
	if n != 10000 || checked < 3000 {
		t.Errorf("the list has %d passwords (%d of %d+ characters), want 10,000", n, checked, auth.MinPasswordLength)
	}
}

// TestWeakAdminPasswordRefused: a weak first-admin password stops Init,
// naming the variable it comes from, even when the admin exists already.
func TestWeakAdminPasswordRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, st := newService(t, nil)
	for _, pw := range []string{"password1", "aaaaaaaaaaaa", "short"} {
		if _, err := s.Init(ctx, pw); err == nil || !strings.Contains(err.Error(), "SIROCCO_ADMIN_PASSWORD") {
			t.Errorf("Init(%q): %v, want an error naming SIROCCO_ADMIN_PASSWORD", pw, err)
		}
	}
	if n, _ := st.Auth().CountUsers(ctx); n != 0 {
		t.Errorf("a refused Init created %d accounts", n)
	}
	if _, err := s.Init(ctx, "admin-password"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Init(ctx, "password1"); err == nil {
		t.Error("a weak SIROCCO_ADMIN_PASSWORD was accepted on a later start")
	}
}

// TestChangePassword: a user's own change needs the current password
// (throttled as a login), refuses weak or unchanged ones, and ends the
// user's other sessions and Keystone tokens while the current session and
// the API tokens stay; an admin's reset and a deletion end them all. The
// ended sessions are told to SessionEnded.
func TestChangePassword(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "c.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var ended []string
	s := auth.New(auth.Config{Store: st.Auth(), BcryptCost: bcrypt.MinCost, SessionEnded: func(h string) { ended = append(ended, h) }})
	if _, err := s.Init(ctx, "admin-password"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, testActor, "bob", auth.RoleViewer, "bob-password"); err != nil {
		t.Fatal(err)
	}
	bob, _ := s.GetUser(ctx, "bob")
	session := func() string {
		plain, _, err := s.NewSession(ctx, bob)
		if err != nil {
			t.Fatal(err)
		}
		return plain
	}
	current, other, third := session(), session(), session()
	keystone, _, _ := s.KeystoneToken(ctx, bob)
	apiToken, _, _ := s.CreateToken(ctx, testActor, "bob", "bob's bot", auth.RoleViewer, auth.KindAPI, 0)
	alive := func(what, plain string, want bool) {
		t.Helper()
		_, err := s.SessionPrincipal(ctx, plain)
		if strings.HasPrefix(what, "token") {
			_, _, err = s.Authenticate(ctx, plain)
		}
		if (err == nil) != want {
			t.Errorf("%s: %v, want alive=%v", what, err, want)
		}
	}
	const addr = "192.0.2.5"
	keep := auth.HashSecret(current)
	for _, c := range []struct{ current, new, want string }{
		{"", "a new bob passphrase", "Enter your current password"},
		{"bob-passwort", "a new bob passphrase", "current password is not correct"},
		{"bob-password", "iloveyou", "10,000 most common"},
		{"bob-password", "bob-password", "is the current one"},
	} {
		err := s.ChangePassword(ctx, auth.Actor{User: "bob", Addr: addr}, c.current, c.new, keep)
		if fault.Code(err) != fault.EINVALID || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ChangePassword(%q → %q): %v, want EINVALID saying %q", c.current, c.new, err, c.want)
		}
	}
	alive("another session after refused changes", other, true)
	if err := s.ChangePassword(ctx, auth.Actor{User: "bob", Addr: addr}, "bob-password", "a new bob passphrase", keep); err != nil {
		t.Fatal(err)
	}
	alive("the session that changed it", current, true)
	alive("another session", other, false)
	alive("a third session", third, false)
	alive("token: Keystone", keystone, false)
	alive("token: API", apiToken, true)
	if len(ended) != 2 || !slices.Contains(ended, auth.HashSecret(other)) || !slices.Contains(ended, auth.HashSecret(third)) {
		t.Errorf("SessionEnded heard %v, want the other two sessions' hashes", ended)
	}
	if _, err := s.Login(ctx, "bob", "bob-password", addr); err == nil {
		t.Error("the old password still logs in")
	}
	if _, err := s.Login(ctx, "bob", "a new bob passphrase", addr); err != nil {
		t.Errorf("the new password: %v", err)
	}
	// Guessing the current password is throttled as logins are.
	for range 5 {
		s.ChangePassword(ctx, auth.Actor{User: "bob", Addr: addr}, "guess", "another bob passphrase", keep)
	}
	if err := s.ChangePassword(ctx, auth.Actor{User: "bob", Addr: addr}, "a new bob passphrase", "another bob passphrase", keep); !errors.Is(err, auth.ErrTooManyAttempts) {
		t.Errorf("the 6th change after 5 wrong current passwords: %v, want ErrTooManyAttempts", err)
	}

	// An admin's reset ends every session, and the Keystone tokens.
	ended = nil
	keystone, _, _ = s.KeystoneToken(ctx, bob)
	if err := s.UpdateUser(ctx, testActor, "bob", auth.RoleViewer, ""); err != nil {
		t.Fatal(err)
	}
	alive("a session after a role change", current, true)
	if err := s.UpdateUser(ctx, testActor, "bob", auth.RoleViewer, "a reset bob passphrase"); err != nil {
		t.Fatal(err)
	}
	alive("a session after an admin reset", current, false)
	alive("token: Keystone after an admin reset", keystone, false)
	if len(ended) != 1 || ended[0] != keep {
		t.Errorf("SessionEnded heard %v after the reset, want [%s]", ended, keep)
	}
	// Deleting the account tells of its sessions too.
	ended = nil
	last := session()
	if err := s.DeleteUser(ctx, testActor, "bob"); err != nil {
		t.Fatal(err)
	}
	if len(ended) != 1 || ended[0] != auth.HashSecret(last) {
		t.Errorf("SessionEnded heard %v after deleting bob, want its session", ended)
	}
}
