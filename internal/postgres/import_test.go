package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/postgres"
)

// rows serves fixed rows to Import.
func rows(vals ...[]any) func(func([]any) error) error {
	return func(fn func([]any) error) error {
		for _, v := range vals {
			if err := fn(v); err != nil {
				return err
			}
		}
		return nil
	}
}

// TestImport: values in the SQLite store's encoding (text times, integer
// booleans) land typed; a column or table this schema lacks is an error
// that names it and leaves nothing behind; a count that does not match
// fails the whole import.
func TestImport(t *testing.T) {
	ctx := context.Background()
	wf := func(cols []string, count int64, vals ...[]any) func(func(*postgres.ImportTable) error) error {
		return func(fn func(*postgres.ImportTable) error) error {
			return fn(&postgres.ImportTable{Name: "workflow_definitions", Columns: cols, Count: count, Rows: rows(vals...)})
		}
	}
	cols := []string{"id", "name", "namespace", "definition", "project_id", "created_at"}
	row := []any{"w1", "wf", "", "version: '2.0'", "p", "2026-12-07 06:01:02.345678"}

	s := open(t)
	for _, c := range []struct {
		name   string
		tables func(func(*postgres.ImportTable) error) error
		want   string
	}{
		{"unknown column", wf(append(cols, "bogus"), 1, append(row, "x")), "column workflow_definitions.bogus has no place here"},
		{"unknown table", func(fn func(*postgres.ImportTable) error) error {
			return fn(&postgres.ImportTable{Name: "bogus", Columns: []string{"id"}, Count: 0, Rows: rows()})
		}, "table bogus has no place here"},
		{"count differs", wf(cols, 2, row), "the source counted 2"},
		{"bad time", wf(cols, 1, []any{"w1", "wf", "", "d", "p", "yesterday"}), `time "yesterday"`},
	} {
		if _, err := s.Import(ctx, c.tables); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", c.name, err, c.want)
		}
	}
	// Nothing of the failed imports stayed.
	if list, err := s.ListWorkflows(ctx, engine.ListQuery{}); err != nil || len(list) != 0 {
		t.Fatalf("after failed imports: %d workflows, %v", len(list), err)
	}

	n, err := s.Import(ctx, wf(cols, 1, row))
	if err != nil || n["workflow_definitions"] != 1 {
		t.Fatalf("import: %v, %v", n, err)
	}
	w, err := s.GetWorkflow(ctx, "w1", "")
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 12, 7, 6, 1, 2, 345678000, time.UTC); !w.CreatedAt.Equal(want) {
		t.Errorf("created_at %v, want %v", w.CreatedAt, want)
	}
	if _, err := s.Import(ctx, wf(cols, 1, row)); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("a second import: %v, want a refusal saying the database is not empty", err)
	}
}
