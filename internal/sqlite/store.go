// Package sqlite is the SQLite implementation of the engine's Store: the
// only place SQL lives. Writes go through one connection; reads use a
// separate pool, which WAL lets run beside the writer.
package sqlite

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/sqlite/sqlite3"
)

// Store is a SQLite database holding Sirocco's state.
type Store struct {
	reader
	// wconn is the one write connection, owned by the writer goroutine.
	// It runs statements below database/sql (package sqlite3): the writer
	// bounds throughput, and about a third of its time went to
	// database/sql and its driver.
	wconn *sqlite3.Conn
	// linger is how long the writer waits for the rest of a batch (Options.Linger).
	linger time.Duration
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

	// auditKey anchors the audit trail's head (Options.AuditKey).
	auditKey []byte

	// lag is how far the inbox's search index lags (inboxLag), owned by
	// the writer; searchLag bounds its age (Options.SearchLag).
	lag       inboxLag
	searchLag time.Duration

	// The writer's cumulative figures (WriterStats).
	batches, updates, reruns atomic.Uint64
	busyNanos, commitNanos   atomic.Int64
}

var _ engine.Store = (*Store)(nil)

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

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (t *tx) LockExecution(ctx context.Context, id string) error {
	return nil // SQLite has one writer: the write transaction already excludes others.
}

// SerialTx tells the engine that no other transaction writes between two
// reads of this one (engine.SerialTx).
func (t *tx) SerialTx() {}
