package store

import (
	"context"
	"database/sql"
	"strings"
	"sync"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/sqlite"
)

// Statements are prepared once and reused: parsing SQL on every call cost
// more than running it for most of the engine's small statements.

// maxPrepared bounds the cache; list queries built from filters vary, and
// past the bound they simply run unprepared.
const maxPrepared = 512

// prepared caches statements prepared on one *sql.DB.
type prepared struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func newPrepared(db *sql.DB) *prepared {
	return &prepared{db: db, m: make(map[string]*sql.Stmt)}
}

// stmt returns the prepared statement for query, or nil if it cannot be
// cached (the caller then runs the query unprepared, which reports any
// error in it). It does not hold the lock while preparing, which may wait
// for a free connection.
func (p *prepared) stmt(ctx context.Context, query string) *sql.Stmt {
	p.mu.Lock()
	s, ok := p.m[query]
	full := len(p.m) >= maxPrepared
	p.mu.Unlock()
	if ok {
		return s
	}
	if full {
		return nil
	}
	s, err := p.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if old, ok := p.m[query]; ok { // prepared meanwhile by another goroutine
		s.Close()
		return old
	}
	if p.m == nil { // closed
		s.Close()
		return nil
	}
	p.m[query] = s
	return s
}

func (p *prepared) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.m {
		s.Close()
	}
	p.m = nil
}

// dbQuerier runs queries on a pool with cached statements.
type dbQuerier struct{ p *prepared }

func (q dbQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := q.p.stmt(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return q.p.db.ExecContext(ctx, query, args...)
}

func (q dbQuerier) QueryContext(ctx context.Context, query string, args ...any) (rows, error) {
	var r *sql.Rows
	var err error
	if s := q.p.stmt(ctx, query); s != nil {
		r, err = s.QueryContext(ctx, args...)
	} else {
		r, err = q.p.db.QueryContext(ctx, query, args...)
	}
	if err != nil {
		return nil, err // not a nil *sql.Rows in a non-nil interface
	}
	return r, nil
}

func (q dbQuerier) QueryRowContext(ctx context.Context, query string, args ...any) scanner {
	// One row by key takes microseconds: not worth the driver's watcher
	// goroutine (see uncancellable). Lists stay cancellable.
	ctx = uncancellable(ctx)
	if s := q.p.stmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return q.p.db.QueryRowContext(ctx, query, args...)
}

// txQuerier runs statements in the writer's transaction. Its contexts are
// ignored: a caller that gives up must not interrupt a statement of a
// batch that commits for others too.
type txQuerier struct {
	conn *sqlite.Conn
	// timeline collects the state changes of the batch's updates; the
	// writer inserts them just before it commits.
	timeline *[]engine.Event
	// wrote is set by every statement but a SELECT: an update that fails
	// without writing needs nothing undone.
	wrote *bool
}

// uncancellable drops ctx's cancellation for a point read on the pool:
// the driver watches a cancellable context with a goroutine and a progress
// handler per statement, which costs more than the read. (The writer's
// statements take no context at all: a batch commits or rolls back as a
// whole on the writer's schedule, whoever gives up waiting.)
func uncancellable(ctx context.Context) context.Context {
	if ctx.Done() == nil {
		return ctx
	}
	return context.WithoutCancel(ctx)
}

// noteWrite records that query may change the database.
func (q txQuerier) noteWrite(query string) {
	if !strings.HasPrefix(query, "SELECT ") {
		*q.wrote = true
	}
}

func (q txQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	q.noteWrite(query)
	res, err := q.conn.Exec(query, args...)
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (q txQuerier) QueryContext(ctx context.Context, query string, args ...any) (rows, error) {
	q.noteWrite(query)
	r, err := q.conn.Query(query, args...)
	if err != nil {
		return nil, err
	}
	return r, nil
}

func (q txQuerier) QueryRowContext(ctx context.Context, query string, args ...any) scanner {
	q.noteWrite(query)
	return q.conn.QueryRow(query, args...)
}
