package store

import (
	"context"
	"database/sql"
	"strings"
	"sync"

	"github.com/sirocco-project/sirocco/internal/engine"
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

func (q dbQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := q.p.stmt(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return q.p.db.QueryContext(ctx, query, args...)
}

func (q dbQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	// One row by key takes microseconds: not worth the driver's watcher
	// goroutine (see uncancellable). Lists stay cancellable.
	ctx = uncancellable(ctx)
	if s := q.p.stmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return q.p.db.QueryRowContext(ctx, query, args...)
}

// txQuerier runs queries in a write transaction. The write connection is
// held by the transaction, so a statement cannot be prepared on the pool
// then (that would wait for the connection forever): a statement not yet
// in the writer's cache is prepared in the transaction, shared by the
// updates of the batch, and noted so that the writer prepares it for good
// once the batch has committed and the connection is free.
type txQuerier struct {
	tx     *sql.Tx
	cached *prepared            // statements prepared on the write connection
	stmts  map[string]*sql.Stmt // this batch's statements, closed with it
	missed map[string]bool      // queries to prepare after the batch
	// timeline collects the state changes of the batch's updates; the
	// writer inserts them just before it commits.
	timeline *[]engine.Event
	// wrote is set by every statement but a SELECT: an update that fails
	// without writing needs nothing undone.
	wrote *bool
}

func (q txQuerier) stmt(ctx context.Context, query string) *sql.Stmt {
	if s, ok := q.stmts[query]; ok {
		return s
	}
	var s *sql.Stmt
	q.cached.mu.Lock()
	c, ok := q.cached.m[query]
	q.cached.mu.Unlock()
	if ok {
		s = q.tx.StmtContext(ctx, c) // the connection already has it prepared
	} else {
		if len(q.stmts) >= maxPrepared {
			return nil
		}
		var err error
		if s, err = q.tx.PrepareContext(ctx, query); err != nil {
			return nil
		}
		q.missed[query] = true
	}
	q.stmts[query] = s
	return s
}

// uncancellable drops ctx's cancellation for statements of a write batch.
// A batch commits or rolls back as a whole on the writer's schedule, so a
// caller that gives up must not interrupt a statement half way; and the
// driver watches a cancellable context with a goroutine and a progress
// handler per statement, which cost the writer about a tenth of its CPU.
func uncancellable(ctx context.Context) context.Context {
	if ctx.Done() == nil {
		return ctx
	}
	return context.WithoutCancel(ctx)
}

// prepareMissed prepares, on the idle write connection, what the last
// batch had to prepare in its transaction.
func (p *prepared) prepareMissed(ctx context.Context, missed map[string]bool) {
	for query := range missed {
		p.stmt(ctx, query)
	}
}

// noteWrite records that query may change the database.
func (q txQuerier) noteWrite(query string) {
	if !strings.HasPrefix(query, "SELECT ") {
		*q.wrote = true
	}
}

func (q txQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	q.noteWrite(query)
	ctx = uncancellable(ctx)
	if s := q.stmt(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return q.tx.ExecContext(ctx, query, args...)
}

func (q txQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	q.noteWrite(query)
	ctx = uncancellable(ctx)
	if s := q.stmt(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return q.tx.QueryContext(ctx, query, args...)
}

func (q txQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	q.noteWrite(query)
	ctx = uncancellable(ctx)
	if s := q.stmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return q.tx.QueryRowContext(ctx, query, args...)
}
