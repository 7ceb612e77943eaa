package engine

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/wneessen/go-mail"

	"github.com/sirocco-project/sirocco/internal/expr"
)

// Mail goes out over SMTP with github.com/wneessen/go-mail: std.email,
// with the server and password its input names (as Mistral's does), and
// the approvers' mail (approval_mail.go), through the server of
// MailConfig.

// MailConfig configures the server's own mail (-smtp-*) and what std.email
// trusts.
type MailConfig struct {
	// Server is the SMTP server approvers' mail goes through, host:port;
	// "" sends them none.
	Server string
	// From is the sender of the approvers' mail.
	From string
	// User and Password log in to Server; no User: no login.
	User, Password string
	// TLS is how the connection to Server is encrypted: MailSTARTTLS
	// (the default), MailTLS or MailNoTLS.
	TLS string
	// RootCAs are the CAs an SMTP server's certificate must chain to,
	// for Server and for std.email; nil: the system's.
	RootCAs *x509.CertPool
	// Timeout bounds one connection, sending included (DefaultMailTimeout).
	Timeout time.Duration
}

// The TLS modes of MailConfig.TLS.
const (
	MailSTARTTLS = "starttls" // plain connection upgraded with STARTTLS, which is required
	MailTLS      = "tls"      // TLS from the first byte (SMTPS, port 465)
	MailNoTLS    = "none"     // no encryption: a relay on the same host or network only
)

// DefaultMailTimeout is the default bound on one SMTP connection.
const DefaultMailTimeout = 30 * time.Second

// mailOn reports whether approvers get mail.
func (e *Engine) mailOn() bool { return e.mail.Server != "" && e.mail.From != "" }

// smtpConn says how to reach an SMTP server.
type smtpConn struct {
	addr           string // host:port
	tls            string // MailSTARTTLS, MailTLS, MailNoTLS, or "" for STARTTLS when offered
	user, password string // no user: no login
}

// mailMessage is one message.
type mailMessage struct {
	From      string
	To        []string
	Cc, Bcc   []string
	ReplyTo   []string
	Subject   string
	Text      string
	HTML      string // "" for a text-only message
	MessageID string // "" for a random one
	// Auto marks the message automatic (Auto-Submitted: auto-generated,
	// X-Auto-Response-Suppress), so that out-of-office replies stay away.
	Auto bool
}

// sendMail sends m through the server c names, within the engine's time
// bound.
func (e *Engine) sendMail(ctx context.Context, c smtpConn, m *mailMessage) error {
	host, port, err := smtpAddr(c.addr)
	if err != nil {
		return err
	}
	msg := mail.NewMsg()
	if err := msg.From(m.From); err != nil {
		return fmt.Errorf("from address %q: %w", m.From, err)
	}
	if err := msg.To(m.To...); err != nil {
		return fmt.Errorf("to addresses: %w", err)
	}
	if len(m.Cc) > 0 {
		if err := msg.Cc(m.Cc...); err != nil {
			return fmt.Errorf("cc addresses: %w", err)
		}
	}
	if len(m.Bcc) > 0 {
		if err := msg.Bcc(m.Bcc...); err != nil {
			return fmt.Errorf("bcc addresses: %w", err)
		}
	}
	if len(m.ReplyTo) > 0 {
		if err := msg.ReplyTo(strings.Join(m.ReplyTo, ", ")); err != nil {
			return fmt.Errorf("reply-to address: %w", err)
		}
	}
	// A header holds one line.
	msg.Subject(strings.Join(strings.Fields(m.Subject), " "))
	msg.SetDate()
	if m.MessageID != "" {
		msg.SetMessageIDWithValue(m.MessageID)
	} else {
		msg.SetMessageID()
	}
	if m.Auto {
		msg.SetGenHeader("Auto-Submitted", "auto-generated")
		msg.SetGenHeader(mail.HeaderXAutoResponseSuppress, "All")
	}
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	}
	timeout := e.mail.Timeout
	if timeout <= 0 {
		timeout = DefaultMailTimeout
	}
	tlsConfig := &tls.Config{ServerName: host, RootCAs: e.mail.RootCAs, MinVersion: tls.VersionTLS12}
	opts := []mail.Option{mail.WithPort(port), mail.WithTimeout(timeout), mail.WithTLSConfig(tlsConfig)}
	switch c.tls {
	case MailSTARTTLS:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	case MailTLS:
		opts = append(opts, mail.WithSSL())
	case MailNoTLS:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
	}
	if c.user != "" {
		// The strongest mechanism both sides know; never a password in
		// the clear over an unencrypted connection.
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(c.user), mail.WithPassword(c.password))
	}
	client, err := mail.NewClient(host, opts...)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return client.DialAndSendWithContext(ctx, msg)
}

// smtpAddr splits an SMTP server's address; without a port it is 25, as
// Python's smtplib (Mistral's) takes it.
func smtpAddr(addr string) (string, int, error) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		var ae *net.AddrError
		if errors.As(err, &ae) && ae.Err == "missing port in address" {
			return strings.Trim(addr, "[]"), 25, nil
		}
		return "", 0, fmt.Errorf("smtp server %q: %w", addr, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port <= 0 || port > 65535 {
		return "", 0, fmt.Errorf("smtp server %q: the port must be a number from 1 to 65535", addr)
	}
	if host == "" {
		return "", 0, fmt.Errorf("smtp server %q: a host is required", addr)
	}
	return host, port, nil
}

// emailParams are std.email's parameters, in Mistral's order.
var emailParams = []param{
	{name: "from_addr", required: true}, {name: "to_addrs", required: true}, {name: "smtp_server", required: true},
	{name: "reply_to"}, {name: "cc_addrs"}, {name: "bcc_addrs"}, {name: "smtp_password", secret: true},
	{name: "subject"}, {name: "body"}, {name: "html_body"},
}

func init() {
	actions["std.email"] = &actionDef{name: "std.email", class: "SendEmailAction", params: emailParams, run: runEmail}
}

// runEmail sends a message as Mistral's std.email does: to_addrs, cc_addrs
// and bcc_addrs are its recipients (a list, or one address), the subject
// "<No subject>" when none is given, an html_body an alternative to the
// body. With smtp_password, the connection must be upgraded with STARTTLS
// and logs in as from_addr (Mistral's sequence); without, it uses STARTTLS
// when the server offers it. The result is null.
func runEmail(ctx context.Context, e *Engine, a *ActionExecution, in map[string]any) (any, error) {
	fail := func(err error) error { return crash(a, "Failed to send an email message: "+err.Error()) }
	m := &mailMessage{Subject: "<No subject>"}
	var err error
	if m.From, err = emailText(in, "from_addr"); err != nil {
		return nil, fail(err)
	}
	lists := []struct {
		name string
		to   *[]string
	}{{"to_addrs", &m.To}, {"cc_addrs", &m.Cc}, {"bcc_addrs", &m.Bcc}, {"reply_to", &m.ReplyTo}}
	for _, l := range lists {
		if *l.to, err = addrList(in, l.name); err != nil {
			return nil, fail(err)
		}
	}
	if len(m.To) == 0 {
		return nil, fail(errors.New("to_addrs names no recipient"))
	}
	if s, _ := emailText(in, "subject"); s != "" {
		m.Subject = s
	}
	if m.Text, err = emailText(in, "body"); err != nil {
		return nil, fail(err)
	}
	if m.HTML, err = emailText(in, "html_body"); err != nil {
		return nil, fail(err)
	}
	server, err := emailText(in, "smtp_server")
	if err != nil || server == "" {
		return nil, fail(errors.New("smtp_server must be host or host:port"))
	}
	c := smtpConn{addr: server}
	if pw, ok := in["smtp_password"]; ok && pw != nil {
		c.tls, c.user, c.password = MailSTARTTLS, m.From, expr.Str(pw)
	}
	if err := e.sendMail(ctx, c, m); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fail(err)
	}
	return nil, nil
}

// emailText reads a text parameter ("" when null).
func emailText(in map[string]any, name string) (string, error) {
	switch v := in[name].(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case int64, float64, bool:
		return expr.Str(v), nil
	}
	return "", fmt.Errorf("%s must be a string", name)
}

// addrList reads a list of addresses: a list of strings, or one string.
func addrList(in map[string]any, name string) ([]string, error) {
	switch v := in[name].(type) {
	case nil:
		return nil, nil
	case string:
		if v == "" {
			return nil, nil
		}
		return []string{v}, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			s, ok := x.(string)
			if !ok || s == "" {
				return nil, fmt.Errorf("%s must be a list of addresses", name)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s must be an address or a list of addresses", name)
}
