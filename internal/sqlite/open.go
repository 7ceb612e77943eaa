package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/sirocco-project/sirocco/internal/sqlite/sqlite3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

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
	// AuditKey anchors the audit trail's head (audit.Anchor) with every
	// record written; nil writes heads without an anchor. It is kept in
	// memory only: never stored, never logged.
	AuditKey []byte
	// Linger is how long the writer may wait for more updates when fewer
	// wait than its last batch held (group commit; see writer): 0 means
	// DefaultLinger, a negative value never.
	Linger time.Duration
	// SearchLag bounds how long the inbox's search index may lag behind
	// the inbox (migration 0030; searches read the lag too, so their
	// results never do): 0 means DefaultSearchLag, a negative value keeps
	// it in step in every commit.
	SearchLag time.Duration
}

// DefaultLinger bounds the writer's wait for the rest of a batch (see
// lingerAim): at 8 concurrent clients it made commits 40 % fewer and a
// workflow 10-17 % cheaper, at a higher rate and a lower p99; at 2, 4 and
// 32 it changed little (docs/BENCHMARKS.md).
const DefaultLinger = 300 * time.Microsecond

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
	// Ids recorded in inbox_lag by a run that ended without applying them
	// (a crash): the first batch applies them.
	var lagged bool
	if err := w.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM inbox_lag)`).Scan(&lagged); err != nil {
		c.Close()
		r.Close()
		w.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	// From here on the writer writes, on a connection of its own with the
	// same settings.
	if err := w.Close(); err != nil {
		c.Close()
		r.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	wc, err := sqlite3.Open(path, pragmaStatements(settings)...)
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
		checkpointWake: make(chan struct{}, 1), checkpointDone: make(chan struct{}), auditKey: opts.AuditKey, linger: opts.Linger}
	if s.linger == 0 {
		s.linger = DefaultLinger
	}
	s.searchLag = cmp.Or(opts.SearchLag, DefaultSearchLag)
	if lagged {
		s.lag = inboxLag{ids: 1} // long due
	}
	go s.writer()
	go s.checkpointer()
	go rp.janitor(s.closed)
	return s, nil
}

// pragma is a connection setting.
type pragma struct{ name, value string }

// connSettings are what every connection is opened with, whether through
// database/sql (migrations, backups, the checkpointer) or package sqlite3
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

// pragmaStatements turns settings into statements for sqlite3.Open.
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
