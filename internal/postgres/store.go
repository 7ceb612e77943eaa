// Package postgres is the PostgreSQL implementation of the engine's Store
// and of the accounts' auth.Store: the same tables, columns and behaviour
// as package sqlite, held to the same contract (internal/storetest), for
// several Sirocco replicas over one database.
//
// Choices, where PostgreSQL differs from SQLite:
//
//   - Every Update runs in a transaction at READ COMMITTED, retried whole
//     on serialization_failure and deadlock_detected (SQLSTATE 40001,
//     40P01); under load, updates that wait share one (group commit,
//     group.go). fn may therefore run more than once, as engine.Store
//     allows.
//     Transitions stay guarded updates (… WHERE state = ANY($n)): under
//     READ COMMITTED a blocked UPDATE re-checks its WHERE against the row
//     that won, so the loser sees no row and gets fault.ErrConflict.
//     LockExecution is SELECT … FOR UPDATE on the execution's row; ClaimJobs
//     takes due jobs FOR UPDATE SKIP LOCKED; audit appends take a
//     transaction-scoped advisory lock, so the hash chain stays gapless.
//   - Times are timestamptz: microseconds, as the SQLite store's text
//     times keep, read back in UTC, and always the application's clock
//     (no now() in SQL), so that every replica and the SQLite store agree.
//   - JSON is text, never jsonb: kept byte for byte (key order, spacing,
//     \u0000 escapes). Sorted and compared text is COLLATE "C" (byte order,
//     as SQLite), whatever the database's locale.
//   - NUL bytes: PostgreSQL text cannot hold U+0000 (nor invalid UTF-8).
//     The timeline stores its events as JSON, so a note's NUL is the
//     escape \u0000 there and reads back as it was written, as on SQLite;
//     JSON values hold NUL only as that escape. A raw NUL or invalid UTF-8
//     in any other text (a description, a name) is refused as
//     fault.EINVALID instead of being stored: a last line of defence,
//     since the engine refuses such text from clients, naming the field,
//     and cleans what it makes itself, on both stores (engine/text.go).
//     A read or delete looking for such text matches nothing, as on
//     SQLite, without asking the database (unstorable.go).
//   - -sync: full sets synchronous_commit=on (a commit is on disk before
//     Update returns: it survives a crash of the machine). normal sets
//     synchronous_commit=off: PostgreSQL acknowledges before its WAL is
//     flushed. As SQLite's normal, a crash of Sirocco loses nothing (the
//     commit is PostgreSQL's already); a crash of the machine, or of
//     PostgreSQL itself, may lose the last commits (up to three
//     wal_writer_delay, 0.6 s by default) but never corrupts the database.
//     That is slightly weaker than SQLite's normal, which only a power
//     loss can hurt, and is the one asynchronous mode PostgreSQL has.
//   - Errors are told apart by SQLSTATE, never by message text.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// Sync modes, as package sqlite names them.
const (
	SyncFull   = "full"
	SyncNormal = "normal"
)

// DefaultConnectTimeout bounds a connection attempt unless the DSN sets
// connect_timeout.
const DefaultConnectTimeout = 3 * time.Second

// Options configure Open.
type Options struct {
	Sync string // SyncFull (default) or SyncNormal
	// AuditKey anchors the audit trail's head (audit.Anchor) with every
	// record written; nil writes heads without an anchor. Kept in memory
	// only.
	AuditKey []byte
	// MaxConns bounds the pool; 0 picks a default for the machine (see
	// Open), unless the DSN sets pool_max_conns.
	MaxConns int32
	// Committers bounds the transactions this store's updates run in at
	// once; updates arriving while that many run wait and are then run
	// together, in one transaction (group commit, see group.go). 0 picks
	// a number for where the database is (defaultCommitters); a negative
	// value runs every update in its own transaction, at once.
	Committers int
}

// Store is a PostgreSQL database holding Sirocco's state.
type Store struct {
	reader
	pool      *pgxpool.Pool
	auditKey  []byte
	closeOnce sync.Once
	// group, unless nil, gathers updates that wait into one transaction.
	group *group
	stats writerStats
	// onListen, when set (tests), is called each time Listen is listening
	// on a new connection.
	onListen func()
}

var _ engine.Store = (*Store)(nil)

// IsDSN reports whether s names a PostgreSQL database (a postgres:// or
// postgresql:// URL) rather than a SQLite file.
func IsDSN(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

var passwordKV = regexp.MustCompile(`(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`)

// Redact returns dsn without its password (URL user info or a password
// key), for messages.
func Redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		q := u.Query()
		if q.Has("password") {
			q.Set("password", "xxxxx")
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	return passwordKV.ReplaceAllString(dsn, "${1}xxxxx")
}

// Describe names the database a DSN reaches, without secrets: host, port,
// database and user, as the logs show them. Variables (PGHOST, PGUSER…)
// fill in what the DSN leaves out, as when connecting.
func Describe(dsn string) string {
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return "postgres (unparsable DSN)"
	}
	return fmt.Sprintf("postgres host=%s port=%d database=%s user=%s", cfg.Host, cfg.Port, cfg.Database, cfg.User)
}

// Open connects to the database dsn names (a URL or key=value DSN; libpq's
// PG* variables and PGPASSFILE fill in what it leaves out) and applies the
// migrations it lacks, under an advisory lock so that replicas starting
// together apply each once.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	sync := "on"
	switch opts.Sync {
	case "", SyncFull:
	case SyncNormal:
		sync = "off"
	default:
		return nil, fmt.Errorf("open store: unknown sync mode %q (want full or normal)", opts.Sync)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx redacts what it can; the DSN itself is never repeated here.
		return nil, fmt.Errorf("open store: the PostgreSQL DSN cannot be read: %s", Redact(err.Error()))
	}
	cfg.ConnConfig.RuntimeParams["synchronous_commit"] = sync
	cfg.ConnConfig.RuntimeParams["application_name"] = "sirocco"
	// READ COMMITTED whatever the database's default: the guards rely on
	// its re-check of a blocked UPDATE's WHERE.
	cfg.ConnConfig.RuntimeParams["default_transaction_isolation"] = "read committed"
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	} else if !strings.Contains(dsn, "pool_max_conns") {
		// Updates wait on each other's row locks while holding a
		// connection; a few per core keep the CPUs busy without PostgreSQL
		// spending its time switching between backends.
		cfg.MaxConns = int32(max(8, 4*runtime.NumCPU()))
	}
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		// Times read back in UTC, as the SQLite store's.
		c.TypeMap().RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID,
			Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC}})
		return nil
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		// While the database is unreachable, a request waits this long at
		// most for a connection and then answers 503 (a refused connection
		// fails at once); the DSN's connect_timeout overrides it.
		cfg.ConnConfig.ConnectTimeout = DefaultConnectTimeout
	}
	p, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", Describe(dsn), err)
	}
	if err := p.Ping(ctx); err != nil {
		p.Close()
		return nil, fmt.Errorf("open store %s: %w", Describe(dsn), err)
	}
	if err := migrate(ctx, p); err != nil {
		p.Close()
		return nil, err
	}
	st := &Store{reader: reader{db: pool{p}}, pool: p, auditKey: opts.AuditKey}
	if n := opts.Committers; n >= 0 {
		if n == 0 {
			n = defaultCommitters(cfg.ConnConfig.Host, cfg.MaxConns)
		}
		st.group = &group{free: n}
	}
	return st, nil
}

// Close closes the pool; it may be called more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(s.pool.Close)
	return nil
}

// Pool is the store's connection pool (for tests and statistics).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// PoolStats are the figures of the store's connection pool.
type PoolStats struct {
	Max, Acquired, Idle int32
	Acquires, Waited    uint64
	Wait                time.Duration
}

// PoolStats returns the connection pool's figures now.
func (s *Store) PoolStats() PoolStats {
	st := s.pool.Stat()
	return PoolStats{Max: st.MaxConns(), Acquired: st.AcquiredConns(), Idle: st.IdleConns(),
		Acquires: uint64(st.AcquireCount()), Waited: uint64(st.EmptyAcquireCount()), Wait: st.AcquireDuration()}
}

// querier runs statements on the pool or in a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// reader implements engine.Reader on the pool or inside a transaction.
type reader struct{ db querier }

// txq is one Update's transaction, on a connection of the pool. It sends
// BEGIN with the transaction's first statement and COMMIT with its last
// batch (attempt), not as round trips of their own: with about a dozen
// statements per engine transaction, each round trip saved is a few
// percent of the database's and the server's CPU.
type txq struct {
	conn *pgx.Conn
	// begun: BEGIN has been sent.
	begun bool
	// timeline collects the update's state changes, written together just
	// before commit (as the SQLite store's writer does per batch).
	timeline *[]engine.Event
	// notices are the payloads Announce was given, sent with the
	// timeline just before commit.
	notices  *[]string
	auditKey []byte
	// later holds inserts whose outcome nothing in the transaction reads
	// back: they are sent together with the next statement that needs an
	// answer (or with the commit), one round trip for several. Their
	// errors (a duplicate id) surface there, and fail the transaction as
	// they would have.
	later pgx.Batch
	// audits are the audit records appended, sealed just before commit
	// (sealAudits).
	audits []pendingAudit
	// grouped: the transaction runs several callers' updates (group.go);
	// it waits for a lock only so long (lock_timeout) before giving up,
	// so that two such transactions cannot wait for each other for long.
	grouped bool
	// wrote: a statement that may change the database was sent or queued
	// since it was last cleared (group.go tells an update that failed
	// without writing from one that must be undone).
	wrote bool
}

// beginSQL opens every transaction: READ COMMITTED, whatever the
// database's default (see the package comment).
const beginSQL = `BEGIN ISOLATION LEVEL READ COMMITTED`

// deferExec queues an insert to send with the next statement (see later).
func (q *txq) deferExec(sql string, args ...any) {
	q.wrote = true
	q.later.Queue(sql, args...)
}

// pending returns what must precede the next statement — BEGIN, if not
// sent yet, and the deferred inserts — as a batch, and forgets it.
func (q *txq) pending() *pgx.Batch {
	var b pgx.Batch
	if !q.begun {
		b.Queue(beginSQL)
		if q.grouped {
			b.Queue(groupLockTimeoutSQL)
		}
		q.begun = true
	}
	b.QueuedQueries = append(b.QueuedQueries, q.later.QueuedQueries...)
	q.later = pgx.Batch{}
	return &b
}

// send sends b, then stmt, in one round trip, and returns the results with
// those of b's statements read (the first error among them, if any).
func (q *txq) send(ctx context.Context, b *pgx.Batch, sql string, args ...any) (pgx.BatchResults, error) {
	n := b.Len()
	b.Queue(sql, args...)
	br := q.conn.SendBatch(ctx, b)
	for range n {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return nil, err
		}
	}
	return br, nil
}

// noteWrite records that a statement of verb v may change the database:
// anything but a SELECT (one that locks rows changes nothing).
func (q *txq) noteWrite(v verb) {
	if v != verbSelect {
		q.wrote = true
	}
}

// direct reports whether nothing must precede the next statement.
func (q *txq) direct() bool { return q.begun && q.later.Len() == 0 }

func (q *txq) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	v := verbOf(sql)
	if matchesNothing(v, args) {
		return nothing(v), nil
	}
	q.noteWrite(v)
	if q.direct() {
		return q.conn.Exec(ctx, sql, args...)
	}
	br, err := q.send(ctx, q.pending(), sql, args...)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag, err
}

func (q *txq) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	v := verbOf(sql)
	if matchesNothing(v, args) {
		return noRows{nothing(v)}, nil
	}
	q.noteWrite(v)
	if q.direct() {
		return q.conn.Query(ctx, sql, args...)
	}
	br, err := q.send(ctx, q.pending(), sql, args...)
	if err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		br.Close()
		return nil, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

func (q *txq) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return errRow{err}
	}
	return rowOf{rows}
}

// SendBatch sends b after what is pending, in one round trip.
func (q *txq) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	q.wrote = true
	all := q.pending()
	all.QueuedQueries = append(all.QueuedQueries, b.QueuedQueries...)
	return q.conn.SendBatch(ctx, all)
}

// batchRows are the rows of a batch's last statement; closing them ends
// the batch.
type batchRows struct {
	pgx.Rows
	br  pgx.BatchResults
	err error
}

func (r *batchRows) Close() {
	r.Rows.Close()
	if r.br != nil {
		if err := r.br.Close(); err != nil && r.Rows.Err() == nil {
			r.err = err
		}
		r.br = nil
	}
}

func (r *batchRows) Err() error {
	if err := r.Rows.Err(); err != nil {
		return err
	}
	return r.err
}

// rowOf is the first row of rows, as pgx.Row: ErrNoRows when there is none.
type rowOf struct{ rows pgx.Rows }

func (r rowOf) Scan(dest ...any) error {
	defer r.rows.Close()
	if !r.rows.Next() {
		r.rows.Close()
		if err := r.rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	r.rows.Close()
	return r.rows.Err()
}

// errRow is a row that could not be read.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// tx implements engine.Tx.
type tx struct {
	reader
	q *txq
}

// maxAttempts bounds the runs of one Update that fail with a
// serialization failure or a deadlock.
const maxAttempts = 10

// Update runs fn in one transaction and returns once it is committed. fn
// runs again when PostgreSQL aborts the transaction for a serialization
// failure or a deadlock.
func (s *Store) Update(ctx context.Context, fn func(engine.Tx) error) error {
	return s.write(ctx, func(q *txq) error { return fn(&tx{reader: reader{db: q}, q: q}) })
}

// write is Update below the engine's Tx: the accounts' transactions (auth.go)
// are built on it too.
func (s *Store) write(ctx context.Context, fn func(*txq) error) error {
	if s.group == nil {
		return s.writeAlone(ctx, fn)
	}
	return s.writeGrouped(ctx, fn)
}

// writeAlone runs fn in a transaction of its own, again while PostgreSQL
// aborts it for a serialization failure or a deadlock.
func (s *Store) writeAlone(ctx context.Context, fn func(*txq) error) error {
	for attempt := 1; ; attempt++ {
		s.stats.updates.Add(1)
		err := s.attempt(ctx, fn, false)
		if err == nil || attempt == maxAttempts || !retryable(err) {
			return unavailable(err)
		}
		// A short random pause lets the transaction that won finish.
		d := time.Duration(rand.Int64N(int64(time.Millisecond) << min(attempt, 6)))
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// attempt runs fn in one transaction and commits it. A grouped
// transaction runs several callers' updates (fn runs them all).
func (s *Store) attempt(ctx context.Context, fn func(*txq) error, grouped bool) (err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	var timeline []engine.Event
	var notices []string
	q := &txq{conn: conn.Conn(), timeline: &timeline, notices: &notices, auditKey: s.auditKey, grouped: grouped}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("update panicked: %v", p)
		}
		if err != nil && q.begun {
			// The rollback's own error adds nothing: a connection that
			// cannot roll back is closed, not returned to the pool.
			if _, rerr := q.conn.Exec(context.Background(), `ROLLBACK`); rerr != nil {
				conn.Conn().Close(context.Background())
			}
		}
		// A connection left inside a transaction (a failure between
		// BEGIN and its answer) is destroyed by the pool, never reused.
		conn.Release()
	}()
	started := time.Now()
	if err := fn(q); err != nil {
		return err
	}
	if !q.begun && q.later.Len() == 0 && len(q.audits) == 0 && len(timeline) == 0 && len(notices) == 0 {
		return nil // it read nothing and wrote nothing
	}
	if grouped {
		// From here on the transaction waits for the audit trail's head
		// and, committing, for PostgreSQL's lock on notices as long as it
		// takes: those are taken last, by every transaction, in that
		// order, so the wait is never part of a cycle.
		q.deferExec(`SET LOCAL lock_timeout = 0`)
	}
	if err := sealAudits(ctx, q); err != nil {
		return err
	}
	// What every transaction ends with, the deferred inserts, the
	// timeline's rows, the notices to the other replicas and the commit,
	// goes in one round trip.
	ran := time.Now()
	all := q.pending()
	queueTimeline(all, timeline)
	for _, p := range notices {
		all.Queue(`SELECT pg_notify($1, $2)`, engine.NoticeChannel, p)
	}
	all.Queue(`COMMIT`)
	n := all.Len()
	br := q.conn.SendBatch(ctx, all)
	var tag pgconn.CommandTag
	var cerr error
	for range n {
		if tag, cerr = br.Exec(); cerr != nil {
			break
		}
	}
	if err := br.Close(); cerr == nil {
		cerr = err
	}
	if cerr != nil {
		return dbErr(cerr, "commit")
	}
	q.begun = false // committed: nothing to roll back
	if tag.String() != "COMMIT" {
		// COMMIT of a transaction that had failed answers ROLLBACK.
		return fmt.Errorf("commit: the transaction was rolled back (%s)", tag)
	}
	s.stats.batches.Add(1)
	s.stats.busy.Add(int64(ran.Sub(started)))
	s.stats.commit.Add(int64(time.Since(ran)))
	return nil
}

// retryable reports whether err is PostgreSQL aborting a transaction that
// would succeed if run again.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// LockRootOf implements engine.RootLocker: the root found by a subquery
// and locked, in one statement. The root of a record never changes, so the
// subquery's snapshot (taken before the lock was granted) finds the right
// one; what the engine reads next is read under the lock.
func (t *tx) LockRootOf(ctx context.Context, kind, id string) error {
	var find string
	switch kind {
	case engine.RootOfAction:
		find = `SELECT COALESCE(e.root_execution_id, e.id) FROM action_executions a
			JOIN workflow_executions e ON e.id = a.workflow_execution_id WHERE a.id = $1`
	case engine.RootOfExecution:
		find = `SELECT COALESCE(root_execution_id, id) FROM workflow_executions WHERE id = $1`
	default:
		return fmt.Errorf("lock the root of a %s: no such kind of record", kind)
	}
	var one int
	err := t.q.QueryRow(ctx, `SELECT 1 FROM workflow_executions WHERE id = (`+find+`) FOR UPDATE`, id).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	return dbErr(err, "lock the root")
}

func (t *tx) LockExecution(ctx context.Context, id string) error {
	// Work on one execution waits for the transaction holding it; an
	// execution that does not exist has nothing to serialise.
	var one int
	err := t.q.QueryRow(ctx, `SELECT 1 FROM workflow_executions WHERE id = $1 FOR UPDATE`, id).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	return dbErr(err, "lock execution")
}
