package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"

	"github.com/sirocco-project/sirocco/internal/postgres"
	"github.com/sirocco-project/sirocco/internal/sqlite"
)

const migrateUsage = "usage: migrate-to [-db FILE] postgres://…   (the DSN may also come from SIROCCO_MIGRATE_TO; PG* variables and PGPASSFILE fill in what it leaves out)"

// migrateTo moves everything a SQLite file holds into an empty PostgreSQL
// database: migrate-to [-db sirocco.db] postgres://…. Ids, the audit
// chain and the server's secrets (the callback-token key, without which
// no pending std.mistral_http action could be completed) move as they
// are. It refuses while a server uses the file, copies in one
// transaction, and checks every table's count before it commits.
func migrateTo(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("migrate-to", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	def := getenv("SIROCCO_DB")
	if def == "" || postgres.IsDSN(def) {
		def = "sirocco.db"
	}
	db := fs.String("db", def, "the SQLite file to move (env SIROCCO_DB)")
	if err := fs.Parse(args); err != nil {
		return usageError{migrateUsage + ": " + err.Error()}
	}
	dsn := getenv("SIROCCO_MIGRATE_TO")
	switch {
	case fs.NArg() == 1:
		dsn = fs.Arg(0)
	case fs.NArg() > 1 || dsn == "":
		return usageError{migrateUsage}
	}
	if !postgres.IsDSN(dsn) {
		return usageError{migrateUsage + ": the target must be a postgres:// or postgresql:// URL"}
	}
	if postgres.IsDSN(*db) {
		return usageError{migrateUsage + ": -db must be a SQLite file"}
	}
	unlock, err := sqlite.Lock(*db)
	if err != nil {
		if errors.Is(err, sqlite.ErrInUse) {
			return fmt.Errorf("%w: stop it first (migrate-to copies a file nobody writes)", err)
		}
		return err
	}
	defer unlock()
	st, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		return fmt.Errorf("migrate-to %s: %w", postgres.Describe(dsn), err)
	}
	defer st.Close()
	copied, err := st.Import(ctx, func(fn func(*postgres.ImportTable) error) error {
		return sqlite.Export(ctx, *db, func(t *sqlite.Table) error {
			return fn(&postgres.ImportTable{Name: t.Name, Columns: t.Columns, Count: t.Count, Rows: t.Rows})
		})
	})
	if err != nil {
		return fmt.Errorf("migrate-to %s: %w", postgres.Describe(dsn), err)
	}
	names := make([]string, 0, len(copied))
	var total int64
	for name, n := range copied {
		names = append(names, name)
		total += n
	}
	slices.Sort(names)
	for _, name := range names {
		fmt.Fprintf(stdout, "%-22s %d rows\n", name, copied[name])
	}
	fmt.Fprintf(stdout, "Moved %s to %s: %d rows in %d tables, each table's count checked.\nStart the server with -db set to that database; keep %s as a backup.\n",
		*db, postgres.Describe(dsn), total, len(names), *db)
	return nil
}
