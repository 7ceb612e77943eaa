package auth_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// TestNamesWithNUL: names holding a NUL character or bytes that are not
// UTF-8 are refused naming the field (PostgreSQL's text cannot hold
// them, and both stores must behave alike), and a login or lookup by
// such a name is answered without asking the store.
func TestNamesWithNUL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newService(t, nil)
	if _, err := s.CreateUser(ctx, testActor, "bob", auth.RoleViewer, "bob-password"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateGroup(ctx, testActor, "ops", auth.RoleViewer); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		what string
		err  error
		want string
	}{
		{"token name with NUL", second(s.CreateToken(ctx, testActor, "bob", "bot\x00", auth.RoleViewer, auth.KindAPI, 0)), "name holds a NUL character (U+0000)"},
		{"token name not UTF-8", second(s.CreateToken(ctx, testActor, "bob", "bot\xff", auth.RoleViewer, auth.KindAPI, 0)), "name holds bytes that are not UTF-8"},
		{"member with NUL", s.SetMember(ctx, testActor, "ops", "bob\x00", true), "user holds a NUL character (U+0000)"},
		{"group with NUL", s.SetMember(ctx, testActor, "ops\x00", "bob", true), "group holds a NUL character (U+0000)"},
		{"user name with NUL", first(s.CreateUser(ctx, testActor, "b\x00b", auth.RoleViewer, "bob-password")), "Invalid user name"},
	} {
		if fault.Code(tc.err) != fault.EINVALID || !strings.Contains(fault.Message(tc.err), tc.want) {
			t.Errorf("%s: %v (%s), want EINVALID containing %q", tc.what, tc.err, fault.Code(tc.err), tc.want)
		}
	}
	if _, err := s.GetUser(ctx, "bob\x00"); fault.Code(err) != fault.ENOTFOUND {
		t.Errorf("GetUser with a NUL: %v, want not found", err)
	}
	if _, err := s.Login(ctx, "bob\x00", "bob-password", "127.0.0.1"); fault.Code(err) != fault.EUNAUTHORIZED {
		t.Errorf("login with a NUL in the name: %v (%s), want a bad login", err, fault.Code(err))
	}
}

func first[A any](_ A, err error) error { return err }

func second[A, B any](_ A, _ B, err error) error { return err }
