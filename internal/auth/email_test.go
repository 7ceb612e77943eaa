package auth_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/fault"
)

func TestCheckEmail(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"", "ann@example.com", "ann.b+ops@mail.example.co.uk"} {
		if err := auth.CheckEmail(ok); err != nil {
			t.Errorf("CheckEmail(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"ann", "Ann <ann@example.com>", "ann@example.com, bob@example.com", "ann@example.com\r\nBcc: x@example.com",
		" ann@example.com", "@example.com", strings.Repeat("a", 250) + "@example.com"} {
		if err := auth.CheckEmail(bad); fault.Code(err) != fault.EINVALID || !strings.Contains(fault.Message(err), "Invalid email") {
			t.Errorf("CheckEmail(%q): %v, want EINVALID", bad, err)
		}
	}
}

// TestSetEmail: an account gets an address at creation or later, loses it
// with ""; a bad address changes nothing; the audit trail records the
// change, never the address.
func TestSetEmail(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, st := newService(t, nil)
	if _, err := s.CreateUserWithEmail(ctx, testActor, "ann", auth.RoleApprover, "ann-long-password", "not an address"); fault.Code(err) != fault.EINVALID {
		t.Fatalf("create with a bad address: %v, want EINVALID", err)
	}
	if _, err := s.GetUser(ctx, "ann"); fault.Code(err) != fault.ENOTFOUND {
		t.Fatalf("the refused account exists: %v", err)
	}
	if _, err := s.CreateUserWithEmail(ctx, testActor, "ann", auth.RoleApprover, "ann-long-password", " ann@example.com "); err != nil {
		t.Fatal(err)
	}
	email := func(name string) string {
		t.Helper()
		u, err := s.GetUser(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		return u.Email
	}
	if got := email("ann"); got != "ann@example.com" {
		t.Errorf("after creation: %q", got)
	}
	if err := s.SetEmail(ctx, testActor, "ann", "Ann <ann@corp.example>"); fault.Code(err) != fault.EINVALID {
		t.Errorf("a display name: %v, want EINVALID", err)
	}
	if err := s.SetEmail(ctx, testActor, "ann", "ann@corp.example"); err != nil {
		t.Fatal(err)
	}
	if got := email("ann"); got != "ann@corp.example" {
		t.Errorf("after SetEmail: %q", got)
	}
	if err := s.SetEmail(ctx, testActor, "ann", ""); err != nil || email("ann") != "" {
		t.Errorf("removed: %v, %q", err, email("ann"))
	}
	if err := s.SetEmail(ctx, testActor, "nobody", "x@example.com"); fault.Code(err) != fault.ENOTFOUND {
		t.Errorf("missing account: %v, want ENOTFOUND", err)
	}
	recs, err := st.AuditRecords(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for _, r := range recs {
		reasons = append(reasons, r.Reason)
		if strings.Contains(r.Reason, "@") {
			t.Errorf("the audit trail records an address: %q", r.Reason)
		}
	}
	joined := strings.Join(reasons, "\n")
	if !strings.Contains(joined, "update user ann: email set") || !strings.Contains(joined, "update user ann: email removed") {
		t.Errorf("audit records:\n%s", joined)
	}
}
