package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/sirocco-project/sirocco/internal/audit"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/postgres"
	"github.com/sirocco-project/sirocco/internal/sqlite"
)

// Exit codes of audit verify and audit head, for scripts and monitoring;
// a bad command line or key is 2, as every usage error.
const (
	exitAltered    = 1 // the trail was altered: the message names the first bad record
	exitUnreadable = 3 // the trail could not be read: no file, no audit tables, I/O
)

// exitError is an error that ends the process with its own exit code.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }

const auditUsage = `usage: audit verify [-db FILE|postgres://…] [-audit-key-file FILE] [-head SEQ:HASH]...
       audit head [-db FILE|postgres://…] [-audit-key-file FILE]
verify checks the audit trail's chain and, with the key (-audit-key-file or
SIROCCO_AUDIT_KEY), its anchored head, and that each exported -head is still in
it; head verifies the same way and prints the head to keep elsewhere.
Exit status: 0 intact, 1 altered (the first bad record is named), 2 usage,
3 the trail could not be read.`

// auditCmd runs audit verify or audit head: reading the SQLite file or
// the PostgreSQL database directly (read only, one snapshot), so it works
// beside running servers and without one.
func auditCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 || (args[0] != "verify" && args[0] != "head") {
		return usageError{auditUsage}
	}
	sub := args[0]
	fs := flag.NewFlagSet("audit "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	db := fs.String("db", env("SIROCCO_DB", "sirocco.db"), "the database (env SIROCCO_DB)")
	keyFile := fs.String("audit-key-file", getenv("SIROCCO_AUDIT_KEY_FILE"), "file holding the audit key (env SIROCCO_AUDIT_KEY_FILE; or the key in SIROCCO_AUDIT_KEY)")
	var exported []audit.Head
	if sub == "verify" {
		fs.Func("head", "an exported head SEQ:HASH that must still be in the trail (repeatable)", func(s string) error {
			h, err := audit.ParseHead(s)
			if err != nil {
				return errors.New(fault.Message(err))
			}
			exported = append(exported, h)
			return nil
		})
	}
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{auditUsage + "\n" + err.Error()}
	}
	if fs.NArg() != 0 {
		return usageError{auditUsage + "\nunexpected argument " + fs.Arg(0)}
	}
	key, source, err := audit.LoadKey(*keyFile, getenv(audit.KeyEnv))
	if err != nil {
		return usageError{fault.Message(err)}
	}

	v := audit.NewVerifier(key, exported...)
	read := sqlite.ReadAuditFile
	if postgres.IsDSN(*db) {
		read = postgres.ReadAudit
	}
	head, err := read(ctx, *db, func(r *audit.Record) error {
		v.Add(r)
		return nil
	})
	if err != nil {
		msg := err.Error()
		if errors.Is(err, sqlite.ErrNoAuditTrail) || errors.Is(err, postgres.ErrNoAuditTrail) {
			msg = dbName(*db) + ": " + fault.Message(err)
		}
		return exitError{exitUnreadable, errors.New(msg)}
	}
	if err := v.Finish(head); err != nil {
		return exitError{exitAltered, err}
	}
	last := v.Last()
	if sub == "head" {
		fmt.Fprintln(stdout, last.String())
		return nil
	}
	fmt.Fprintf(stdout, "The audit trail of %s is intact: %d records, head %s.\n", dbName(*db), v.Count(), last)
	switch {
	case key != nil && last.Seq > 0:
		fmt.Fprintf(stdout, "Its head's anchor checks under the key from %s.\n", source)
	case key == nil && head != nil && head.Anchor != "":
		fmt.Fprintln(stdout, "The head's anchor was not checked: no key (-audit-key-file or SIROCCO_AUDIT_KEY). Records deleted from the end would go unnoticed.")
	case key == nil && last.Seq > 0:
		fmt.Fprintln(stdout, "The head is not anchored (the server ran without an audit key): records deleted from the end would go unnoticed.")
	}
	if len(exported) > 0 {
		fmt.Fprintf(stdout, "%d exported heads are in the trail.\n", len(exported))
	}
	return nil
}
