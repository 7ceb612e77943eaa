package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// Cross-replica notices (engine.Announcer, engine.Notifier) over
// PostgreSQL's LISTEN/NOTIFY: a transaction's pg_notify is delivered when
// it commits and never when it rolls back, and listeners get the
// notifications of all sessions in commit order.

var (
	_ engine.Announcer = (*tx)(nil)
	_ engine.Notifier  = (*Store)(nil)
)

// listenerName is the application_name of the listening connection, for
// operators (pg_stat_activity) and tests.
const listenerName = "sirocco-listener"

// Listening's bounds: the pause before reconnecting grows from
// listenBackoff to maxListenBackoff; after maxListenRetries connections
// in a row fail, Listen gives up and the engine calls it again later.
const (
	listenBackoff    = 50 * time.Millisecond
	maxListenBackoff = 2 * time.Second
	maxListenRetries = 10
	// listenPing is how long the listener waits for a notification before
	// checking that its connection still answers: a connection silently
	// cut (a network partition) is found out within about this long.
	listenPing = 30 * time.Second
)

// Announce sends n to the replicas listening, one pg_notify per payload,
// in this transaction: delivered when it commits, dropped if it rolls
// back.
func (t *tx) Announce(ctx context.Context, n engine.Notice) error {
	// Sent with the commit (Store.attempt), inside the transaction:
	// nothing is announced that did not commit.
	*t.q.notices = append(*t.q.notices, n.Payloads()...)
	return nil
}

// Listen calls fn with each notice announced on the database, in commit
// order, until ctx ends; then it returns nil. It listens on a connection
// of its own, outside the pool. When that connection drops, it connects
// again (after a short pause, growing while connections fail) and then
// calls fn with a Resync notice, since notices may have been lost
// meanwhile; a payload it cannot read is a Resync too. It gives up, with
// an error, after maxListenRetries failed connections in a row.
func (s *Store) Listen(ctx context.Context, fn func(engine.Notice)) error {
	backoff, failed := listenBackoff, 0
	lost := false
	for {
		conn, err := s.listenConn(ctx)
		if err == nil {
			backoff, failed = listenBackoff, 0
			if s.onListen != nil {
				s.onListen()
			}
			if lost {
				fn(engine.Notice{Resync: true})
			}
			err = follow(ctx, conn, fn)
			closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			conn.Close(closeCtx)
			cancel()
		}
		if ctx.Err() != nil {
			return nil
		}
		lost = true
		if failed++; failed > maxListenRetries {
			return fmt.Errorf("listen for notices: %d connections failed in a row: %w", failed, err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxListenBackoff)
	}
}

// listenConn opens a connection with the pool's settings and listens on
// it.
func (s *Store) listenConn(ctx context.Context) (*pgx.Conn, error) {
	cfg := s.pool.Config().ConnConfig
	cfg.RuntimeParams["application_name"] = listenerName
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("listen for notices: connect: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{engine.NoticeChannel}.Sanitize()); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("listen for notices: %w", err)
	}
	return conn, nil
}

// follow hands the notifications conn receives to fn until ctx ends or
// the connection fails.
func follow(ctx context.Context, conn *pgx.Conn, fn func(engine.Notice)) error {
	for {
		wait, cancel := context.WithTimeout(ctx, listenPing)
		n, err := conn.WaitForNotification(wait)
		cancel()
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return nil
		case pgconn.Timeout(err) && !conn.IsClosed():
			// Nothing for a while: make sure the connection still answers.
			ping, cancel := context.WithTimeout(ctx, listenPing)
			err := conn.Ping(ping)
			cancel()
			if err != nil {
				return fmt.Errorf("listen for notices: %w", err)
			}
			continue
		default:
			return fmt.Errorf("listen for notices: %w", err)
		}
		if n.Channel != engine.NoticeChannel {
			continue
		}
		notice, err := engine.ParseNotice(n.Payload)
		if err != nil {
			// What it would have said is lost: have everything refetched.
			notice = engine.Notice{Resync: true}
		}
		fn(notice)
	}
}
