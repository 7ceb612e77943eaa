package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/sirocco-project/sirocco/internal/audit"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/sqlite/sqlite3"
)

// Statements run on connections of package sqlite3: the writer's own
// (txQuerier) and the readers' (poolQuerier, readpool.go). Each connection
// prepares a statement once and keeps it.

// querier runs statements: on the reader pool (poolQuerier) or in the
// writer's transaction (txQuerier).
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) scanner
}

// rows is what a querier's query returns: *sqlite3.Rows, bare or lent by the pool.
type rows interface {
	Next() bool
	Scan(dest ...any) error
	Close() error
	Err() error
}

// txQuerier runs statements in the writer's transaction. Its contexts are
// ignored: a caller that gives up must not interrupt a statement of a
// batch that commits for others too.
type txQuerier struct {
	conn *sqlite3.Conn
	// timeline collects the state changes of the batch's updates; the
	// writer inserts them just before it commits.
	timeline *[]engine.Event
	// inbox collects the asynchronous actions the batch's updates created
	// or moved; the writer brings the inbox's search index in step with
	// them just before it commits (syncInboxSearch).
	inbox *[]inboxTouch
	// wrote is set by every statement but a SELECT: an update that fails
	// without writing needs nothing undone.
	wrote *bool
	// auditKey anchors the audit head written with each record (nil: no
	// anchor).
	auditKey []byte
	// head is the audit trail's head as the batch's appends left it: read
	// once, written once before commit (flushAuditHead) instead of per
	// record. nil outside the writer's batches.
	head *batchHead
}

// batchHead is the audit head a batch holds in memory.
type batchHead struct {
	h     audit.Head
	have  bool // h is the head as of the batch's writes
	dirty bool // h is newer than the stored head
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
