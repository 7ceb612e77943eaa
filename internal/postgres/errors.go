package postgres

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

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
