package storetest

import (
	"context"
	"testing"

	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// testUserEmail: an account's email address is written at creation and
// by SetUserEmail, read back by GetUser and ListUsers (also for a member
// of groups, whose rows the list joins), and cleared with ""; setting one
// for a missing account is ENOTFOUND.
func testUserEmail(t *testing.T, h Harness) {
	ctx := context.Background()
	_, a := h.Open(t)
	if err := updateAccounts(a, func(tx auth.Tx) error {
		if err := tx.CreateUser(ctx, &auth.User{Name: "ann", Role: auth.RoleApprover, PasswordHash: "h", CreatedAt: t0, Email: "ann@example.com"}); err != nil {
			return err
		}
		if err := tx.CreateUser(ctx, &auth.User{Name: "bob", Role: auth.RoleApprover, PasswordHash: "h", CreatedAt: t0}); err != nil {
			return err
		}
		for _, g := range []string{"finance", "ops"} {
			if err := tx.CreateGroup(ctx, &auth.Group{Name: g, Role: auth.RoleViewer, CreatedAt: t0}); err != nil {
				return err
			}
			if err := tx.SetMember(ctx, g, "bob", true); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	emails := func() map[string]string {
		t.Helper()
		users, err := a.ListUsers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, u := range users {
			out[u.Name] = u.Email
		}
		return out
	}
	if got := emails(); got["ann"] != "ann@example.com" || got["bob"] != "" || len(got) != 2 {
		t.Errorf("listed after creation: %v", got)
	}
	if err := updateAccounts(a, func(tx auth.Tx) error { return tx.SetUserEmail(ctx, "bob", "bob@example.com") }); err != nil {
		t.Fatal(err)
	}
	if err := updateAccounts(a, func(tx auth.Tx) error { return tx.SetUserEmail(ctx, "ann", "") }); err != nil {
		t.Fatal(err)
	}
	if got := emails(); got["ann"] != "" || got["bob"] != "bob@example.com" {
		t.Errorf("listed after the changes: %v", got)
	}
	u, err := a.GetUser(ctx, "bob")
	if err != nil || u.Email != "bob@example.com" || len(u.Groups) != 2 {
		t.Errorf("GetUser(bob) = %+v, %v", u, err)
	}
	// A transaction reads its own write.
	if err := updateAccounts(a, func(tx auth.Tx) error {
		if err := tx.SetUserEmail(ctx, "ann", "ann@corp.example"); err != nil {
			return err
		}
		u, err := tx.GetUser(ctx, "ann")
		if err == nil && u.Email != "ann@corp.example" {
			t.Errorf("in the transaction: %q", u.Email)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := updateAccounts(a, func(tx auth.Tx) error { return tx.SetUserEmail(ctx, "nobody", "x@example.com") }); fault.Code(err) != fault.ENOTFOUND {
		t.Errorf("SetUserEmail of a missing user: %v, want ENOTFOUND", err)
	}
}
