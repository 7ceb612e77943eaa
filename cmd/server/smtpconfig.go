package main

import (
	"crypto/x509"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/engine"
)

// smtpFlags are the -smtp-* flags: the SMTP server the approvers' mail
// goes through, and the CAs SMTP servers' certificates must chain to
// (std.email's too). The password is never a flag, which the process
// list would show: a file, or SIROCCO_SMTP_PASSWORD.
type smtpFlags struct {
	server, from, user, passwordFile, tls, caFile *string
}

func addSMTPFlags(fs *flag.FlagSet, env func(name, def string) string) *smtpFlags {
	return &smtpFlags{
		server:       fs.String("smtp-server", env("SIROCCO_SMTP_SERVER", ""), "host:port of the SMTP server that mails approvers (users with an email) their requests, reminders, escalations and decisions, each with their own decision link (env SIROCCO_SMTP_SERVER; default none: no mail)"),
		from:         fs.String("smtp-from", env("SIROCCO_SMTP_FROM", ""), "sender address of the approvers' mail; required with -smtp-server (env SIROCCO_SMTP_FROM)"),
		user:         fs.String("smtp-user", env("SIROCCO_SMTP_USER", ""), "user name to log in to -smtp-server; its password comes from -smtp-password-file or SIROCCO_SMTP_PASSWORD, never the command line (env SIROCCO_SMTP_USER; default: no login)"),
		passwordFile: fs.String("smtp-password-file", env("SIROCCO_SMTP_PASSWORD_FILE", ""), "file holding the password of -smtp-user (env SIROCCO_SMTP_PASSWORD_FILE; or the password itself in SIROCCO_SMTP_PASSWORD)"),
		tls:          fs.String("smtp-tls", env("SIROCCO_SMTP_TLS", engine.MailSTARTTLS), "starttls: STARTTLS is required; tls: TLS from the first byte (port 465); none: no encryption, for a relay on this host or network (env SIROCCO_SMTP_TLS)"),
		caFile:       fs.String("smtp-ca-file", env("SIROCCO_SMTP_CA_FILE", ""), "PEM file of the CAs SMTP servers' certificates must chain to, for -smtp-server and std.email, instead of the system's (env SIROCCO_SMTP_CA_FILE)"),
	}
}

// config checks the flags and builds the engine's mail configuration.
func (f *smtpFlags) config(getenv func(string) string) (engine.MailConfig, error) {
	c := engine.MailConfig{Server: strings.TrimSpace(*f.server), From: strings.TrimSpace(*f.from), User: *f.user, TLS: *f.tls}
	switch c.TLS {
	case engine.MailSTARTTLS, engine.MailTLS, engine.MailNoTLS:
	default:
		return c, usageError{fmt.Sprintf("invalid -smtp-tls %q: want starttls, tls or none", c.TLS)}
	}
	if *f.caFile != "" {
		pem, err := os.ReadFile(*f.caFile)
		if err != nil {
			return c, usageError{fmt.Sprintf("-smtp-ca-file: %v", err)}
		}
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(pem) {
			return c, usageError{fmt.Sprintf("-smtp-ca-file: %s holds no PEM certificate", *f.caFile)}
		}
	}
	c.Password = getenv("SIROCCO_SMTP_PASSWORD")
	if *f.passwordFile != "" {
		b, err := os.ReadFile(*f.passwordFile)
		if err != nil {
			return c, usageError{fmt.Sprintf("-smtp-password-file: %v", err)}
		}
		c.Password = strings.TrimRight(string(b), "\r\n")
	}
	if c.Server == "" {
		if c.From != "" || c.User != "" {
			return c, usageError{"-smtp-from and -smtp-user need -smtp-server"}
		}
		return c, nil
	}
	if host, port, err := net.SplitHostPort(c.Server); err != nil || host == "" || port == "" {
		return c, usageError{fmt.Sprintf("invalid -smtp-server %q: want host:port, such as mail.example.com:587", c.Server)}
	}
	if c.From == "" {
		return c, usageError{"-smtp-server needs -smtp-from: the sender address of the approvers' mail"}
	}
	if err := auth.CheckEmail(c.From); err != nil {
		return c, usageError{fmt.Sprintf("invalid -smtp-from %q: give one address such as sirocco@example.com", c.From)}
	}
	if (c.User == "") != (c.Password == "") {
		return c, usageError{"-smtp-user and its password (-smtp-password-file or SIROCCO_SMTP_PASSWORD) go together"}
	}
	return c, nil
}
