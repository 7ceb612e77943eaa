// Command server runs Sirocco: the Mistral v2 API, the callback routes and
// the workflow engine over one SQLite file. With a client verb as its first
// argument (action-execution-update, action-execution-list) it acts as a
// small client of a running server instead.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		var ee exitError
		if errors.As(err, &ee) {
			fmt.Fprintln(os.Stderr, "sirocco:", err)
			os.Exit(ee.code)
		}
		fmt.Fprintln(os.Stderr, "sirocco:", err)
		os.Exit(1)
	}
}

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// run dispatches to the server or to a client verb.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		if verb, ok := clientVerbs[args[0]]; ok {
			return verb(ctx, args[1:], getenv, stdout)
		}
		switch args[0] {
		case "serve":
			args = args[1:]
		case "help", "-h", "--help":
			fmt.Fprint(stdout, usage)
			return nil
		}
	}
	return serve(ctx, args, getenv, stdout, stderr)
}

const usage = `Sirocco runs Mistral v2 workflows with asynchronous actions.

Usage:
  server [serve] [flags]                 run the server (see -h for flags)
  server action-execution-list [--state S] [--url URL]
  server action-execution-update <id> --state S [--output JSON] [--comment TEXT] [--override --reason TEXT] [--url URL]
  server backup [-db FILE] <new file>    copy the database, also while the server runs
  server migrate-to [-db FILE] postgres://…
                                         move everything from a SQLite file into an empty
                                         PostgreSQL database (with no server on the file)
  server audit verify [-db FILE] [-audit-key-file FILE] [-head SEQ:HASH]
                                         check the audit trail; exit 1 naming the first bad record
  server audit head [-db FILE]           verify, then print the head to keep elsewhere

Accounts (admin; pass --token TOKEN or SIROCCO_TOKEN, or SIROCCO_USERNAME and SIROCCO_PASSWORD):
  server whoami
  server user-list | user-create <name> --role R [--email A] | user-update <name> [--role R] [--email A] [--password-env VAR] | user-delete <name>
         (user-create reads the password from SIROCCO_NEW_PASSWORD, or the variable named by --password-env)
  server group-list | group-create <name> --role R | group-delete <name>
  server group-add-user <group> <user> | group-remove-user <group> <user>
  server token-list | token-create <name> --role R [--user NAME] | token-revoke <id>
`
