package main

import (
	"net/http"
	"strings"
	"testing"
)

// TestUserEmailVerbs: user-create --email, user-update --email (""
// removes it) and user-list's Email column, over /auth/users, which
// answers a bad address with a 400 naming the field.
func TestUserEmailVerbs(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t)
	env := map[string]string{"SIROCCO_URL": s.URL, "SIROCCO_USERNAME": "admin", "SIROCCO_PASSWORD": testAdminPassword,
		"SIROCCO_NEW_PASSWORD": "erin-password-1"}
	verb := func(args ...string) (string, error) {
		var out, errOut strings.Builder
		err := run(t.Context(), args, func(k string) string { return env[k] }, &out, &errOut)
		return out.String(), err
	}
	must := func(args ...string) string {
		t.Helper()
		out, err := verb(args...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return out
	}
	must("user-create", "erin", "--role", "approver", "--email", "erin@example.com")
	row := func() string {
		for _, l := range strings.Split(must("user-list"), "\n") {
			if strings.HasPrefix(l, "erin ") {
				return l
			}
		}
		return ""
	}
	if r := row(); !strings.Contains(r, "erin@example.com") {
		t.Errorf("user-list's row: %q", r)
	}
	if _, err := verb("user-update", "erin", "--email", "erin at example"); err == nil || !strings.Contains(err.Error(), "Invalid email") {
		t.Errorf("user-update with a bad address: %v", err)
	}
	must("user-update", "erin", "--email", "erin@corp.example")
	if r := row(); !strings.Contains(r, "erin@corp.example") {
		t.Errorf("after user-update: %q", r)
	}
	must("user-update", "erin", "--email", "")
	if r := row(); strings.Contains(r, "@") {
		t.Errorf("after removing it: %q", r)
	}
	admin := s.tokens["admin"]
	r := s.req(t, "POST", "/auth/users", admin, map[string]any{"name": "fay", "role": "viewer", "password": "fay-password-1", "email": 3}, nil)
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Raw), "email") {
		t.Errorf("POST /auth/users with a number for email: %d %s", r.Status, r.Raw)
	}
	r = s.req(t, "PUT", "/auth/users/erin", admin, map[string]any{"email": "erin@example.com"}, nil)
	if r.Status != http.StatusOK || str(t, r.JSON, "email") != "erin@example.com" {
		t.Errorf("PUT /auth/users/erin: %d %s", r.Status, r.Raw)
	}
}
