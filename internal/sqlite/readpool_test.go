package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func testPool(t *testing.T, max int) *readPool {
	t.Helper()
	path := filepath.Join(t.TempDir(), "db")
	s, err := Open(context.Background(), path, Options{}) // creates the schema
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	p := newReadPool(path, max, "PRAGMA query_only = ON")
	t.Cleanup(p.close)
	return p
}

// TestReadPoolBound: no more than max connections are lent; a reader
// waits for one to come back, or for its context.
func TestReadPoolBound(t *testing.T) {
	p := testPool(t, 2)
	ctx := context.Background()
	a, err := p.get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := p.get(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("third get with two lent: %v, want deadline exceeded", err)
	}
	got := make(chan error, 1)
	go func() {
		c, err := p.get(ctx)
		if err == nil {
			p.put(c)
		}
		got <- err
	}()
	p.put(a)
	if err := <-got; err != nil {
		t.Fatalf("get after a put: %v", err)
	}
	p.put(b)
	if n := len(p.idle); n != 2 {
		t.Errorf("%d idle connections, want 2 (none opened beyond the bound)", n)
	}
	p.closeIdle(time.Now().Add(time.Second))
	if n := len(p.idle); n != 0 {
		t.Errorf("%d idle connections after closing the idle ones", n)
	}
}

// TestReadPoolCancelBeforeFirstStep: a query whose context ends after it
// was prepared but before its first step (its handler not yet scheduled)
// stops too; sqlite3_interrupt alone would miss it, since no statement
// runs when it is called.
func TestReadPoolCancelBeforeFirstStep(t *testing.T) {
	p := testPool(t, 1)
	q := poolQuerier{p}
	ctx, cancel := context.WithCancel(context.Background())
	rows, err := q.QueryContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT COUNT(*) FROM n`)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	ended := make(chan error, 1)
	go func() {
		for rows.Next() {
		}
		ended <- rows.Err()
	}()
	select {
	case err = <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the endless query cancelled before its first step still runs 10 s later")
	}
	rows.Close()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("endless query cancelled before its first step: %v, want context.Canceled", err)
	}
}

// TestReadPoolCancel: a query whose request goes away stops with the
// context's error, and its connection serves the next reader normally (a
// late interrupt must not stop someone else's query).
func TestReadPoolCancel(t *testing.T) {
	p := testPool(t, 1)
	q := poolQuerier{p}
	ctx, cancel := context.WithCancel(context.Background())
	rows, err := q.QueryContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT COUNT(*) FROM n`)
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(20*time.Millisecond, cancel)
	ended := make(chan error, 1)
	go func() {
		for rows.Next() {
		}
		ended <- rows.Err()
	}()
	select {
	case err = <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the endless query was not interrupted 10 s after its context was cancelled")
	}
	rows.Close()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("endless query after cancel: %v, want context.Canceled", err)
	}
	for i := 0; i < 20; i++ {
		var n int
		if err := q.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM workflow_executions`).Scan(&n); err != nil {
			t.Fatalf("read %d after the cancelled one: %v", i, err)
		}
		rows, err := q.QueryContext(context.Background(), `SELECT 1 UNION ALL SELECT 2`)
		if err != nil {
			t.Fatal(err)
		}
		k := 0
		for rows.Next() {
			k++
		}
		if err := rows.Err(); err != nil || k != 2 {
			t.Fatalf("list %d after the cancelled one: %d rows, %v", i, k, err)
		}
		rows.Close()
	}
}

// TestReadPoolReadOnly: the readers cannot write.
func TestReadPoolReadOnly(t *testing.T) {
	p := testPool(t, 1)
	_, err := poolQuerier{p}.ExecContext(context.Background(), `DELETE FROM jobs`)
	if err == nil || !strings.Contains(err.Error(), "readonly") {
		t.Fatalf("a write through a reader: %v, want a read-only error", err)
	}
}
