package engine_test

import (
	"context"
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/smtptest"
)

// TestEmailAction runs std.email with Mistral's parameters against an
// SMTP server in the test process: what the server receives (envelope,
// headers, parts), STARTTLS and login with smtp_password, and the errors.
func TestEmailAction(t *testing.T) {
	t.Parallel()
	plain := smtptest.Start(t, smtptest.Options{})
	secure := smtptest.Start(t, smtptest.Options{TLS: true, User: "ops@example.com", Password: "mail-pw-1"})
	offers := smtptest.Start(t, smtptest.Options{TLS: true})
	closed := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		return addr
	}()
	base := func(server string, more map[string]any) map[string]any {
		in := map[string]any{"from_addr": "ops@example.com", "to_addrs": []any{"ann@example.com"}, "smtp_server": server, "body": "hello"}
		for k, v := range more {
			in[k] = v
		}
		return in
	}
	tests := []struct {
		name   string
		server *smtptest.Server
		trust  bool // the engine trusts the server's CA
		input  map[string]any
		check  func(t *testing.T, m smtptest.Message)
		errHas string
	}{
		{name: "every recipient; Bcc in the envelope only", server: plain, input: base(plain.Addr, map[string]any{
			"to_addrs": []any{"ann@example.com", "bob@example.com"}, "cc_addrs": []any{"cc@example.com"}, "bcc_addrs": []any{"hidden@example.com"},
			"reply_to": []any{"desk@example.com"}, "subject": "Build 42 done", "body": "All green."}),
			check: func(t *testing.T, m smtptest.Message) {
				want := []string{"ann@example.com", "bob@example.com", "cc@example.com", "hidden@example.com"}
				got := slices.Clone(m.To)
				slices.Sort(got)
				if !slices.Equal(got, want) || m.From != "ops@example.com" {
					t.Errorf("envelope from %s to %v, want ops@example.com to %v", m.From, got, want)
				}
				h := m.Header()
				if h.Get("Subject") != "Build 42 done" || !strings.Contains(h.Get("To"), "bob@example.com") ||
					!strings.Contains(h.Get("Cc"), "cc@example.com") || !strings.Contains(h.Get("Reply-To"), "desk@example.com") {
					t.Errorf("headers %v", h)
				}
				if strings.Contains(m.Data, "hidden@example.com") {
					t.Errorf("the message shows the Bcc recipient:\n%s", m.Data)
				}
				if !strings.Contains(m.Data, "All green.") || m.User != "" {
					t.Errorf("body or login: user %q\n%s", m.User, m.Data)
				}
			}},
		{name: "one address as a string, Mistral's default subject", server: plain, input: base(plain.Addr, map[string]any{"to_addrs": "solo@example.com"}),
			check: func(t *testing.T, m smtptest.Message) {
				if !slices.Equal(m.To, []string{"solo@example.com"}) || m.Header().Get("Subject") != "<No subject>" {
					t.Errorf("to %v, subject %q", m.To, m.Header().Get("Subject"))
				}
			}},
		{name: "html_body: an alternative to the body", server: plain, input: base(plain.Addr, map[string]any{"html_body": "<p>hello <b>you</b></p>"}),
			check: func(t *testing.T, m smtptest.Message) {
				if !strings.Contains(m.Header().Get("Content-Type"), "multipart/alternative") ||
					!strings.Contains(m.Data, "text/plain") || !strings.Contains(m.Data, "text/html") || !strings.Contains(m.Data, "<b>you</b>") {
					t.Errorf("not a text and HTML alternative:\n%s", m.Data)
				}
			}},
		{name: "smtp_password: STARTTLS, then login as from_addr", server: secure, trust: true, input: base(secure.Addr, map[string]any{"smtp_password": "mail-pw-1"}),
			check: func(t *testing.T, m smtptest.Message) {
				if !m.TLS || m.User != "ops@example.com" {
					t.Errorf("tls %v, user %q: want an encrypted session logged in as from_addr", m.TLS, m.User)
				}
			}},
		{name: "no password: STARTTLS when the server offers it", server: offers, trust: true, input: base(offers.Addr, nil),
			check: func(t *testing.T, m smtptest.Message) {
				if !m.TLS {
					t.Error("the session was not encrypted")
				}
			}},

		{name: "wrong password", server: secure, trust: true, input: base(secure.Addr, map[string]any{"smtp_password": "nope"}),
			errHas: "Failed to send an email message: "},
		{name: "no password for a server that asks one", server: secure, trust: true, input: base(secure.Addr, nil),
			errHas: "Failed to send an email message: "},
		{name: "smtp_password, server without STARTTLS", server: plain, input: base(plain.Addr, map[string]any{"smtp_password": "mail-pw-1"}),
			errHas: "STARTTLS"},
		{name: "certificate of an unknown CA", server: secure, input: base(secure.Addr, map[string]any{"smtp_password": "mail-pw-1"}),
			errHas: "certificate"},
		{name: "nobody listening", input: base(closed, nil), errHas: "Failed to send an email message: dial failed"},
		{name: "not an address", server: plain, input: base(plain.Addr, map[string]any{"to_addrs": []any{"not an address"}}),
			errHas: "Failed to send an email message: to addresses"},
		{name: "no recipient", server: plain, input: base(plain.Addr, map[string]any{"to_addrs": []any{}}),
			errHas: "to_addrs names no recipient"},
		{name: "recipients not strings", server: plain, input: base(plain.Addr, map[string]any{"cc_addrs": []any{3}}),
			errHas: "cc_addrs must be a list of addresses"},
		{name: "bad port", input: base("127.0.0.1:99999", nil), errHas: "the port must be a number from 1 to 65535"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Not parallel: the cases share the servers and each reads
			// the next message.
			cfg := engine.Config{}
			if tt.trust && tt.server != nil {
				cfg.Mail.RootCAs = tt.server.RootCAs
			}
			e := newEngine(t, cfg)
			state, res := runSync(t, e, "std.email", tt.input)
			if tt.errHas == "" {
				if state != engine.StateSuccess || res != nil {
					t.Fatalf("got %s %#v, want SUCCESS null", state, res)
				}
				tt.check(t, tt.server.Next(t))
				return
			}
			if s, _ := res.(string); state != engine.StateError || !strings.Contains(s, tt.errHas) {
				t.Fatalf("got %s %#v, want ERROR containing %q", state, res, tt.errHas)
			}
			if strings.Contains(encoded(res), "mail-pw-1") {
				t.Errorf("the error shows the password: %v", res)
			}
		})
	}
	if n := len(plain.Messages()) + len(secure.Messages()) + len(offers.Messages()); n != 5 {
		t.Errorf("the servers accepted %d messages, want the 5 of the cases that succeed", n)
	}
}

// TestEmailPasswordMasked: smtp_password is a secret input, shown "***"
// like std.ssh's password; the action ran with it.
func TestEmailPasswordMasked(t *testing.T) {
	t.Parallel()
	if got := engine.ActionInput("std.email"); got != "from_addr, to_addrs, smtp_server, reply_to=null, cc_addrs=null, bcc_addrs=null, smtp_password=null, subject=null, body=null, html_body=null" {
		t.Errorf("std.email's input: %s", got)
	}
	srv := smtptest.Start(t, smtptest.Options{TLS: true, User: "ops@example.com", Password: "mail-pw-2"})
	e := newEngine(t, engine.Config{Mail: engine.MailConfig{RootCAs: srv.RootCAs}})
	a, err := e.RunAction(context.Background(), engine.RunRequest{Name: "std.email", RunSync: true, Input: map[string]any{
		"from_addr": "ops@example.com", "to_addrs": []any{"ann@example.com"}, "smtp_server": srv.Addr, "smtp_password": "mail-pw-2"}})
	if err != nil || a.State != engine.StateSuccess {
		t.Fatalf("std.email: %v %v", err, a)
	}
	if m := srv.Next(t); m.User != "ops@example.com" {
		t.Errorf("logged in as %q", m.User)
	}
	if strings.Contains(a.InputJSON, "mail-pw-2") || !strings.Contains(a.InputJSON, `"smtp_password": "***"`) {
		t.Errorf("the answer's input: %s", a.InputJSON)
	}
}
