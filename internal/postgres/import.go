package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// ImportTable is one table of another store's database, as Import reads
// it: its name, its columns, and its rows as database/sql gives them
// (int64, float64, string, []byte or nil). Times are text in the SQLite
// store's layout, booleans integers.
type ImportTable struct {
	Name    string
	Columns []string
	Count   int64
	Rows    func(fn func(row []any) error) error
}

// ErrNotEmpty is returned by Import when the database holds data already.
var ErrNotEmpty = errors.New("the PostgreSQL database is not empty")

// skipImport are tables whose rows belong to the running servers, not to
// the data: each replica records its own heartbeat.
var skipImport = map[string]bool{"replicas": true}

// Import copies every table tables yields into this database, in one
// transaction, keeping every id, and then checks that each table holds
// as many rows as the source counted. The database must hold no data yet
// (ErrNotEmpty otherwise): rows the migrations created (counters, an
// empty audit head) are replaced. A source column this schema lacks is
// an error, never dropped; columns this schema adds keep their defaults.
// It returns the rows copied per table.
func (s *Store) Import(ctx context.Context, tables func(fn func(*ImportTable) error) error) (map[string]int64, error) {
	copied := map[string]int64{}
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		for _, t := range []string{"workflow_definitions", "workflow_executions", "action_executions", "users", "audit", "action_definitions", "workbooks", "environments"} {
			var any bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+pgx.Identifier{t}.Sanitize()+`)`).Scan(&any); err != nil {
				return fmt.Errorf("import: %w", err)
			}
			if any {
				return fmt.Errorf("import: %w (table %s has rows): give migrate-to a new database", ErrNotEmpty, t)
			}
		}
		var seen []string
		err := tables(func(t *ImportTable) error {
			if skipImport[t.Name] {
				return nil
			}
			n, err := importTable(ctx, tx, t)
			if err != nil {
				return err
			}
			copied[t.Name] = n
			seen = append(seen, t.Name)
			return nil
		})
		if err != nil {
			return err
		}
		if err := resetIdentities(ctx, tx, seen); err != nil {
			return err
		}
		// The inbox's search index is built here, not copied (the SQLite
		// store's is its own kind).
		if _, err := tx.Exec(ctx, `INSERT INTO inbox_search (action_execution_id, body)
			SELECT a.id, a.input || E'\n' || coalesce(e.input, '')
			FROM action_executions a LEFT JOIN workflow_executions e ON e.id = a.workflow_execution_id
			WHERE a.is_async AND a.state IN ('RUNNING', 'PAUSED')`); err != nil {
			return fmt.Errorf("import: the inbox's search index: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return copied, nil
}

// importTable replaces the rows of one table with t's and checks the
// count.
func importTable(ctx context.Context, tx pgx.Tx, t *ImportTable) (int64, error) {
	types, err := columnTypes(ctx, tx, t.Name)
	if err != nil {
		return 0, err
	}
	if len(types) == 0 {
		return 0, fmt.Errorf("import: table %s has no place here (this schema has no such table)", t.Name)
	}
	conv := make([]func(any) (any, error), len(t.Columns))
	for i, c := range t.Columns {
		typ, ok := types[c]
		if !ok {
			return 0, fmt.Errorf("import: column %s.%s has no place here (this schema has no such column)", t.Name, c)
		}
		conv[i] = converter(typ)
	}
	// Rows a migration created (a counter, an empty head) give way.
	if _, err := tx.Exec(ctx, `DELETE FROM `+pgx.Identifier{t.Name}.Sanitize()); err != nil {
		return 0, fmt.Errorf("import %s: %w", t.Name, err)
	}
	// The rows stream from the source into COPY; only one is held at a time.
	rows := make(chan []any)
	errc := make(chan error, 1)
	go func() {
		defer close(rows)
		errc <- t.Rows(func(row []any) error {
			out := make([]any, len(row))
			for i, v := range row {
				var err error
				if out[i], err = conv[i](v); err != nil {
					return fmt.Errorf("import %s.%s: %w", t.Name, t.Columns[i], err)
				}
			}
			select {
			case rows <- out:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	src := &chanSource{rows: rows}
	n, copyErr := tx.CopyFrom(ctx, pgx.Identifier{t.Name}, t.Columns, src)
	// Drain, so that the reader ends, whatever COPY did.
	for range rows {
	}
	if err := <-errc; err != nil {
		return 0, err
	}
	if copyErr != nil {
		return 0, fmt.Errorf("import %s: %w", t.Name, copyErr)
	}
	var count int64
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{t.Name}.Sanitize()).Scan(&count); err != nil {
		return 0, fmt.Errorf("import %s: %w", t.Name, err)
	}
	if count != t.Count || n != t.Count {
		return 0, fmt.Errorf("import %s: %d rows copied, %d in the table, but the source counted %d", t.Name, n, count, t.Count)
	}
	return count, nil
}

// chanSource feeds COPY from a channel.
type chanSource struct {
	rows <-chan []any
	row  []any
}

func (c *chanSource) Next() bool {
	var ok bool
	c.row, ok = <-c.rows
	return ok
}
func (c *chanSource) Values() ([]any, error) { return c.row, nil }
func (c *chanSource) Err() error             { return nil }

// columnTypes maps a table's columns to their types.
func columnTypes(ctx context.Context, tx pgx.Tx, table string) (map[string]string, error) {
	rows, err := tx.Query(ctx, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1`, table)
	if err != nil {
		return nil, fmt.Errorf("import %s: columns: %w", table, err)
	}
	types := map[string]string{}
	for rows.Next() {
		var c, t string
		if err := rows.Scan(&c, &t); err != nil {
			return nil, fmt.Errorf("import %s: columns: %w", table, err)
		}
		types[c] = t
	}
	return types, rows.Err()
}

// sqliteTime is the layout of the SQLite store's times.
const sqliteTime = "2006-01-02 15:04:05.999999"

// converter turns a value read from SQLite into one for a column of type
// typ.
func converter(typ string) func(any) (any, error) {
	switch typ {
	case "timestamp with time zone":
		return func(v any) (any, error) {
			switch v := v.(type) {
			case nil:
				return nil, nil
			case string:
				t, err := time.ParseInLocation(sqliteTime, v, time.UTC)
				if err != nil {
					return nil, fmt.Errorf("time %q: %w", v, err)
				}
				return t, nil
			case time.Time:
				return v.UTC(), nil
			}
			return nil, fmt.Errorf("a %T where a time belongs", v)
		}
	case "boolean":
		return func(v any) (any, error) {
			switch v := v.(type) {
			case nil:
				return nil, nil
			case int64:
				return v != 0, nil
			case bool:
				return v, nil
			}
			return nil, fmt.Errorf("a %T where a boolean belongs", v)
		}
	case "bytea":
		return func(v any) (any, error) {
			if s, ok := v.(string); ok {
				return []byte(s), nil
			}
			return v, nil
		}
	case "text":
		return func(v any) (any, error) {
			switch v := v.(type) {
			case []byte:
				return string(v), nil
			case int64:
				return fmt.Sprint(v), nil
			}
			return v, nil
		}
	}
	return func(v any) (any, error) { return v, nil }
}

// resetIdentities moves each identity column's sequence past the ids
// copied, so that the next row gets a new one.
func resetIdentities(ctx context.Context, tx pgx.Tx, tables []string) error {
	rows, err := tx.Query(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND is_identity = 'YES'`)
	if err != nil {
		return fmt.Errorf("import: identities: %w", err)
	}
	type col struct{ table, column string }
	var cols []col
	for rows.Next() {
		var c col
		if err := rows.Scan(&c.table, &c.column); err != nil {
			return fmt.Errorf("import: identities: %w", err)
		}
		if slices.Contains(tables, c.table) {
			cols = append(cols, c)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("import: identities: %w", err)
	}
	for _, c := range cols {
		t, cn := pgx.Identifier{c.table}.Sanitize(), pgx.Identifier{c.column}.Sanitize()
		q := `SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT max(` + cn + `) FROM ` + t + `), 0) + 1, false)`
		if _, err := tx.Exec(ctx, q, c.table, c.column); err != nil {
			return fmt.Errorf("import: identity %s.%s: %w", c.table, c.column, err)
		}
	}
	return nil
}
