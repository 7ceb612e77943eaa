// Package store is the SQLite implementation of the engine's Store: the
// only place SQL lives. Writes go through one connection; reads use a
// separate pool, which WAL lets run beside the writer.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/sqlite"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// Sync modes: how hard a commit pushes data to disk.
const (
	// SyncFull survives power loss (SQLite synchronous=FULL).
	SyncFull = "full"
	// SyncNormal survives a crash of the process but may lose the last
	// commits on power loss (synchronous=NORMAL in WAL mode).
	SyncNormal = "normal"
)

// Options configure Open.
type Options struct {
	Sync string // SyncFull (default) or SyncNormal
}

// Store is a SQLite database holding Sirocco's state.
type Store struct {
	reader
	// wconn is the one write connection, owned by the writer goroutine.
	// It runs statements below database/sql (package sqlite): the writer
	// bounds throughput, and about a third of its time went to
	// database/sql and its driver.
	wconn *sqlite.Conn
	// readers serve reads, also below database/sql; rdb (database/sql)
	// is kept for backups (VACUUM INTO).
	readers *readPool
	rdb     *sql.DB
	cdb     *sql.DB // the checkpointer's connection

	checkpointWake chan struct{}
	checkpointDone chan struct{}

	writes     chan *writeReq
	closed     chan struct{}
	closeOnce  sync.Once
	writerDone chan struct{}

	// The writer's cumulative figures (WriterStats).
	batches, updates, reruns atomic.Uint64
	busyNanos, commitNanos   atomic.Int64
}

// WriterStats is what the writer has done since Open. When Busy plus
// Commit grows as fast as the clock, the writer is saturated and bounds
// throughput.
type WriterStats struct {
	Batches uint64        // transactions committed
	Updates uint64        // updates answered (committed or not)
	Reruns  uint64        // batches run again, a savepoint per update, because one failed
	Busy    time.Duration // time spent running updates
	Commit  time.Duration // time spent committing (WAL write and sync)
}

// WriterStats returns the writer's cumulative figures.
func (s *Store) WriterStats() WriterStats {
	return WriterStats{
		Batches: s.batches.Load(), Updates: s.updates.Load(), Reruns: s.reruns.Load(),
		Busy: time.Duration(s.busyNanos.Load()), Commit: time.Duration(s.commitNanos.Load()),
	}
}

var _ engine.Store = (*Store)(nil)

// Open opens (creating if needed) the database at path and applies the
// migrations it lacks.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	sync := "FULL"
	switch opts.Sync {
	case "", SyncFull:
	case SyncNormal:
		sync = "NORMAL"
	default:
		return nil, fmt.Errorf("open store: unknown sync mode %q (want full or normal)", opts.Sync)
	}
	settings := connSettings(sync)
	dsn := func(extra string) string {
		v := url.Values{}
		for _, p := range settings {
			v.Add("_pragma", p.name+"("+p.value+")")
		}
		return "file:" + escapePath(path) + "?" + v.Encode() + extra
	}
	w, err := sql.Open("sqlite", dsn("&_txlock=immediate"))
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxLifetime(0)
	w.SetMaxIdleConns(1)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", dsn(""))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	// Only backups use it (the readers are a readPool).
	r.SetMaxOpenConns(1)
	r.SetMaxIdleConns(1)
	r.SetConnMaxIdleTime(time.Minute)
	c, err := sql.Open("sqlite", dsn(""))
	if err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	c.SetMaxOpenConns(1)
	c.SetMaxIdleConns(1)
	c.SetConnMaxIdleTime(time.Minute)
	// A SQLite file is served by one process, so leases left by a previous
	// run belong to a dead worker: release them so its jobs run at once.
	if _, err := w.ExecContext(ctx, `UPDATE jobs SET lease_until = NULL WHERE lease_until IS NOT NULL`); err != nil {
		c.Close()
		r.Close()
		w.Close()
		return nil, fmt.Errorf("release job leases: %w", err)
	}
	// From here on the writer writes, on a connection of its own with the
	// same settings.
	if err := w.Close(); err != nil {
		c.Close()
		r.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	wc, err := sqlite.Open(path, pragmaStatements(settings)...)
	if err != nil {
		c.Close()
		r.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	// Readers: the same settings, and no writing by mistake. A few suffice
	// on 2 cores (WAL lets them run beside the writer).
	rp := newReadPool(path, 4, pragmaStatements(slices.Concat(settings, []pragma{{"query_only", "ON"}}))...)
	s := &Store{reader: reader{db: poolQuerier{rp}}, readers: rp, wconn: wc, rdb: r, cdb: c,
		writes: make(chan *writeReq, maxBatch), closed: make(chan struct{}), writerDone: make(chan struct{}),
		checkpointWake: make(chan struct{}, 1), checkpointDone: make(chan struct{})}
	go s.writer()
	go s.checkpointer()
	go rp.janitor(s.closed)
	return s, nil
}

// pragma is a connection setting.
type pragma struct{ name, value string }

// connSettings are what every connection is opened with, whether through
// database/sql (migrations, backups, the checkpointer) or package sqlite
// (the writer, the readers); busy_timeout first, as the others may
// already need to wait.
func connSettings(sync string) []pragma {
	return []pragma{
		{"busy_timeout", "10000"},
		{"journal_mode", "WAL"},
		{"foreign_keys", "ON"},
		{"synchronous", sync},
		// An update rerun in a savepoint (commitBatch) keeps its undo
		// journal in memory, not in a temporary file.
		{"temp_store", "MEMORY"},
		// The pages a busy server rewrites are few (the right edges of
		// its tables and indexes); checkpointing every 4,000 WAL pages
		// (16 MB) instead of 1,000 copies each of them to the database a
		// quarter as often (pipeline benchmark: 5-9 % more workflows/s).
		{"wal_autocheckpoint", "4000"},
	}
}

// pragmaStatements turns settings into statements for sqlite.Open.
func pragmaStatements(settings []pragma) []string {
	out := make([]string, len(settings))
	for i, p := range settings {
		out[i] = "PRAGMA " + p.name + " = " + p.value
	}
	return out
}

// escapePath makes a file name safe inside a "file:" URI, where %, ? and #
// would otherwise be read as escapes, the query and the fragment.
func escapePath(path string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
}

// Close stops the writer after the batch it holds and closes the database.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.closed)
		<-s.writerDone
		<-s.checkpointDone
		s.readers.close()
		err = errors.Join(s.cdb.Close(), s.rdb.Close(), s.wconn.Close())
	})
	return err
}

// migrate applies the embedded migrations not yet recorded, each in its own
// transaction. Migrations are forward only.
func migrate(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		num, _, ok := strings.Cut(base, "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil {
			return fmt.Errorf("migrate: bad migration file name %q", base)
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if n > 0 {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migrate %s: %w", base, err)
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate %s: %w", base, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, version, fmtTime(time.Now())); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate %s: %w", base, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrate %s: %w", base, err)
		}
	}
	return nil
}

// Update runs fn in a write transaction and returns once it is committed.
//
// Writes are group-committed: one writer goroutine takes every Update that
// is waiting, runs them in one transaction and commits them together, so
// concurrent requests share one fsync. Each fn still succeeds or fails
// alone, and no caller hears of success before the commit: when an fn fails
// after writing, the batch is rolled back and run again with a savepoint
// per fn (commitBatch). So fn may run more than once: it must have no effect
// but its writes, and leave results only from its last run.
func (s *Store) Update(ctx context.Context, fn func(engine.Tx) error) error {
	return s.write(ctx, func(q txQuerier) error { return fn(newTx(q)) })
}

// write is Update below the engine's Tx: fn gets the writer's querier, on
// which the engine's transactions and the account store's (auth.go) are
// both built.
func (s *Store) write(ctx context.Context, fn func(txQuerier) error) error {
	req := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case s.writes <- req:
	case <-s.closed:
		return errStoreClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.done:
		return err
	case <-s.writerDone:
		// The writer answered every update it took before it stopped; one
		// still queued was never run.
		select {
		case err := <-req.done:
			return err
		default:
			return errStoreClosed
		}
	}
}

var errStoreClosed = errors.New("store is closed")

type writeReq struct {
	ctx  context.Context
	fn   func(txQuerier) error
	done chan error
}

// maxBatch bounds how many updates share one commit.
const maxBatch = 256

// writer owns the write connection: it batches waiting updates into one
// transaction each round.
func (s *Store) writer() {
	defer close(s.writerDone)
	for {
		var batch []*writeReq
		select {
		case req := <-s.writes:
			batch = append(batch, req)
		case <-s.closed:
			return
		}
	more:
		for len(batch) < maxBatch {
			select {
			case req := <-s.writes:
				batch = append(batch, req)
			default:
				break more
			}
		}
		s.commitBatch(batch)
	}
}

func (s *Store) commitBatch(batch []*writeReq) {
	// Optimistically, each update runs straight in the transaction: a
	// savepoint per update costs about a tenth of the writer's time (two
	// statements, and a copy of every page the update touches). An update
	// that fails may have written something that cannot be undone alone, so
	// then the whole batch is rolled back and run again, a savepoint each.
	// A batch of one needs no savepoint: its rollback is the transaction's.
	if !s.runBatch(batch, false) {
		s.runBatch(batch, true)
	}
}

// runBatch runs the batch in one transaction and answers every caller,
// unless isolated is false and an update fails: then it rolls back and
// reports false without answering anyone.
func (s *Store) runBatch(batch []*writeReq, isolated bool) bool {
	ctx := context.Background() // a caller giving up must not abort the others' commit
	if _, err := s.wconn.Exec("BEGIN IMMEDIATE"); err != nil {
		for _, r := range batch {
			r.done <- fmt.Errorf("begin: %w", err)
		}
		return true
	}
	started := time.Now()
	results := make([]error, len(batch))
	committed := 0
	// A workflow's start or end records about three state changes.
	timeline := make([]engine.Event, 0, 4*len(batch))
	q := txQuerier{conn: s.wconn, timeline: &timeline, wrote: new(bool)}
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		if isolated {
			results[i] = runSavepoint(ctx, q, r.fn)
		} else {
			results[i] = runDirect(q, r.fn)
		}
		switch {
		case results[i] == nil:
			committed++
		case isolated || !*q.wrote || len(batch) == 1:
			// Undone by its savepoint, nothing to undo, or undone with the
			// transaction (a batch of one commits nothing).
		default:
			s.rollback()
			s.reruns.Add(1)
			s.busyNanos.Add(int64(time.Since(started)))
			return false
		}
	}
	failAll := func(err error) {
		for i := range results {
			if results[i] == nil {
				results[i] = err
			}
		}
	}
	ran := time.Now()
	if committed == 0 {
		s.rollback()
	} else if err := insertTimeline(ctx, q, *q.timeline); err != nil {
		s.rollback()
		failAll(err)
	} else if _, err := s.wconn.Exec("COMMIT"); err != nil {
		// A COMMIT that fails (an I/O error, say) may leave the
		// transaction open: end it, so the next batch starts afresh.
		s.rollback()
		failAll(fmt.Errorf("commit: %w", err))
	} else {
		s.batches.Add(1)
		s.wakeCheckpointer()
	}
	s.updates.Add(uint64(len(batch)))
	s.busyNanos.Add(int64(ran.Sub(started)))
	s.commitNanos.Add(int64(time.Since(ran)))
	for i, r := range batch {
		r.done <- results[i]
	}
	return true
}

// rollback ends the writer's transaction, if one is open, undoing it.
func (s *Store) rollback() {
	if !s.wconn.InTransaction() {
		return
	}
	if _, err := s.wconn.Exec("ROLLBACK"); err != nil {
		slog.Error("store: rollback", "err", err)
	}
}

// runDirect runs fn in the batch's transaction without a savepoint,
// turning a panic into an error. If fn fails, its state changes are
// dropped and q.wrote tells whether it changed the database.
func runDirect(q txQuerier, fn func(txQuerier) error) (err error) {
	*q.wrote = false
	mark := len(*q.timeline)
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("update panicked: %v", p)
		}
		if err != nil {
			*q.timeline = (*q.timeline)[:mark]
		}
	}()
	return fn(q)
}

// runSavepoint runs fn inside a savepoint and rolls it back if fn fails
// or panics, leaving the rest of the batch intact.
func runSavepoint(ctx context.Context, q txQuerier, fn func(txQuerier) error) (err error) {
	if _, err := q.ExecContext(ctx, "SAVEPOINT w"); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	mark := len(*q.timeline)
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("update panicked: %v", p)
		}
		if err != nil {
			*q.timeline = (*q.timeline)[:mark]
			for _, stmt := range []string{"ROLLBACK TO w", "RELEASE w"} {
				if _, rerr := q.ExecContext(ctx, stmt); rerr != nil {
					err = errors.Join(err, fmt.Errorf("%s: %w", stmt, rerr))
				}
			}
			return
		}
		if _, rerr := q.ExecContext(ctx, "RELEASE w"); rerr != nil {
			err = fmt.Errorf("release savepoint: %w", rerr)
		}
	}()
	return fn(q)
}

// NextJobDue returns when the earliest job becomes runnable.
func (s *Store) NextJobDue(ctx context.Context) (time.Time, bool, error) {
	var due sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT MIN(MAX(due_at, COALESCE(lease_until, ''))) FROM jobs`).Scan(&due)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next job: %w", err)
	}
	if !due.Valid {
		return time.Time{}, false, nil
	}
	return parseTime(due.String), true, nil
}

// querier runs statements: on the reader pool (dbQuerier) or in the
// writer's transaction (txQuerier).
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) scanner
}

// rows is what a querier's query returns: *sql.Rows or *sqlite.Rows.
type rows interface {
	Next() bool
	Scan(dest ...any) error
	Close() error
	Err() error
}

// reader implements engine.Reader on a pool or inside a transaction.
type reader struct{ db querier }

// tx implements engine.Tx.
type tx struct {
	reader
	db txQuerier // the transaction, with cached statements
}

func newTx(q txQuerier) *tx {
	return &tx{reader: reader{db: q}, db: q}
}

const timeFormat = "2006-01-02 15:04:05.000000"

// fmtTime writes t in timeFormat. Every row written formats a few times,
// so the common case (years 0–9999) skips time.Format's layout parsing.
func fmtTime(t time.Time) string {
	var b [26]byte
	return string(appendTime(b[:0], t))
}

// appendTime appends t in timeFormat.
func appendTime(dst []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(dst, timeFormat)
	}
	hour, min, sec := t.Clock()
	var b [26]byte
	put := func(i, v, n int) {
		for j := i + n - 1; j >= i; j-- {
			b[j] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, year, 4)
	b[4] = '-'
	put(5, int(month), 2)
	b[7] = '-'
	put(8, day, 2)
	b[10] = ' '
	put(11, hour, 2)
	b[13] = ':'
	put(14, min, 2)
	b[16] = ':'
	put(17, sec, 2)
	b[19] = '.'
	put(20, t.Nanosecond()/1000, 6)
	return append(dst, b[:]...)
}

func fmtTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return fmtTime(*t)
}

func parseTime(s string) time.Time {
	if t, ok := parseTimeFast(s); ok {
		return t
	}
	for _, layout := range []string{timeFormat, "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// parseTimeFast reads what fmtTime writes, and reports false for anything
// else (time.Parse then decides), including values out of range, which
// time.Parse rejects where time.Date would normalise them.
func parseTimeFast(s string) (time.Time, bool) {
	if len(s) != 26 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':' || s[19] != '.' {
		return time.Time{}, false
	}
	num := func(i, n int) (int, bool) {
		v := 0
		for j := i; j < i+n; j++ {
			c := s[j]
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	year, ok1 := num(0, 4)
	month, ok2 := num(5, 2)
	day, ok3 := num(8, 2)
	hour, ok4 := num(11, 2)
	min, ok5 := num(14, 2)
	sec, ok6 := num(17, 2)
	micro, ok7 := num(20, 6)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) || month < 1 || month > 12 || day < 1 || hour > 23 || min > 59 || sec > 59 {
		return time.Time{}, false
	}
	if day > time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day() {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, hour, min, sec, micro*1000, time.UTC), true
}

func parseTimePtr(s sql.NullString) *time.Time {
	if !s.Valid {
		return nil
	}
	t := parseTime(s.String)
	return &t
}

func nullStr(s sql.NullString) *string {
	if !s.Valid {
		return nil
	}
	v := s.String
	return &v
}

func strOrNil(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

// dbErr translates driver errors into engine errors callers branch on.
func dbErr(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return fault.ErrNotFound
	case strings.Contains(err.Error(), "UNIQUE constraint failed"):
		return &fault.Error{Code: fault.ECONFLICT, Message: what + ": duplicate entry"}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// guarded checks the outcome of a guarded UPDATE: no row means another
// writer moved the record first.
func guarded(res sql.Result, err error, what string) error {
	if err != nil {
		return dbErr(err, what)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n == 0 {
		return fault.ErrConflict
	}
	return nil
}

// stateGuard returns " AND state IN (?,…)" and its arguments.
func stateGuard(from []engine.State) (string, []any) {
	if len(from) == 0 {
		return "", nil
	}
	args := make([]any, len(from))
	for i, s := range from {
		args[i] = string(s)
	}
	return " AND state IN (" + placeholders(len(from)) + ")", args
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (t *tx) LockExecution(ctx context.Context, id string) error {
	return nil // SQLite has one writer: the write transaction already excludes others.
}
