package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// SQLSTATEs the store branches on.
const (
	codeUniqueViolation = "23505"
	// Text holding NUL (U+0000) or bytes that are not UTF-8.
	codeBadCharacter   = "22021"
	codeUntranslatable = "22P05"
)

// dbErr translates driver errors into the errors callers branch on, by
// SQLSTATE.
func dbErr(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fault.ErrNotFound
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case codeUniqueViolation:
			return &fault.Error{Code: fault.ECONFLICT, Message: what + ": duplicate entry"}
		case codeBadCharacter, codeUntranslatable:
			return fault.Errorf(fault.EINVALID, "%s: text holds a NUL character or bytes that are not UTF-8, which the database cannot store", what)
		}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// guarded checks the outcome of a guarded UPDATE: no row means another
// writer moved the record first.
func guarded(tag pgconn.CommandTag, err error, what string) error {
	if err != nil {
		return dbErr(err, what)
	}
	if tag.RowsAffected() == 0 {
		return fault.ErrConflict
	}
	return nil
}

// bumped is guarded for an update that also incremented the row's
// version: on success the caller's copy gets the new version, so that it
// can be written again in the same transaction.
func bumped(version *int64, tag pgconn.CommandTag, err error, what string) error {
	if err := guarded(tag, err, what); err != nil {
		return err
	}
	*version++
	return nil
}

// notFoundIfNone turns a guarded DELETE's conflict into ENOTFOUND.
func notFoundIfNone(err error) error {
	if errors.Is(err, fault.ErrConflict) {
		return fault.ErrNotFound
	}
	return err
}

// states turns from-states into a text array for "state = ANY($n)".
func states(from []engine.State) []string {
	out := make([]string, len(from))
	for i, s := range from {
		out[i] = string(s)
	}
	return out
}

// args numbers the parameters of a query built piece by piece.
type args []any

// add appends v and returns its placeholder.
func (a *args) add(v any) string {
	*a = append(*a, v)
	return fmt.Sprintf("$%d", len(*a))
}

// Unavailable is the message of every error that says the database cannot
// be reached or refuses work for now (fault.EUNAVAILABLE: 503): a client
// may send the same request again once it is back.
const Unavailable = "the database is unavailable; try again"

// SQLSTATEs of a server going away or not yet there.
const (
	codeAdminShutdown    = "57P01" // terminated by a fast or immediate shutdown
	codeCrashShutdown    = "57P02" // terminated because another backend crashed
	codeCannotConnectNow = "57P03" // starting up, shutting down, or in recovery
)

// unavailable turns an error that says the database cannot be reached —
// a failed connection, a connection lost mid-statement, a server shutting
// down or starting up — into fault.EUNAVAILABLE, keeping it as the cause;
// any other error is returned as it is. Whether a statement that failed so
// was committed is unknown, as with any request whose answer is lost: the
// client sends it again, and the API's retries are safe.
func unavailable(err error) error {
	if err == nil || !isUnavailable(err) {
		return err
	}
	return fault.Wrap(err, fault.EUNAVAILABLE, Unavailable)
}

func isUnavailable(err error) bool {
	var fe *fault.Error
	if errors.Is(err, context.Canceled) || errors.As(err, &fe) {
		return false // the client left, or already classified
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true // refused, timed out, or answered with an error (too many clients, starting up…)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return false // the request's own deadline passed mid-statement
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "08") || // connection exception
			pe.Code == codeAdminShutdown || pe.Code == codeCrashShutdown || pe.Code == codeCannotConnectNow
	}
	if pgconn.SafeToRetry(err) {
		return true // failed before anything was sent: a closed connection
	}
	// The connection broke under a statement: the server went away.
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed)
}

// pool runs statements outside a transaction (the reads) on the pool,
// with errors saying the database is unavailable made fault.EUNAVAILABLE:
// a read failing so answers 503, as a write does (Store.write).
type pool struct{ *pgxpool.Pool }

func (p pool) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if v := verbOf(sql); matchesNothing(v, args) {
		return nothing(v), nil
	}
	tag, err := p.Pool.Exec(ctx, sql, args...)
	return tag, unavailable(err)
}

func (p pool) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if v := verbOf(sql); matchesNothing(v, args) {
		return noRows{nothing(v)}, nil
	}
	rows, err := p.Pool.Query(ctx, sql, args...)
	return unavailableRows{rows}, unavailable(err)
}

func (p pool) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if matchesNothing(verbOf(sql), args) {
		return errRow{pgx.ErrNoRows}
	}
	return unavailableRow{p.Pool.QueryRow(ctx, sql, args...)}
}

type unavailableRows struct{ pgx.Rows }

func (r unavailableRows) Err() error { return unavailable(r.Rows.Err()) }

func (r unavailableRows) Scan(dest ...any) error { return unavailable(r.Rows.Scan(dest...)) }

type unavailableRow struct{ pgx.Row }

func (r unavailableRow) Scan(dest ...any) error { return unavailable(r.Row.Scan(dest...)) }
