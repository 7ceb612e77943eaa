package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// dbErr translates driver errors into engine errors callers branch on.
func dbErr(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return fault.ErrNotFound
	case strings.Contains(err.Error(), "UNIQUE constraint failed"):
		return &fault.Error{Code: fault.ECONFLICT, Message: what + ": duplicate entry"}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// guarded checks the outcome of a guarded UPDATE: no row means another
// writer moved the record first.
func guarded(res sql.Result, err error, what string) error {
	if err != nil {
		return dbErr(err, what)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n == 0 {
		return fault.ErrConflict
	}
	return nil
}

// bumped is guarded for an update that also incremented the row's
// version: on success the caller's copy gets the new version, so that it
// can be written again in the same transaction.
func bumped(version *int64, res sql.Result, err error, what string) error {
	if err := guarded(res, err, what); err != nil {
		return err
	}
	*version++
	return nil
}

// stateGuard returns " AND state IN (?,…)" and its arguments.
func stateGuard(from []engine.State) (string, []any) {
	if len(from) == 0 {
		return "", nil
	}
	args := make([]any, len(from))
	for i, s := range from {
		args[i] = string(s)
	}
	return " AND state IN (" + placeholders(len(from)) + ")", args
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
