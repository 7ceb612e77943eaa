package sqlite

import (
	"context"
	"database/sql"
	"runtime"
	"sync"
	"time"

	"github.com/sirocco-project/sirocco/internal/sqlite/sqlite3"
)

// readPool lends read connections (package sqlite3, as the writer's) to
// the API's and the dashboard's reads: database/sql and its driver cost
// readers what they cost the writer (a quarter of the CPU of a list query).
// At most size are lent at once; a returned one waits for the next reader,
// and one left idle for idleTimeout is closed, which frees its page cache.
type readPool struct {
	path string
	init []string
	lent chan struct{} // a token per lent connection
	// lists holds a slot per list query running: at most one fewer than
	// the cores, so that clients paging through long lists leave the
	// writer a core (list).
	lists chan struct{}
	mu    sync.Mutex
	idle  []idleConn // most recently returned last
	done  bool
}

type idleConn struct {
	c     *sqlite3.Conn
	since time.Time
}

const idleTimeout = time.Minute

func newReadPool(path string, size int, init ...string) *readPool {
	return &readPool{path: path, init: init, lent: make(chan struct{}, size), lists: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)-1))}
}

// get lends a connection, opening one if none is idle; it waits while size
// are lent, until ctx is done.
func (p *readPool) get(ctx context.Context) (*sqlite3.Conn, error) {
	select {
	case p.lent <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	p.mu.Lock()
	if p.done {
		p.mu.Unlock()
		<-p.lent
		return nil, errStoreClosed
	}
	if n := len(p.idle); n > 0 {
		c := p.idle[n-1].c
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return c, nil
	}
	p.mu.Unlock()
	c, err := sqlite3.Open(p.path, p.init...)
	if err != nil {
		<-p.lent
		return nil, err
	}
	return c, nil
}

// put takes a lent connection back.
func (p *readPool) put(c *sqlite3.Conn) {
	p.mu.Lock()
	if p.done {
		p.mu.Unlock()
		c.Close()
	} else {
		p.idle = append(p.idle, idleConn{c: c, since: time.Now()})
		p.mu.Unlock()
	}
	<-p.lent
}

// closeIdle closes the connections idle since before cutoff.
func (p *readPool) closeIdle(cutoff time.Time) {
	p.mu.Lock()
	var old []idleConn
	keep := p.idle[:0]
	for _, ic := range p.idle {
		if ic.since.Before(cutoff) {
			old = append(old, ic)
		} else {
			keep = append(keep, ic)
		}
	}
	p.idle = keep
	p.mu.Unlock()
	for _, ic := range old {
		ic.c.Close()
	}
}

// close closes the idle connections now and lent ones as they return.
func (p *readPool) close() {
	p.mu.Lock()
	p.done = true
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, ic := range idle {
		ic.c.Close()
	}
}

// janitor closes idle connections until stop is closed.
func (p *readPool) janitor(stop <-chan struct{}) {
	t := time.NewTicker(idleTimeout / 4)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			p.closeIdle(now.Add(-idleTimeout))
		}
	}
}

// poolQuerier runs reads on the pool's connections.
type poolQuerier struct{ p *readPool }

// watch interrupts c's statement if ctx ends first. The returned func
// stops watching; once it returns, no interrupt can reach c (so c may go
// back to the pool: a stale interrupt would stop another reader's query).
func watch(ctx context.Context, c *sqlite3.Conn) (stop func()) {
	if ctx.Done() == nil {
		return func() {}
	}
	fired := make(chan struct{})
	after := context.AfterFunc(ctx, func() {
		c.Interrupt()
		close(fired)
	})
	return func() {
		if !after() {
			<-fired
		}
	}
}

// ctxErr reports an interrupted statement as its context's error.
func ctxErr(ctx context.Context, err error) error {
	if err != nil && sqlite3.IsInterrupt(err) && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

func (q poolQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	c, err := q.p.get(ctx)
	if err != nil {
		return nil, err
	}
	defer q.p.put(c)
	stop := watch(ctx, c)
	res, err := c.Exec(query, args...)
	stop()
	if err != nil {
		return nil, ctxErr(ctx, err)
	}
	return res, nil
}

func (q poolQuerier) QueryContext(ctx context.Context, query string, args ...any) (rows, error) {
	c, err := q.p.get(ctx)
	if err != nil {
		return nil, err
	}
	stop := watch(ctx, c)
	r, err := c.Query(query, args...)
	if err != nil {
		stop()
		q.p.put(c)
		return nil, ctxErr(ctx, err)
	}
	return &pooledRows{Rows: r, ctx: ctx, release: func() { stop(); q.p.put(c) }}, nil
}

// QueryRowContext reads one row. Its context only bounds the wait for a
// connection: a point read takes microseconds, less than watching it.
func (q poolQuerier) QueryRowContext(ctx context.Context, query string, args ...any) scanner {
	c, err := q.p.get(ctx)
	if err != nil {
		return errRow{err}
	}
	return &pooledRow{row: c.QueryRow(query, args...), release: func() { q.p.put(c) }}
}

// pooledRows returns its connection to the pool when closed.
type pooledRows struct {
	*sqlite3.Rows
	ctx     context.Context
	release func()
	started bool
	err     error // the context's, when it ended before the first step
}

// Next steps the statement. sqlite3_interrupt reaches only a statement
// that runs, and Query only prepares it: a context that ended before the
// first step (a request gone while its handler was not yet scheduled)
// would not stop it, so the first step looks at the context itself.
func (r *pooledRows) Next() bool {
	if !r.started {
		r.started = true
		if err := r.ctx.Err(); err != nil {
			r.err = err
			return false
		}
	}
	return r.Rows.Next()
}

func (r *pooledRows) Close() error {
	err := r.Rows.Close()
	if r.release != nil {
		r.release()
		r.release = nil
	}
	return err
}

func (r *pooledRows) Err() error {
	if r.err != nil {
		return r.err
	}
	return ctxErr(r.ctx, r.Rows.Err())
}

// pooledRow returns its connection to the pool once scanned; callers scan
// at once (QueryRowContext(…).Scan(…)).
type pooledRow struct {
	row     *sqlite3.Row
	release func()
}

func (r *pooledRow) Scan(dest ...any) error {
	defer r.release()
	return r.row.Scan(dest...)
}

// errRow is a row that could not be read.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
