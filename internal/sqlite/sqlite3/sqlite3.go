// Package sqlite3 runs statements on one SQLite connection through SQLite's
// own interface (modernc.org/sqlite/lib), without database/sql and its
// driver, for the store: its writer, a goroutine that owns its connection
// and runs the same few statements all day, and its pool of readers.
//
// Through database/sql every statement paid for things the store does not
// need: the driver asks SQLite for every column's name and declared type on
// each execution, copies every argument into memory of its own, takes the
// connection's mutex on every call into SQLite (the connection is opened
// SQLITE_OPEN_FULLMUTEX), and database/sql converts and boxes every value
// on the way. Here statements are prepared once, arguments are copied by
// SQLite itself, columns are read by position into the caller's variables,
// and the connection is opened SQLITE_OPEN_NOMUTEX: a Conn must be used by
// one goroutine at a time, as database/sql would have guaranteed (only
// Interrupt may come from another).
package sqlite3

import (
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"unsafe"

	"modernc.org/libc"
	lib "modernc.org/sqlite/lib"
)

// Error is an error reported by SQLite.
type Error struct {
	Code int // SQLite's extended result code
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("%s (%d)", e.Msg, e.Code) }

// maxCached bounds the prepared statements kept; statements beyond it are
// prepared for one use (queries built from filters vary without bound).
const maxCached = 512

// Conn is a connection to a SQLite database. It is not safe for concurrent
// use, except for Interrupt.
type Conn struct {
	tls   *libc.TLS
	itls  *libc.TLS  // for Interrupt, which another goroutine calls
	imu   sync.Mutex // serializes Interrupt and Close on itls
	db    uintptr
	cell  uintptr // 8 bytes of C memory for out-parameters
	buf   uintptr // C memory that arguments are copied through
	bufN  int
	stmts map[string]*stmt
}

// stmt is a prepared statement; busy while a Rows reads from it.
type stmt struct {
	p    uintptr
	busy bool
}

// Open opens the database file at path (creating it if needed) and runs
// each of init, typically PRAGMA statements.
func Open(path string, init ...string) (*Conn, error) {
	c := &Conn{tls: libc.NewTLS(), itls: libc.NewTLS(), stmts: make(map[string]*stmt)}
	c.cell = libc.Xmalloc(c.tls, 8)
	c.bufN = 256
	c.buf = libc.Xmalloc(c.tls, libc.Tsize_t(c.bufN))
	if c.cell == 0 || c.buf == 0 {
		c.Close()
		return nil, errors.New("sqlite: out of memory")
	}
	z, err := libc.CString(path)
	if err != nil {
		c.Close()
		return nil, err
	}
	rc := lib.Xsqlite3_open_v2(c.tls, z, c.cell,
		lib.SQLITE_OPEN_READWRITE|lib.SQLITE_OPEN_CREATE|lib.SQLITE_OPEN_NOMUTEX, 0)
	libc.Xfree(c.tls, z)
	c.db = *(*uintptr)(cmem(c.cell))
	if rc != lib.SQLITE_OK {
		err := c.errorFor(rc)
		c.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	lib.Xsqlite3_extended_result_codes(c.tls, c.db, 1)
	for _, q := range init {
		if _, err := c.Exec(q); err != nil {
			c.Close()
			return nil, fmt.Errorf("open %s: %s: %w", path, q, err)
		}
	}
	return c, nil
}

// Close finalizes the prepared statements and closes the connection.
func (c *Conn) Close() error {
	var err error
	for q, s := range c.stmts {
		lib.Xsqlite3_finalize(c.tls, s.p)
		delete(c.stmts, q)
	}
	if c.db != 0 {
		if rc := lib.Xsqlite3_close_v2(c.tls, c.db); rc != lib.SQLITE_OK {
			err = c.errorFor(rc)
		}
		c.db = 0
	}
	if c.cell != 0 {
		libc.Xfree(c.tls, c.cell)
		c.cell = 0
	}
	if c.buf != 0 {
		libc.Xfree(c.tls, c.buf)
		c.buf = 0
	}
	if c.tls != nil {
		c.tls.Close()
		c.tls = nil
	}
	c.imu.Lock()
	if c.itls != nil {
		c.itls.Close()
		c.itls = nil
	}
	c.imu.Unlock()
	return err
}

// Interrupt makes the statement running on c, if any, stop with an
// SQLITE_INTERRUPT error as soon as it can. Unlike every other method it
// may be called from another goroutine while c is in use (that is what it
// is for); it must not be called once Close has begun.
func (c *Conn) Interrupt() {
	c.imu.Lock()
	defer c.imu.Unlock()
	if c.itls != nil && c.db != 0 {
		lib.Xsqlite3_interrupt(c.itls, c.db)
	}
}

// IsInterrupt reports whether err is SQLite's answer to Interrupt.
func IsInterrupt(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code&0xff == lib.SQLITE_INTERRUPT
}

// errorFor describes result code rc, with the connection's message when
// it has one for it.
func (c *Conn) errorFor(rc int32) error {
	msg := ""
	if c.db != 0 {
		msg = libc.GoString(lib.Xsqlite3_errmsg(c.tls, c.db))
	}
	if msg == "" || msg == "not an error" {
		msg = libc.GoString(lib.Xsqlite3_errstr(c.tls, rc))
	}
	return &Error{Code: int(rc), Msg: msg}
}

// prepare returns a prepared statement for query and whether it is one
// of the cached ones (else the caller finalizes it after use).
func (c *Conn) prepare(query string) (*stmt, bool, error) {
	if s, ok := c.stmts[query]; ok && !s.busy {
		return s, true, nil
	}
	z, err := libc.CString(query)
	if err != nil {
		return nil, false, err
	}
	defer libc.Xfree(c.tls, z)
	rc := lib.Xsqlite3_prepare_v3(c.tls, c.db, z, int32(len(query)), lib.SQLITE_PREPARE_PERSISTENT, c.cell, 0)
	if rc != lib.SQLITE_OK {
		return nil, false, c.errorFor(rc)
	}
	p := *(*uintptr)(cmem(c.cell))
	if p == 0 {
		return nil, false, fmt.Errorf("sqlite: no statement in %q", query)
	}
	s := &stmt{p: p}
	if _, ok := c.stmts[query]; !ok && len(c.stmts) < maxCached {
		c.stmts[query] = s
		return s, true, nil
	}
	return s, false, nil // the cached one is busy, or the cache is full
}

// release makes s ready for its next use, or finalizes it.
func (c *Conn) release(s *stmt, cached bool) {
	if cached {
		lib.Xsqlite3_reset(c.tls, s.p)
		s.busy = false
		return
	}
	lib.Xsqlite3_finalize(c.tls, s.p)
}

// bind binds args to s's parameters, in order.
func (c *Conn) bind(s *stmt, args []any) error {
	if n := int(lib.Xsqlite3_bind_parameter_count(c.tls, s.p)); n != len(args) {
		return fmt.Errorf("sqlite: %d arguments for %d parameters", len(args), n)
	}
	for i, a := range args {
		idx := int32(i + 1)
		var rc int32
		switch v := a.(type) {
		case nil:
			rc = lib.Xsqlite3_bind_null(c.tls, s.p, idx)
		case string:
			rc = lib.Xsqlite3_bind_text(c.tls, s.p, idx, c.copyIn(v), int32(len(v)), lib.SQLITE_TRANSIENT)
		case []byte:
			if v == nil {
				rc = lib.Xsqlite3_bind_null(c.tls, s.p, idx)
			} else {
				rc = lib.Xsqlite3_bind_blob(c.tls, s.p, idx, c.copyIn(string(v)), int32(len(v)), lib.SQLITE_TRANSIENT)
			}
		case int:
			rc = lib.Xsqlite3_bind_int64(c.tls, s.p, idx, int64(v))
		case int64:
			rc = lib.Xsqlite3_bind_int64(c.tls, s.p, idx, v)
		case bool:
			b := int64(0)
			if v {
				b = 1
			}
			rc = lib.Xsqlite3_bind_int64(c.tls, s.p, idx, b)
		case float64:
			rc = lib.Xsqlite3_bind_double(c.tls, s.p, idx, v)
		default:
			return fmt.Errorf("sqlite: argument %d: unsupported type %T", i+1, a)
		}
		if rc != lib.SQLITE_OK {
			return c.errorFor(rc)
		}
	}
	return nil
}

// copyIn copies s into the connection's C buffer and returns its address.
// SQLite copies a value bound SQLITE_TRANSIENT at once, so the buffer is
// free again for the next argument. (Go memory cannot be handed to SQLite:
// the transpiled C code runs on Go stacks, which move.)
func (c *Conn) copyIn(s string) uintptr {
	if len(s) > c.bufN {
		n := max(2*c.bufN, len(s))
		p := libc.Xrealloc(c.tls, c.buf, libc.Tsize_t(n))
		if p == 0 {
			panic("sqlite: out of memory")
		}
		c.buf, c.bufN = p, n
	}
	copy(unsafe.Slice((*byte)(cmem(c.buf)), len(s)), s)
	return c.buf
}

// Result is what Exec reports.
type Result struct {
	rowsAffected, lastInsertID int64
}

// RowsAffected returns the number of rows the statement changed.
func (r Result) RowsAffected() (int64, error) { return r.rowsAffected, nil }

// LastInsertId returns the rowid of the last row inserted.
func (r Result) LastInsertId() (int64, error) { return r.lastInsertID, nil }

// Exec runs one statement to its end.
func (c *Conn) Exec(query string, args ...any) (Result, error) {
	s, cached, err := c.prepare(query)
	if err != nil {
		return Result{}, err
	}
	defer c.release(s, cached)
	if err := c.bind(s, args); err != nil {
		return Result{}, err
	}
	for {
		switch rc := lib.Xsqlite3_step(c.tls, s.p); rc {
		case lib.SQLITE_ROW:
			continue
		case lib.SQLITE_DONE:
			return Result{
				rowsAffected: lib.Xsqlite3_changes64(c.tls, c.db),
				lastInsertID: lib.Xsqlite3_last_insert_rowid(c.tls, c.db),
			}, nil
		default:
			return Result{}, c.errorFor(rc)
		}
	}
}

// Rows reads the rows of a query.
type Rows struct {
	c      *Conn
	s      *stmt
	cached bool
	done   bool
	err    error
	// last holds each text column's value in the previous row: a list's
	// rows repeat most of theirs (a name, a state, "{}"), and a value
	// equal to it is returned without a copy. It is kept from the second
	// row on, so that a query of one row allocates nothing for it.
	last []string
	row  int // rows stepped to
}

// Query runs a query; the caller reads its rows with Next and Scan and
// closes them.
func (c *Conn) Query(query string, args ...any) (*Rows, error) {
	s, cached, err := c.prepare(query)
	if err != nil {
		return nil, err
	}
	if err := c.bind(s, args); err != nil {
		c.release(s, cached)
		return nil, err
	}
	s.busy = true
	return &Rows{c: c, s: s, cached: cached}, nil
}

// Next moves to the next row and reports whether there is one.
func (r *Rows) Next() bool {
	if r.done {
		return false
	}
	switch rc := lib.Xsqlite3_step(r.c.tls, r.s.p); rc {
	case lib.SQLITE_ROW:
		r.row++
		return true
	case lib.SQLITE_DONE:
	default:
		r.err = r.c.errorFor(rc)
	}
	r.Close()
	return false
}

// Err returns the error that ended Next, if any.
func (r *Rows) Err() error { return r.err }

// Close releases the statement; reading no further is fine.
func (r *Rows) Close() error {
	if !r.done {
		r.done = true
		r.c.release(r.s, r.cached)
	}
	return nil
}

// Scan copies the current row's columns, in order, into dest: *string,
// *sql.NullString, *int, *int64, *sql.NullInt64, *float64, *bool, *[]byte
// or *any. Like database/sql, it refuses NULL for a destination that
// cannot hold it.
func (r *Rows) Scan(dest ...any) error {
	if r.done {
		return errors.New("sqlite: Scan without a current row")
	}
	c, p := r.c, r.s.p
	if n := int(lib.Xsqlite3_column_count(c.tls, p)); n != len(dest) {
		return fmt.Errorf("sqlite: %d destinations for %d columns", len(dest), n)
	}
	for i, d := range dest {
		col := int32(i)
		typ := lib.Xsqlite3_column_type(c.tls, p, col)
		if typ == lib.SQLITE_NULL {
			switch d := d.(type) {
			case *sql.NullString:
				*d = sql.NullString{}
			case *sql.NullInt64:
				*d = sql.NullInt64{}
			case *[]byte:
				*d = nil
			case *any:
				*d = nil
			default:
				return fmt.Errorf("sqlite: column %d: NULL cannot be stored in %T", i, d)
			}
			continue
		}
		var err error
		switch d := d.(type) {
		case *string:
			*d = r.text(col, typ)
		case *sql.NullString:
			*d = sql.NullString{String: r.text(col, typ), Valid: true}
		case *int:
			var v int64
			v, err = r.integer(col, typ)
			*d = int(v)
		case *int64:
			*d, err = r.integer(col, typ)
		case *sql.NullInt64:
			var v int64
			v, err = r.integer(col, typ)
			*d = sql.NullInt64{Int64: v, Valid: err == nil}
		case *bool:
			var v int64
			v, err = r.integer(col, typ)
			*d = v != 0
		case *float64:
			*d = lib.Xsqlite3_column_double(c.tls, p, col)
		case *[]byte:
			*d = []byte(r.text(col, typ))
		case *any:
			switch typ {
			case lib.SQLITE_INTEGER:
				*d = lib.Xsqlite3_column_int64(c.tls, p, col)
			case lib.SQLITE_FLOAT:
				*d = lib.Xsqlite3_column_double(c.tls, p, col)
			case lib.SQLITE_BLOB:
				*d = []byte(r.text(col, typ))
			default:
				*d = r.text(col, typ)
			}
		default:
			return fmt.Errorf("sqlite: column %d: unsupported destination %T", i, d)
		}
		if err != nil {
			return fmt.Errorf("sqlite: column %d: %w", i, err)
		}
	}
	return nil
}

// text returns column col, of type typ, as a Go string: a copy, since
// SQLite's memory lasts only until the next step. TEXT and BLOB are read
// as they are; numbers as SQLite writes them in text.
func (r *Rows) text(col, typ int32) string {
	c, p := r.c, r.s.p
	var z uintptr
	if typ == lib.SQLITE_TEXT || typ == lib.SQLITE_BLOB {
		z = lib.Xsqlite3_column_blob(c.tls, p, col)
	} else {
		z = lib.Xsqlite3_column_text(c.tls, p, col)
	}
	n := lib.Xsqlite3_column_bytes(c.tls, p, col)
	if z == 0 || n <= 0 {
		return ""
	}
	b := unsafe.Slice((*byte)(cmem(z)), n)
	if r.row < 2 {
		return string(b)
	}
	if r.last == nil {
		r.last = make([]string, lib.Xsqlite3_column_count(c.tls, p))
	}
	if prev := r.last[col]; string(b) == prev {
		return prev
	}
	v := string(b)
	r.last[col] = v
	return v
}

// integer returns column col as an integer; text must hold one.
func (r *Rows) integer(col, typ int32) (int64, error) {
	if typ == lib.SQLITE_INTEGER {
		return lib.Xsqlite3_column_int64(r.c.tls, r.s.p, col), nil
	}
	return strconv.ParseInt(r.text(col, typ), 10, 64)
}

// Row is the first row of a query.
type Row struct {
	rows *Rows
	err  error
}

// QueryRow runs a query for its first row.
func (c *Conn) QueryRow(query string, args ...any) *Row {
	rows, err := c.Query(query, args...)
	return &Row{rows: rows, err: err}
}

// Scan copies the row's columns into dest; sql.ErrNoRows if there is none.
func (r *Row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	return r.rows.Scan(dest...)
}

// cmem turns an address of C memory (SQLite's, or from libc.Xmalloc) into
// a pointer. The garbage collector ignores pointers outside Go's heap, so
// holding one is safe; go vet cannot tell C memory from Go's, hence the
// indirection.
func cmem(p uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&p)) }

// InTransaction reports whether a transaction is open (SQLite is not in
// autocommit mode).
func (c *Conn) InTransaction() bool {
	return lib.Xsqlite3_get_autocommit(c.tls, c.db) == 0
}
