package engine

import (
	"context"
	"time"
)

// PurgeQuery says which finished executions a purge may delete (see
// RetentionTx.PurgeExecutions). Only root executions are candidates, each
// with its whole tree, and only when no execution of the tree is still
// running or paused.
type PurgeQuery struct {
	// Before: roots last updated (finished) before it are expired; zero
	// sets no age bound. Roots go oldest first, by creation.
	Before time.Time
	// Keep: past the Keep newest finished roots of States (by created_at,
	// then id), the older ones are superfluous; 0 sets no count bound.
	// (Mistral orders them by updated_at; an index of it would be written
	// at every update of an execution.)
	Keep int
	// States are the terminal states that may be purged (Mistral's
	// terminal states less ignored_states); empty means all three.
	States []State
	// Limit bounds the records one call deletes: executions, tasks,
	// action executions and timeline rows (the rows hanging off them —
	// jobs, callback tokens, idempotency answers, approval votes and inbox
	// entries — go with their record). A tree larger than Limit is
	// deleted over several calls, its records first and its root last.
	Limit int
}

// PurgeResult is what one call of PurgeExecutions deleted.
type PurgeResult struct {
	// Executions counts the root executions deleted (each the last record
	// of its tree to go).
	Executions int
	// Records counts every execution, task, action execution and timeline
	// row deleted; 0 when nothing was left to purge.
	Records int
}

// RetentionTx is what a store does for the retention policy (-retention).
type RetentionTx interface {
	// PurgeExecutions deletes up to q.Limit records of the root executions
	// that q selects, with what hangs off them, oldest roots first. Audit
	// records are kept. A root whose tree has an execution that is not
	// finished is skipped, and so (PostgreSQL) is one that another
	// transaction holds locked: it is not waited for.
	PurgeExecutions(ctx context.Context, q PurgeQuery) (PurgeResult, error)
	// EnsureJob adds j unless a job of its kind and ref exists; an
	// existing one that is not leased is brought forward to j.DueAt if
	// it was due later. Replicas calling it together leave one job.
	EnsureJob(ctx context.Context, j *Job) error
}

// PurgeStates returns q's states, all terminal states when none is given.
func (q PurgeQuery) PurgeStates() []State {
	if len(q.States) == 0 {
		return []State{StateSuccess, StateError, StateCancelled}
	}
	return q.States
}
