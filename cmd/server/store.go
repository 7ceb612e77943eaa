package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/sirocco-project/sirocco/internal/audit"
	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/ops"
	"github.com/sirocco-project/sirocco/internal/postgres"
	"github.com/sirocco-project/sirocco/internal/sqlite"
)

// dataStore is what serve needs of a store, whichever holds the data: a
// SQLite file or a PostgreSQL database.
type dataStore struct {
	engine.Store
	auth       auth.Store
	startAudit func(context.Context) (audit.Start, error)
	// writerStats reports the store's writes: SQLite's single writer, or
	// PostgreSQL's transactions and their groups.
	writerStats func() ops.WriterStats
	// poolStats reports PostgreSQL's connection pool; nil for SQLite.
	poolStats func() ops.PoolStats
	// unlock releases the SQLite file's lock (sqlite.Lock) after Close.
	unlock func() error
}

// Close closes the store, then lets another server use its file.
func (d *dataStore) Close() error {
	err := d.Store.Close()
	if d.unlock != nil {
		err = errors.Join(err, d.unlock())
	}
	return err
}

// errAuditUnchecked reports whether err is a store refusing the audit
// trail at start.
func errAuditUnchecked(err error) bool { return errors.Is(err, audit.ErrUnchecked) }

// dbName is how messages name the database: a SQLite file's path, or a
// PostgreSQL database's host, port, name and user; never a password.
func dbName(db string) string {
	if postgres.IsDSN(db) {
		return postgres.Describe(db)
	}
	return db
}

// openStore opens the database -db names: a postgres:// or postgresql://
// URL is a PostgreSQL database, anything else a SQLite file.
func openStore(ctx context.Context, cfg *config, log *slog.Logger) (*dataStore, error) {
	if postgres.IsDSN(cfg.db) {
		st, err := postgres.Open(ctx, cfg.db, postgres.Options{Sync: cfg.sync, AuditKey: cfg.auditKey, Committers: cfg.dbCommitters})
		if err != nil {
			return nil, err
		}
		log.Info("store: PostgreSQL", "db", postgres.Describe(cfg.db))
		return &dataStore{Store: st, auth: st.Auth(), startAudit: st.StartAudit,
			writerStats: func() ops.WriterStats { return ops.WriterStats(st.WriterStats()) },
			poolStats:   func() ops.PoolStats { return ops.PoolStats(st.PoolStats()) },
		}, nil
	}
	// One server per SQLite file: Open releases every job lease it finds
	// as a dead worker's, and migrate-to must not copy a file in use.
	unlock, err := sqlite.Lock(cfg.db)
	if err != nil {
		return nil, fmt.Errorf("%w (stop the other server first, or give this one another -db)", err)
	}
	st, err := sqlite.Open(ctx, cfg.db, sqlite.Options{Sync: cfg.sync, AuditKey: cfg.auditKey})
	if err != nil {
		unlock()
		return nil, err
	}
	return &dataStore{Store: st, auth: st.Auth(), unlock: unlock,
		startAudit:  st.StartAudit,
		writerStats: func() ops.WriterStats { return ops.WriterStats(st.WriterStats()) },
	}, nil
}
