package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sirocco-project/sirocco/internal/sqlite"
)

func TestLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	release, err := sqlite.Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sqlite.Lock(path); !errors.Is(err, sqlite.ErrInUse) {
		t.Fatalf("second lock: %v, want ErrInUse", err)
	}
	// The store opens beside the lock: it is advisory, for servers and
	// migrate-to, and SQLite's own locks are separate.
	open(t, path)
	if err := release(); err != nil {
		t.Fatal(err)
	}
	release, err = sqlite.Lock(path)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	release()
}

func TestExport(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	s := open(t, path)
	addActions(t, s, 3)
	s.Close()

	var names []string
	rows := map[string]int64{}
	err := sqlite.Export(context.Background(), path, func(tb *sqlite.Table) error {
		names = append(names, tb.Name)
		var n int64
		if err := tb.Rows(func(row []any) error {
			if len(row) != len(tb.Columns) {
				t.Errorf("%s: %d values for %d columns", tb.Name, len(row), len(tb.Columns))
			}
			n++
			return nil
		}); err != nil {
			return err
		}
		if n != tb.Count {
			t.Errorf("%s: read %d rows, counted %d", tb.Name, n, tb.Count)
		}
		rows[tb.Name] = n
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if rows["action_executions"] != 3 {
		t.Errorf("action_executions: %d rows, want 3", rows["action_executions"])
	}
	if slices.Contains(names, "schema_migrations") || slices.ContainsFunc(names, func(n string) bool { return len(n) > 7 && n[:7] == "sqlite_" }) {
		t.Errorf("bookkeeping tables exported: %v", names)
	}
	// A table comes after those its foreign keys refer to.
	for _, order := range [][2]string{{"workflow_executions", "task_executions"}, {"task_executions", "action_executions"}} {
		a, b := slices.Index(names, order[0]), slices.Index(names, order[1])
		if a < 0 || b < 0 || a > b {
			t.Errorf("%s (at %d) must come before %s (at %d): %v", order[0], a, order[1], b, names)
		}
	}
}
