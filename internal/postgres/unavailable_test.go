package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/pgtest"
	"github.com/sirocco-project/sirocco/internal/postgres"
)

// Which driver errors say the database is unavailable (503) and which
// keep their meaning.
func TestUnavailableErrors(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	for _, tc := range []struct {
		name string
		err  error
		want string // fault.Code of the result
	}{
		{"a refused connection", fmt.Errorf("begin: %w", &pgconn.ConnectError{}), fault.EUNAVAILABLE},
		{"a network error", fmt.Errorf("list: %w", refused), fault.EUNAVAILABLE},
		{"a connection closed under a statement", fmt.Errorf("get: %w", io.ErrUnexpectedEOF), fault.EUNAVAILABLE},
		{"connection exception 08006", &pgconn.PgError{Code: "08006"}, fault.EUNAVAILABLE},
		{"admin shutdown 57P01", fmt.Errorf("commit: %w", &pgconn.PgError{Code: "57P01"}), fault.EUNAVAILABLE},
		{"crash shutdown 57P02", &pgconn.PgError{Code: "57P02"}, fault.EUNAVAILABLE},
		{"cannot connect now 57P03", &pgconn.PgError{Code: "57P03"}, fault.EUNAVAILABLE},
		{"a unique violation", &pgconn.PgError{Code: "23505"}, fault.EINTERNAL},
		{"a syntax error", &pgconn.PgError{Code: "42601"}, fault.EINTERNAL},
		{"a conflict", fault.ErrConflict, fault.ECONFLICT},
		{"the client left", fmt.Errorf("get: %w", context.Canceled), fault.EINTERNAL},
		{"the request's deadline", fmt.Errorf("get: %w", context.DeadlineExceeded), fault.EINTERNAL},
		{"an ordinary error", errors.New("boom"), fault.EINTERNAL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := postgres.ClassifyUnavailable(tc.err)
			if c := fault.Code(got); c != tc.want {
				t.Fatalf("code %q, want %q (%v)", c, tc.want, got)
			}
			if !errors.Is(got, tc.err) {
				t.Errorf("the cause %v is lost: %v", tc.err, got)
			}
			if tc.want == fault.EUNAVAILABLE && fault.Message(got) != postgres.Unavailable {
				t.Errorf("message %q, want %q", fault.Message(got), postgres.Unavailable)
			}
		})
	}
}

// A store whose database stops answers reads and writes with
// fault.EUNAVAILABLE at once (no wait for the request's deadline), and
// works again, by itself, once the database is back.
func TestUnavailableDatabase(t *testing.T) {
	c := pgtest.Private(t)
	ctx := context.Background()
	s, err := postgres.Open(ctx, c.NewDatabase(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	write := func(ctx context.Context) error {
		return s.Update(ctx, func(tx engine.Tx) error {
			return tx.AddJob(ctx, &engine.Job{Kind: engine.JobRunAction, Ref: "a1", DueAt: t0})
		})
	}
	read := func(ctx context.Context) error { _, _, err := s.NextJobDue(ctx); return err }
	ops := []struct {
		name string
		do   func(context.Context) error
	}{{"write", write}, {"read", read}}
	for _, op := range ops {
		if err := op.do(ctx); err != nil {
			t.Fatalf("%s before the outage: %v", op.name, err)
		}
	}

	// Connections the pool holds are cut by the shutdown; new ones are
	// refused.
	c.Stop(t)
	for _, op := range ops {
		for i := range 3 {
			// The deadline is a failure bound only: an answer must come
			// from the store, not from the request giving up.
			ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			err := op.do(ctx)
			cancel()
			if fault.Code(err) != fault.EUNAVAILABLE || fault.Message(err) != postgres.Unavailable || errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%s #%d while the database is down: %v (code %q), want %q", op.name, i, err, fault.Code(err), postgres.Unavailable)
			}
		}
	}

	c.Start(t)
	for _, op := range ops {
		if err := op.do(ctx); err != nil {
			t.Errorf("%s after the restart: %v", op.name, err)
		}
	}
}
