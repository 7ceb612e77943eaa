package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/sirocco-project/sirocco/internal/postgres"
	"github.com/sirocco-project/sirocco/internal/sqlite"
)

// backup copies the database to a new file while the server may run:
// backup [-db sirocco.db] <file>.
func backup(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	def := getenv("SIROCCO_DB")
	if def == "" {
		def = "sirocco.db"
	}
	db := fs.String("db", def, "the database to copy (env SIROCCO_DB)")
	if err := fs.Parse(args); err != nil {
		return usageError{"usage: backup [-db FILE] <new file>: " + err.Error()}
	}
	if fs.NArg() != 1 {
		return usageError{"usage: backup [-db FILE] <new file>"}
	}
	if postgres.IsDSN(*db) {
		// A PostgreSQL database is backed up with PostgreSQL's own tools.
		return usageError{"backup copies a SQLite file; " + postgres.Describe(*db) +
			" is a PostgreSQL database: back it up with pg_dump (e.g. pg_dump -Fc -f sirocco.dump <database>) and restore with pg_restore"}
	}
	if err := sqlite.BackupFile(ctx, *db, fs.Arg(0)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Backed up %s to %s\n", *db, fs.Arg(0))
	return nil
}
