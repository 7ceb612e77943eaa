package main

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/pgtest"
	"github.com/sirocco-project/sirocco/internal/smtptest"
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

// TestSMTPFlags: the -smtp-* flags and their environment variables; what
// would fail every message is refused at start, and the password comes
// from a file or the environment, never a flag.
func TestSMTPFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "smtp-password")
	badCA := filepath.Join(dir, "bad-ca.pem")
	for path, text := range map[string]string{pwFile: "from-file\n", badCA: "not a certificate"} {
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	srv := smtptest.Start(t, smtptest.Options{TLS: true})
	goodCA := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(goodCA, srv.CAPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"-smtp-server", "mail.example.com:587", "-smtp-from", "sirocco@example.com"}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    engine.MailConfig // compared without RootCAs
		wantCAs bool
		wantErr string
	}{
		{name: "none", want: engine.MailConfig{TLS: "starttls"}},
		{name: "server and sender", args: base, want: engine.MailConfig{Server: "mail.example.com:587", From: "sirocco@example.com", TLS: "starttls"}},
		{name: "from the environment, password in a variable", env: map[string]string{"SIROCCO_SMTP_SERVER": "mail.example.com:465",
			"SIROCCO_SMTP_FROM": "sirocco@example.com", "SIROCCO_SMTP_USER": "sirocco", "SIROCCO_SMTP_PASSWORD": "from-env", "SIROCCO_SMTP_TLS": "tls"},
			want: engine.MailConfig{Server: "mail.example.com:465", From: "sirocco@example.com", User: "sirocco", Password: "from-env", TLS: "tls"}},
		{name: "password file", args: append(base[:4:4], "-smtp-user", "sirocco", "-smtp-password-file", pwFile, "-smtp-ca-file", goodCA),
			want: engine.MailConfig{Server: "mail.example.com:587", From: "sirocco@example.com", User: "sirocco", Password: "from-file", TLS: "starttls"}, wantCAs: true},

		{name: "no sender", args: []string{"-smtp-server", "mail.example.com:587"}, wantErr: "-smtp-server needs -smtp-from"},
		{name: "sender not an address", args: []string{"-smtp-server", "mail.example.com:587", "-smtp-from", "Sirocco <s@example.com>"}, wantErr: "invalid -smtp-from"},
		{name: "no port", args: []string{"-smtp-server", "mail.example.com", "-smtp-from", "s@example.com"}, wantErr: "want host:port"},
		{name: "sender without server", args: []string{"-smtp-from", "s@example.com"}, wantErr: "need -smtp-server"},
		{name: "bad TLS mode", args: append(base[:4:4], "-smtp-tls", "maybe"), wantErr: "invalid -smtp-tls"},
		{name: "user without password", args: append(base[:4:4], "-smtp-user", "sirocco"), wantErr: "go together"},
		{name: "password without user", args: base, env: map[string]string{"SIROCCO_SMTP_PASSWORD": "x"}, wantErr: "go together"},
		{name: "missing password file", args: append(base[:4:4], "-smtp-user", "u", "-smtp-password-file", filepath.Join(dir, "none")), wantErr: "-smtp-password-file"},
		{name: "CA file without a certificate", args: append(base[:4:4], "-smtp-ca-file", badCA), wantErr: "holds no PEM certificate"},
		{name: "no password flag", args: append(base[:4:4], "-smtp-password", "x"), wantErr: "flag provided but not defined: -smtp-password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := parseConfig(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if tt.wantErr != "" {
				var u usageError
				if !errors.As(err, &u) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseConfig(%q) = %v, want a usage error containing %q", tt.args, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := cfg.mail
			if (got.RootCAs != nil) != tt.wantCAs {
				t.Errorf("RootCAs set: %v, want %v", got.RootCAs != nil, tt.wantCAs)
			}
			got.RootCAs = nil
			if got != tt.want {
				t.Errorf("mail config %+v, want %+v", got, tt.want)
			}
		})
	}
	var help bytes.Buffer
	_, _ = parseConfig([]string{"-h"}, func(string) string { return "" }, &help)
	if !strings.Contains(help.String(), "-smtp-password-file") || strings.Contains(help.String(), "-smtp-password ") {
		t.Errorf("-h:\n%s", help.String())
	}
}

// TestApproverMail: a server started with -smtp-* mails an approver whose
// account has an address, over STARTTLS (the server's certificate checked
// against -smtp-ca-file) and logged in with the password from
// -smtp-password-file; the message names the approval and links its page.
func TestApproverMail(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{TLS: true, User: "sirocco", Password: "smtp-pw-e2e"})
	dir := t.TempDir()
	pwFile, caFile := filepath.Join(dir, "pw"), filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(pwFile, []byte("smtp-pw-e2e\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(caFile, srv.CAPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	s := startAuthServer(t, "-smtp-server", srv.Addr, "-smtp-from", "sirocco@example.com", "-smtp-user", "sirocco",
		"-smtp-password-file", pwFile, "-smtp-ca-file", caFile)
	admin := s.tokens["admin"]
	if r := s.req(t, "POST", "/auth/users", admin, map[string]any{"name": "ann", "role": "approver", "password": "ann-password-1",
		"email": "ann@example.com"}, nil); r.Status != http.StatusCreated {
		t.Fatalf("create ann: %d %s", r.Status, r.Raw)
	}
	wf := "version: '2.0'\nmail_wf:\n  tasks:\n    ask:\n      action: std.approval\n      input:\n        title: Ship release 7\n        approvers: [user:ann]\n"
	if r := s.req(t, "POST", "/v2/workflows", admin, wf, nil); r.Status != http.StatusCreated {
		t.Fatalf("create workflow: %d %s", r.Status, r.Raw)
	}
	ex := str(t, s.req(t, "POST", "/v2/executions", s.tokens["requester"], map[string]any{"workflow_name": "mail_wf"}, nil).JSON, "id")
	id := str(t, s.runningAction(t, ex), "id")
	m := srv.Next(t)
	if len(m.To) != 1 || m.To[0] != "ann@example.com" || m.From != "sirocco@example.com" || !m.TLS || m.User != "sirocco" {
		t.Errorf("message from %s to %v, tls %v, login %q", m.From, m.To, m.TLS, m.User)
	}
	if text := m.Text(); m.Header().Get("Subject") != "Approval requested: Ship release 7" || !strings.Contains(text, "Requested by: requester1") ||
		!strings.Contains(text, s.URL+"/actions/"+id) {
		t.Errorf("the message:\n%s", m.Data)
	}
}

// TestMigrateToKeepsEmail: migrate-to moves an account's email address
// into PostgreSQL with the rest of the account.
func TestMigrateToKeepsEmail(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t)
	admin := s.tokens["admin"]
	if r := s.req(t, "POST", "/auth/users", admin, map[string]any{"name": "gail", "role": "approver", "password": "gail-password-1",
		"email": "gail@example.com"}, nil); r.Status != http.StatusCreated {
		t.Fatalf("create gail: %d %s", r.Status, r.Raw)
	}
	dsn := pgtest.DSN(t)
	s.Stop(t)
	var out strings.Builder
	if err := run(t.Context(), []string{"migrate-to", "-db", s.DB, dsn}, func(string) string { return "" }, &out, &out); err != nil {
		t.Fatalf("migrate-to: %v\n%s", err, out.String())
	}
	p := &authServer{testServer: startServerEnv(t, map[string]string{"SIROCCO_AUTH": "on", "SIROCCO_ADMIN_PASSWORD": testAdminPassword}, "-db", dsn)}
	r := p.req(t, "GET", "/auth/users", admin, nil, nil)
	users, _ := r.JSON["users"].([]any)
	found := false
	for _, u := range users {
		if m, _ := u.(map[string]any); m["name"] == "gail" {
			found = m["email"] == "gail@example.com"
		}
	}
	if r.Status != http.StatusOK || !found {
		t.Errorf("GET /auth/users on PostgreSQL: %d %s", r.Status, r.Raw)
	}
}
