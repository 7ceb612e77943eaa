package auth_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/auth"
)

// TestMayStart: an account with the requester role (its own or a
// group's) may start executions; demoted to viewer, or deleted, it may
// not, and the reason says which.
func TestMayStart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newService(t, func() time.Time { return time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC) })
	var by auth.Actor
	if _, err := s.CreateUser(ctx, by, "bob", auth.RoleRequester, "a long enough password 1"); err != nil {
		t.Fatal(err)
	}
	check := func(want string) {
		t.Helper()
		reason, err := s.MayStart(ctx, "bob")
		if err != nil {
			t.Fatal(err)
		}
		if (want == "") != (reason == "") || !strings.Contains(reason, want) {
			t.Errorf("MayStart(bob) = %q, want %q", reason, want)
		}
	}
	check("")
	if err := s.UpdateUser(ctx, by, "bob", auth.RoleViewer, ""); err != nil {
		t.Fatal(err)
	}
	check("is a viewer now")
	if err := s.CreateGroup(ctx, by, "ops", auth.RoleApprover); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMember(ctx, by, "ops", "bob", true); err != nil {
		t.Fatal(err)
	}
	check("")
	if err := s.DeleteUser(ctx, by, "bob"); err != nil {
		t.Fatal(err)
	}
	check("was deleted")
}

// TestDeciders: approvers entries name accounts directly and through
// groups, each once; no entries means everyone who may decide; accounts
// below the approver role and unknown names are left out.
func TestDeciders(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newService(t, func() time.Time { return time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC) })
	var by auth.Actor
	for name, role := range map[string]auth.Role{"ann": auth.RoleApprover, "bob": auth.RoleRequester, "cid": auth.RoleAdmin, "dee": auth.RoleViewer} {
		if _, err := s.CreateUser(ctx, by, name, role, "a long enough password 1"); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateGroup(ctx, by, "ops", auth.RoleApprover); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"ann", "bob"} {
		if err := s.SetMember(ctx, by, "ops", u, true); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		approvers []string
		want      string
	}{
		{nil, "ann bob cid"}, // bob is an approver through ops; dee only views
		{[]string{"group:ops", "user:ann"}, "ann bob"},
		{[]string{"user:cid", "user:dee", "user:nobody", "group:none"}, "cid"},
	} {
		users, err := s.Deciders(ctx, tt.approvers)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, u := range users {
			got = append(got, u.Name)
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("Deciders(%v) = %v, want %s", tt.approvers, got, tt.want)
		}
	}
}
