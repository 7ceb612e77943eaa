package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestAdminUserEmail: an admin gives an account an email address when
// creating it and changes it from the users table; a bad address is
// refused and changes nothing (not even the role sent with it); a form
// without the field leaves the address alone.
func TestAdminUserEmail(t *testing.T) {
	t.Parallel()
	e := newEnvAuth(t, testPassword)
	tok := e.login()
	if p := e.post("/admin/users", url.Values{"_csrf": {tok}, "name": {"ann"}, "role": {"approver"}, "email": {"ann@example.com"},
		"password": {"ann's long password"}}); p.status != http.StatusSeeOther {
		t.Fatalf("create ann: %d %s", p.status, p.body)
	}
	emailOf := func() string {
		t.Helper()
		p := e.get("/admin")
		v, _ := p.doc.Find(`tr[data-user="ann"] input[name="email"]`).Attr("value")
		return v
	}
	if got := emailOf(); got != "ann@example.com" {
		t.Fatalf("the users table shows %q", got)
	}
	p := e.post("/admin/users/ann", url.Values{"_csrf": {tok}, "role": {"viewer"}, "email": {"Ann <ann@example.com>"}})
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "Invalid email") {
		t.Fatalf("a bad address: %d, want 400 naming the email", p.status)
	}
	if role := strings.TrimSpace(e.get("/admin").doc.Find(`tr[data-user="ann"] td`).Eq(1).Text()); !strings.HasPrefix(role, "approver") {
		t.Errorf("the refused form changed the role: %q", role)
	}
	if p := e.post("/admin/users/ann", url.Values{"_csrf": {tok}, "role": {"approver"}, "email": {"ann@corp.example"}}); p.status != http.StatusSeeOther {
		t.Fatalf("change the address: %d", p.status)
	}
	if got := emailOf(); got != "ann@corp.example" {
		t.Errorf("after the change: %q", got)
	}
	if p := e.post("/admin/users/ann", url.Values{"_csrf": {tok}, "role": {"approver"}}); p.status != http.StatusSeeOther {
		t.Fatalf("a form without email: %d", p.status)
	}
	if got := emailOf(); got != "ann@corp.example" {
		t.Errorf("a form without the field changed the address: %q", got)
	}
	if p := e.post("/admin/users/ann", url.Values{"_csrf": {tok}, "role": {"approver"}, "email": {""}}); p.status != http.StatusSeeOther {
		t.Fatalf("remove the address: %d", p.status)
	}
	if got := emailOf(); got != "" {
		t.Errorf("after removing it: %q", got)
	}
}
