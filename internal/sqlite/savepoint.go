package sqlite

import (
	"context"
	"errors"
	"fmt"
)

// runDirect runs fn in the batch's transaction without a savepoint,
// turning a panic into an error. If fn fails, its state changes are
// dropped and q.wrote tells whether it changed the database.
func runDirect(q txQuerier, fn func(txQuerier) error) (err error) {
	*q.wrote = false
	mark, inboxMark := len(*q.timeline), len(*q.inbox)
	var headMark batchHead
	if q.head != nil {
		headMark = *q.head
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("update panicked: %v", p)
		}
		if err != nil {
			*q.timeline = (*q.timeline)[:mark]
			*q.inbox = (*q.inbox)[:inboxMark]
			if q.head != nil {
				// Its records are undone: so is what it did to the head.
				*q.head = headMark
			}
		}
	}()
	return fn(q)
}

// runSavepoint runs fn inside a savepoint and rolls it back if fn fails
// or panics, leaving the rest of the batch intact.
func runSavepoint(ctx context.Context, q txQuerier, fn func(txQuerier) error) (err error) {
	if _, err := q.ExecContext(ctx, "SAVEPOINT w"); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	mark, inboxMark := len(*q.timeline), len(*q.inbox)
	var headMark batchHead
	if q.head != nil {
		headMark = *q.head
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("update panicked: %v", p)
		}
		if err != nil {
			*q.timeline = (*q.timeline)[:mark]
			*q.inbox = (*q.inbox)[:inboxMark]
			if q.head != nil {
				// Its records are undone: so is what it did to the head.
				*q.head = headMark
			}
			for _, stmt := range []string{"ROLLBACK TO w", "RELEASE w"} {
				if _, rerr := q.ExecContext(ctx, stmt); rerr != nil {
					err = errors.Join(err, fmt.Errorf("%s: %w", stmt, rerr))
				}
			}
			return
		}
		if _, rerr := q.ExecContext(ctx, "RELEASE w"); rerr != nil {
			err = fmt.Errorf("release savepoint: %w", rerr)
		}
	}()
	return fn(q)
}
