package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
)

// Table is one table of a database being moved elsewhere (migrate-to):
// its name, its columns, and its rows as the driver reads them (int64,
// float64, string, []byte or nil).
type Table struct {
	Name    string
	Columns []string
	// Rows calls fn with each row in primary-key order; the slice is
	// reused between calls.
	Rows func(fn func(row []any) error) error
	// Count is the number of rows, read in the same snapshot.
	Count int64
}

// Export reads every table of the database at path in one read
// transaction (one snapshot) and calls fn with each, in the order the
// tables were created, so that a table comes after the tables its foreign
// keys refer to. The migration bookkeeping and SQLite's own tables are
// left out: the other store has its own. The file is opened read-only and
// never migrated; take Lock first so that no server writes it meanwhile.
func Export(ctx context.Context, path string, fn func(t *Table) error) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	db, err := sql.Open("sqlite", "file:"+escapePath(path)+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer tx.Rollback()
	names, err := exportTables(ctx, tx)
	if err != nil {
		return err
	}
	for _, n := range names {
		t, err := exportTable(ctx, tx, n)
		if err != nil {
			return err
		}
		if err := fn(t); err != nil {
			return err
		}
	}
	return nil
}

// exportTables lists the tables to move, oldest first (sqlite_schema's
// rowid order is creation order).
func exportTables(ctx context.Context, tx *sql.Tx) ([]exportName, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name, sql FROM sqlite_schema WHERE type = 'table' ORDER BY rowid`)
	if err != nil {
		return nil, fmt.Errorf("export: list tables: %w", err)
	}
	defer rows.Close()
	var names []exportName
	for rows.Next() {
		var name, ddl string
		if err := rows.Scan(&name, &ddl); err != nil {
			return nil, fmt.Errorf("export: list tables: %w", err)
		}
		if strings.HasPrefix(name, "sqlite_") || name == "schema_migrations" || derivedTable(name) {
			continue
		}
		names = append(names, exportName{name, !strings.Contains(strings.ToUpper(ddl), "WITHOUT ROWID")})
	}
	return names, rows.Err()
}

// derivedTable reports whether a table holds only what the others imply —
// the inbox's search index and its lag (migrations 0029, 0030) — which the importing store
// builds for itself.
func derivedTable(name string) bool {
	return name == "inbox_docs" || name == "inbox_lag" || name == "inbox_fts" || strings.HasPrefix(name, "inbox_fts_")
}

// exportName is a table to export, and whether it has a rowid.
type exportName struct {
	name  string
	rowid bool
}

func exportTable(ctx context.Context, tx *sql.Tx, n exportName) (*Table, error) {
	name := n.name
	q := quoteIdent(name)
	t := &Table{Name: name}
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM `+q).Scan(&t.Count); err != nil {
		return nil, fmt.Errorf("export %s: %w", name, err)
	}
	cols, err := tx.QueryContext(ctx, `SELECT name FROM pragma_table_info(?) ORDER BY cid`, name)
	if err != nil {
		return nil, fmt.Errorf("export %s: columns: %w", name, err)
	}
	for cols.Next() {
		var c string
		if err := cols.Scan(&c); err != nil {
			cols.Close()
			return nil, fmt.Errorf("export %s: columns: %w", name, err)
		}
		t.Columns = append(t.Columns, c)
	}
	cols.Close()
	if err := cols.Err(); err != nil {
		return nil, fmt.Errorf("export %s: columns: %w", name, err)
	}
	t.Rows = func(fn func(row []any) error) error {
		// rowid order is the insertion order (the order of votes, for
		// one, which the other store numbers as they arrive); WITHOUT
		// ROWID tables come in primary-key order.
		query := `SELECT * FROM ` + q
		if n.rowid {
			query += ` ORDER BY rowid`
		}
		rows, err := tx.QueryContext(ctx, query)
		if err != nil {
			return fmt.Errorf("export %s: %w", name, err)
		}
		defer rows.Close()
		vals := make([]any, len(t.Columns))
		ptrs := make([]any, len(t.Columns))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				return fmt.Errorf("export %s: %w", name, err)
			}
			if err := fn(vals); err != nil {
				return err
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("export %s: %w", name, err)
		}
		return nil
	}
	return t, nil
}

// quoteIdent quotes a table name read from the schema.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
