package sqlite3_test

import (
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sirocco-project/sirocco/internal/sqlite/sqlite3"
	_ "modernc.org/sqlite" // database/sql's driver, for comparison
)

func open(t testing.TB) *sqlite3.Conn {
	t.Helper()
	c, err := sqlite3.Open(filepath.Join(t.TempDir(), "db"), "PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	})
	return c
}

func exec(t *testing.T, c *sqlite3.Conn, q string, args ...any) sqlite3.Result {
	t.Helper()
	res, err := c.Exec(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return res
}

func TestRoundTrip(t *testing.T) {
	c := open(t)
	exec(t, c, `CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT, n INTEGER, f REAL, b BLOB, u TEXT UNIQUE)`)
	long := strings.Repeat("x", 100_000) // beyond the argument buffer's first size
	odd := "tab\t nul\x00 ünï \xff"      // a NUL byte and invalid UTF-8 are kept as they are
	rows := []struct {
		s any
		n any
		f any
		b any
	}{
		{"plain", 42, 1.5, []byte{0, 1, 2}},
		{"", int64(-7), 0.0, []byte{}},
		{nil, nil, nil, nil},
		{long, true, -2.25, nil},
		{odd, false, 3.0, []byte(odd)},
	}
	for i, r := range rows {
		res := exec(t, c, `INSERT INTO t (s, n, f, b, u) VALUES (?, ?, ?, ?, ?)`, r.s, r.n, r.f, r.b, fmt.Sprint("u", i))
		if id, _ := res.LastInsertId(); id != int64(i+1) {
			t.Errorf("row %d: last insert id %d", i, id)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			t.Errorf("row %d: %d rows affected", i, n)
		}
	}
	q, err := c.Query(`SELECT id, s, n, f, b FROM t ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for q.Next() {
		var id int
		var s sql.NullString
		var n sql.NullInt64
		var f, b any
		if err := q.Scan(&id, &s, &n, &f, &b); err != nil {
			t.Fatal(err)
		}
		bs, _ := b.([]byte)
		got = append(got, fmt.Sprintf("%d %v %d/%q %v %v %v %q", id, s.Valid, len(s.String), s.String[:min(len(s.String), 20)], n, f, b == nil, bs))
	}
	if err := q.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`1 true 5/"plain" {42 true} 1.5 false "\x00\x01\x02"`,
		`2 true 0/"" {-7 true} 0 false ""`,
		`3 false 0/"" {0 false} <nil> true ""`,
		`4 true 100000/"xxxxxxxxxxxxxxxxxxxx" {1 true} -2.25 true ""`,
		`5 true 17/"tab\t nul\x00 ünï \xff" {0 true} 3 false "tab\t nul\x00 ünï \xff"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Numbers into strings and text into numbers, as database/sql does.
	var s string
	var n int64
	var ok bool
	if err := c.QueryRow(`SELECT 12, '34', 1`).Scan(&s, &n, &ok); err != nil || s != "12" || n != 34 || !ok {
		t.Errorf("conversions: %q %d %v %v", s, n, ok, err)
	}
	if err := c.QueryRow(`SELECT NULL`).Scan(&s); err == nil {
		t.Error("NULL into a string: no error")
	}
	if err := c.QueryRow(`SELECT 'x'`).Scan(&n); err == nil {
		t.Error("'x' into an integer: no error")
	}
}

func TestErrors(t *testing.T) {
	c := open(t)
	exec(t, c, `CREATE TABLE t (id TEXT PRIMARY KEY)`)
	exec(t, c, `INSERT INTO t VALUES (?)`, "a")
	_, err := c.Exec(`INSERT INTO t VALUES (?)`, "a")
	var se *sqlite3.Error
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "UNIQUE constraint failed: t.id") || se.Code != 1555 {
		t.Errorf("duplicate key: %v", err)
	}
	// The statement that failed is usable again.
	exec(t, c, `INSERT INTO t VALUES (?)`, "b")
	if err := c.QueryRow(`SELECT id FROM t WHERE id = ?`, "zz").Scan(new(string)); !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("no row: %v", err)
	}
	if _, err := c.Exec(`SELEKT 1`); err == nil || !strings.Contains(err.Error(), `near "SELEKT": syntax error`) {
		t.Errorf("bad SQL: %v", err)
	}
	if _, err := c.Exec(`INSERT INTO t VALUES (?)`); err == nil || !strings.Contains(err.Error(), "0 arguments for 1 parameters") {
		t.Errorf("missing argument: %v", err)
	}
	if _, err := c.Exec(`INSERT INTO t VALUES (?)`, struct{}{}); err == nil || !strings.Contains(err.Error(), "unsupported type struct {}") {
		t.Errorf("bad argument: %v", err)
	}
	if err := c.QueryRow(`SELECT 1, 2`).Scan(new(int)); err == nil {
		t.Error("too few destinations: no error")
	}
	if _, err := sqlite3.Open(filepath.Join(t.TempDir(), "no", "such", "dir", "db")); err == nil {
		t.Error("open in a missing directory: no error")
	}
}

// TestNestedQuery: a query run again while its rows are still being read
// gets a statement of its own.
func TestNestedQuery(t *testing.T) {
	c := open(t)
	exec(t, c, `CREATE TABLE t (n INTEGER)`)
	for i := 1; i <= 3; i++ {
		exec(t, c, `INSERT INTO t VALUES (?)`, i)
	}
	const q = `SELECT n FROM t WHERE n >= ? ORDER BY n`
	outer, err := c.Query(q, 1)
	if err != nil {
		t.Fatal(err)
	}
	sum := 0
	for outer.Next() {
		var n int
		if err := outer.Scan(&n); err != nil {
			t.Fatal(err)
		}
		inner, err := c.Query(q, n)
		if err != nil {
			t.Fatal(err)
		}
		for inner.Next() {
			var m int
			if err := inner.Scan(&m); err != nil {
				t.Fatal(err)
			}
			sum += n * m
		}
		inner.Close()
	}
	if err := outer.Err(); err != nil {
		t.Fatal(err)
	}
	if want := 1*(1+2+3) + 2*(2+3) + 3*3; sum != want {
		t.Errorf("sum %d, want %d", sum, want)
	}
}

// TestTransactions: a rollback undoes, a commit keeps, and what one
// connection committed another sees.
func TestTransactions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	c, err := sqlite3.Open(path, "PRAGMA journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	exec(t, c, `CREATE TABLE t (n INTEGER)`)
	exec(t, c, `BEGIN IMMEDIATE`)
	exec(t, c, `INSERT INTO t VALUES (1)`)
	exec(t, c, `ROLLBACK`)
	exec(t, c, `BEGIN IMMEDIATE`)
	exec(t, c, `INSERT INTO t VALUES (2)`)
	exec(t, c, `COMMIT`)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var sum int
	if err := db.QueryRow(`SELECT SUM(n) FROM t`).Scan(&sum); err != nil || sum != 2 {
		t.Errorf("sum %d, %v; want 2", sum, err)
	}
}

// The writer's typical statements: insert a 21-column row, read it back by
// key, update 9 of its columns; 20 of each per transaction, as a batch.
const (
	benchTable  = `CREATE TABLE r (id TEXT PRIMARY KEY, c1 TEXT, c2 TEXT, c3 TEXT, c4 TEXT, c5 TEXT, c6 TEXT, c7 TEXT, c8 TEXT, c9 TEXT, c10 TEXT, c11 TEXT, c12 TEXT, c13 TEXT, c14 TEXT, c15 TEXT, c16 TEXT, c17 TEXT, c18 TEXT, c19 INTEGER, c20 INTEGER)`
	benchIndex  = `CREATE INDEX r_c1 ON r (c1, c2)`
	benchInsert = `INSERT INTO r VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	benchSelect = `SELECT id, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, c17, c18, c19, c20 FROM r WHERE id = ?`
	benchUpdate = `UPDATE r SET c3 = ?, c4 = ?, c5 = ?, c6 = ?, c7 = ?, c8 = ?, c9 = ?, c19 = ?, c20 = ? WHERE id = ?`
)

func benchArgs(id string) []any {
	args := []any{id}
	for i := 1; i <= 18; i++ {
		args = append(args, fmt.Sprintf("value %d of %s", i, id))
	}
	return append(args, 1, int64(2))
}

type benchRow struct {
	s [19]string
	n [2]int64
}

func (r *benchRow) dests() []any {
	d := make([]any, 0, 21)
	for i := range r.s {
		d = append(d, &r.s[i])
	}
	return append(d, &r.n[0], &r.n[1])
}

// BenchmarkWriterStatements compares this package with database/sql on
// the same connection settings; one op is an insert, a read and an update.
func BenchmarkWriterStatements(b *testing.B) {
	const batch = 20
	b.Run("database-sql", func(b *testing.B) {
		db, err := sql.Open("sqlite", "file:"+filepath.Join(b.TempDir(), "db")+"?_pragma=journal_mode(WAL)&_pragma=synchronous(OFF)&_txlock=immediate")
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		db.SetMaxOpenConns(1)
		for _, q := range []string{benchTable, benchIndex} {
			if _, err := db.Exec(q); err != nil {
				b.Fatal(err)
			}
		}
		ins, _ := db.Prepare(benchInsert)
		sel, _ := db.Prepare(benchSelect)
		upd, _ := db.Prepare(benchUpdate)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i += batch {
			tx, err := db.Begin()
			if err != nil {
				b.Fatal(err)
			}
			for j := i; j < min(i+batch, b.N); j++ {
				id := fmt.Sprintf("id%09d", j)
				var r benchRow
				if _, err := tx.Stmt(ins).Exec(benchArgs(id)...); err != nil {
					b.Fatal(err)
				}
				if err := tx.Stmt(sel).QueryRow(id).Scan(r.dests()...); err != nil {
					b.Fatal(err)
				}
				if _, err := tx.Stmt(upd).Exec("a", "b", "c", "d", "e", "f", "g", 3, int64(4), id); err != nil {
					b.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("conn", func(b *testing.B) {
		c, err := sqlite3.Open(filepath.Join(b.TempDir(), "db"), "PRAGMA journal_mode=WAL", "PRAGMA synchronous=OFF")
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		for _, q := range []string{benchTable, benchIndex} {
			if _, err := c.Exec(q); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i += batch {
			if _, err := c.Exec(`BEGIN IMMEDIATE`); err != nil {
				b.Fatal(err)
			}
			for j := i; j < min(i+batch, b.N); j++ {
				id := fmt.Sprintf("id%09d", j)
				var r benchRow
				if _, err := c.Exec(benchInsert, benchArgs(id)...); err != nil {
					b.Fatal(err)
				}
				if err := c.QueryRow(benchSelect, id).Scan(r.dests()...); err != nil {
					b.Fatal(err)
				}
				if _, err := c.Exec(benchUpdate, "a", "b", "c", "d", "e", "f", "g", 3, int64(4), id); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := c.Exec(`COMMIT`); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestRowsRepeatedText: a text equal to the previous row's in its column
// is that row's string (no copy), and every value reads as stored — equal
// or not to the one before, empty, NULL, of another type — in a list and
// in a query of one row.
func TestRowsRepeatedText(t *testing.T) {
	c := open(t)
	exec(t, c, "CREATE TABLE t (n INTEGER PRIMARY KEY, a TEXT, b TEXT)")
	want := [][2]any{{"same", "x"}, {"same", "y"}, {"same", ""}, {"other", nil}, {"same", 7}, {"same", "y"}, {"same", "y"}}
	for i, w := range want {
		exec(t, c, "INSERT INTO t (n, a, b) VALUES (?, ?, ?)", i, w[0], w[1])
	}
	rows, err := c.Query("SELECT a, b FROM t ORDER BY n")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var a string
		var b sql.NullString
		if err := rows.Scan(&a, &b); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s/%s/%v", a, b.String, b.Valid))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	wantText := []string{"same/x/true", "same/y/true", "same//true", "other//false", "same/7/true", "same/y/true", "same/y/true"}
	if strings.Join(got, " ") != strings.Join(wantText, " ") {
		t.Errorf("rows: %v; want %v", got, wantText)
	}
	// 200 rows of one repeated text allocate about nothing per row.
	exec(t, c, "DELETE FROM t")
	for i := range 200 {
		exec(t, c, "INSERT INTO t (n, a, b) VALUES (?, 'a repeated text', 'another')", i)
	}
	allocs := testing.AllocsPerRun(10, func() {
		rows, err := c.Query("SELECT a, b FROM t")
		if err != nil {
			t.Fatal(err)
		}
		var a, b string
		for rows.Next() {
			if err := rows.Scan(&a, &b); err != nil {
				t.Fatal(err)
			}
		}
	})
	if allocs > 40 {
		t.Errorf("200 rows of repeated text: %.0f allocations; want a few, not one per value", allocs)
	}
}
