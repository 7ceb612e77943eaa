package auth_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// testActor is the admin of the tests, as guard.Actor makes one.
var testActor = auth.Actor{User: "root", Groups: []string{"ops"}, Channel: "api", Addr: "192.0.2.9"}

// TestAuditAccounts: every administrative change to accounts leaves one
// record naming who did what from where, never a secret; a refused
// change and a Keystone login leave none.
func TestAuditAccounts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, st := newService(t, nil)
	if _, err := s.Init(ctx, "admin-password"); err != nil {
		t.Fatal(err)
	}
	var token string
	steps := []struct {
		do   func() error
		want string
	}{
		{func() error {
			_, err := s.CreateUser(ctx, testActor, "bob", auth.RoleViewer, "bob-password")
			return err
		}, "create user bob (role viewer)"},
		{func() error { return s.UpdateUser(ctx, testActor, "bob", auth.RoleApprover, "") }, "update user bob: role approver, was viewer"},
		{func() error { return s.UpdateUser(ctx, testActor, "bob", auth.RoleApprover, "bob-new-password") },
			"update user bob: role approver; password reset"},
		{func() error { return s.CreateGroup(ctx, testActor, "ops", auth.RoleApprover) }, "create group ops (role approver)"},
		{func() error { return s.SetMember(ctx, testActor, "ops", "bob", true) }, "add user bob to group ops"},
		{func() error { return s.SetMember(ctx, testActor, "ops", "bob", false) }, "remove user bob from group ops"},
		{func() error {
			var err error
			token, _, err = s.CreateToken(ctx, testActor, "bob", "bob's bot", auth.RoleViewer, auth.KindAPI, 0)
			return err
		}, `create API token `},
		{func() error {
			return s.ChangePassword(ctx, auth.Actor{User: "bob", Channel: "dashboard", Addr: "192.0.2.10"}, "bob-new-password", "bob-own-password", "")
		}, "change own password (user bob)"},
		{func() error { return s.DeleteGroup(ctx, testActor, "ops") }, "delete group ops"},
		{func() error { return s.DeleteUser(ctx, testActor, "bob") }, "delete user bob (role approver)"},
	}
	records := func() []*engine.AuditRecord {
		recs, err := st.AuditRecords(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		return recs
	}
	first := records()
	if len(first) != 1 || first[0].Reason != "create user admin (role admin)" || first[0].Channel != "server" || first[0].Actor != "" {
		t.Fatalf("the first admin's record: %+v", first)
	}
	for i, step := range steps {
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.want, err)
		}
		recs := records()
		if len(recs) != i+2 {
			t.Fatalf("after %q: %d records, want %d", step.want, len(recs), i+2)
		}
		r := recs[i+1]
		if !strings.HasPrefix(r.Reason, step.want) || r.Kind != engine.AuditAdmin || r.Outcome != engine.AuditAccepted {
			t.Errorf("record %d: %q (%s, %s), want %q", r.Seq, r.Reason, r.Kind, r.Outcome, step.want)
		}
		wantBy := testActor
		if strings.HasPrefix(step.want, "change own password") {
			wantBy = auth.Actor{User: "bob", Channel: "dashboard", Addr: "192.0.2.10"}
		}
		if r.Actor != wantBy.User || r.Channel != wantBy.Channel || r.Addr != wantBy.Addr || strings.Join(r.Groups, ",") != strings.Join(wantBy.Groups, ",") {
			t.Errorf("record %d by %q %v via %s from %s, want %+v", r.Seq, r.Actor, r.Groups, r.Channel, r.Addr, wantBy)
		}
		for _, secret := range []string{"bob-password", "bob-new-password", "bob-own-password", token} {
			if secret != "" && strings.Contains(r.Reason+r.Comment+r.AnswerJSON, secret) {
				t.Errorf("record %d holds a secret: %q", r.Seq, r.Reason)
			}
		}
	}
	n := len(records())
	// Refused: the last admin cannot go; nothing happened, nothing is recorded.
	if err := s.DeleteUser(ctx, testActor, "admin"); fault.Code(err) != fault.ECONFLICT {
		t.Fatalf("deleting the last admin: %v", err)
	}
	// A Keystone login (the mistral CLI) is not an administrative change.
	u, err := s.Login(ctx, "admin", "admin-password", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.KeystoneToken(ctx, u); err != nil {
		t.Fatal(err)
	}
	if got := len(records()); got != n {
		t.Errorf("%d records after a refused change and a login, want %d", got, n)
	}
}
