package postgres

import (
	"context"
	"errors"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// The retention policy's purge (engine.RetentionTx), as the SQLite
// store's. The roots a call deletes are locked first (FOR UPDATE SKIP
// LOCKED): a tree that another transaction works on (a rerun, a late
// callback) is passed over, not waited for, and whatever waited for the
// lock of a purged root reads after it that the records are gone.

// finishedRoot repeats migration 0007's index condition: the planner
// proves a partial index from constants, not from parameters.
const finishedRoot = `task_execution_id IS NULL AND state IN ('SUCCESS', 'ERROR', 'CANCELLED')`

// purgeKeptSQL finds the oldest of the newest roots kept (max=N), by
// creation.
const purgeKeptSQL = `SELECT created_at, id FROM workflow_executions
	WHERE ` + finishedRoot + ` AND state = ANY($1)
	ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET $2`

// purgeRootsSQL finds and locks the roots due, oldest first, whose trees
// have finished: in the index's order up to the furthest bound, those
// finished (updated) before the age bound — created before it too — or
// older than the newest kept. A bound not set is NULL: nothing is before
// it.
const purgeRootsSQL = `SELECT id FROM workflow_executions r
	WHERE ` + finishedRoot + ` AND state = ANY($1) AND (created_at, id) < ($2, $3)
		AND (updated_at < $4 OR (created_at, id) < ($5, $6))
		AND NOT EXISTS (SELECT 1 FROM workflow_executions s
			WHERE s.root_execution_id = r.id AND s.state NOT IN ('SUCCESS', 'ERROR', 'CANCELLED'))
	ORDER BY created_at, id LIMIT $7 FOR UPDATE SKIP LOCKED`

func (t *tx) PurgeExecutions(ctx context.Context, q engine.PurgeQuery) (engine.PurgeResult, error) {
	var res engine.PurgeResult
	if q.Limit <= 0 {
		return res, nil
	}
	states := make([]string, 0, 3)
	for _, s := range q.PurgeStates() {
		states = append(states, string(s))
	}
	// The age bound: finished before q.Before (and so created before
	// it). The count bound: created before the Keep-th newest (any id is
	// after ""). The walk ends at the further.
	var before, keepAt *time.Time
	var keepID *string
	if !q.Before.IsZero() {
		b := utc(q.Before)
		before = &b
	}
	if q.Keep > 0 {
		var at time.Time
		var id string
		err := t.q.QueryRow(ctx, purgeKeptSQL, states, q.Keep-1).Scan(&at, &id)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return res, dbErr(err, "purge: the newest executions kept")
		default:
			keepAt, keepID = &at, &id
		}
	}
	cutAt, cutID := before, ""
	if keepAt != nil && (cutAt == nil || keepAt.After(*cutAt) || keepAt.Equal(*cutAt) && *keepID > cutID) {
		cutAt, cutID = keepAt, *keepID
	}
	if cutAt == nil {
		return res, nil
	}
	roots, err := t.ids(ctx, "purge: find executions", purgeRootsSQL, states, *cutAt, cutID, before, keepAt, keepID, q.Limit)
	if err != nil || len(roots) == 0 {
		return res, err
	}
	// Under the locks, read again what the trees are now: a transaction
	// that committed between the query's snapshot and its lock may have
	// started a sub-execution again (READ COMMITTED: a new statement sees
	// it).
	roots, err = t.ids(ctx, "purge: check executions", `SELECT id FROM workflow_executions r
		WHERE id = ANY($1) AND state = ANY($2)
			AND NOT EXISTS (SELECT 1 FROM workflow_executions s
				WHERE s.root_execution_id = r.id AND s.state NOT IN ('SUCCESS', 'ERROR', 'CANCELLED'))
		ORDER BY created_at, id`, roots, states)
	if err != nil || len(roots) == 0 {
		return res, err
	}
	subs, err := t.ids(ctx, "purge: find sub-executions",
		`SELECT id FROM workflow_executions WHERE root_execution_id = ANY($1)`, roots)
	if err != nil {
		return res, err
	}
	tree := append(subs, roots...)

	// Leaves first, each step within what the steps before left of the
	// budget; a step that took less than its share took all there was.
	budget := q.Limit
	step := func(n int) bool {
		res.Records += n
		budget -= n
		return budget > 0
	}
	actions, err := t.ids(ctx, "purge: find action executions",
		`SELECT id FROM action_executions WHERE workflow_execution_id = ANY($1) LIMIT $2`, tree, budget)
	if err != nil {
		return res, err
	}
	if len(actions) > 0 {
		for _, stmt := range []struct{ what, sql string }{
			{"jobs", `DELETE FROM jobs WHERE ref = ANY($1)`},
			{"callback tokens", `DELETE FROM callback_tokens WHERE action_execution_id = ANY($1)`},
			{"idempotency answers", `DELETE FROM idempotency_keys WHERE resource = ANY($1)`},
			// Approval votes and inbox entries cascade.
			{"action executions", `DELETE FROM action_executions WHERE id = ANY($1)`},
		} {
			if _, err := t.q.Exec(ctx, stmt.sql, actions); err != nil {
				return res, dbErr(err, "purge: delete "+stmt.what)
			}
		}
	}
	if !step(len(actions)) {
		return res, nil
	}
	tasks, err := t.ids(ctx, "purge: find tasks",
		`SELECT id FROM task_executions WHERE workflow_execution_id = ANY($1) LIMIT $2`, tree, budget)
	if err != nil {
		return res, err
	}
	if len(tasks) > 0 {
		if _, err := t.q.Exec(ctx, `DELETE FROM jobs WHERE ref = ANY($1)`, tasks); err != nil {
			return res, dbErr(err, "purge: delete task jobs")
		}
		if _, err := t.q.Exec(ctx, `DELETE FROM task_executions WHERE id = ANY($1)`, tasks); err != nil {
			return res, dbErr(err, "purge: delete tasks")
		}
	}
	if !step(len(tasks)) {
		return res, nil
	}
	// A tree's notifications go with it, and their delivery jobs (Ref is
	// the delivery's id).
	if _, err := t.affected(ctx, "purge: delete delivery jobs", `DELETE FROM jobs WHERE kind = 'deliver_notification' AND ref IN
		(SELECT id FROM deliveries WHERE root_execution_id = ANY($1) LIMIT $2)`, roots, budget); err != nil {
		return res, err
	}
	n, err := t.affected(ctx, "purge: delete deliveries", `DELETE FROM deliveries WHERE id IN
		(SELECT id FROM deliveries WHERE root_execution_id = ANY($1) LIMIT $2)`, roots, budget)
	if err != nil || !step(n) {
		return res, err
	}
	n, err = t.affected(ctx, "purge: delete timeline", `DELETE FROM timeline WHERE id IN
		(SELECT id FROM timeline WHERE execution_id = ANY($1) LIMIT $2)`, tree, budget)
	if err != nil || !step(n) {
		return res, err
	}
	n, err = t.affected(ctx, "purge: delete sub-executions", `DELETE FROM workflow_executions WHERE id IN
		(SELECT id FROM workflow_executions WHERE root_execution_id = ANY($1) LIMIT $2)`, roots, budget)
	if err != nil || !step(n) {
		return res, err
	}
	// Everything under the roots is gone: the roots go last, oldest first.
	n, err = t.affected(ctx, "purge: delete executions", `DELETE FROM workflow_executions WHERE id IN
		(SELECT id FROM unnest($1::text[]) WITH ORDINALITY AS r(id, n) ORDER BY n LIMIT $2)`, roots, budget)
	res.Executions = n
	step(n)
	return res, err
}

// jobLockClass is the first key of EnsureJob's advisory locks (two-int
// form, apart from the audit's and the migrations' bigint keys and the
// login throttle's class).
const jobLockClass = 0x534A4F42 // "SJOB"

func (t *tx) EnsureJob(ctx context.Context, j *engine.Job) error {
	// Under READ COMMITTED two transactions would both see no job and both
	// add one: the advisory lock of (kind, ref) makes them take turns.
	h := fnv.New32a()
	h.Write([]byte(j.Kind))
	h.Write([]byte{0})
	h.Write([]byte(j.Ref))
	if _, err := t.q.Exec(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, int32(jobLockClass), int32(h.Sum32())); err != nil {
		return dbErr(err, "ensure job")
	}
	due := utc(j.DueAt)
	if _, err := t.q.Exec(ctx, `UPDATE jobs SET due_at = LEAST(due_at, $1)
		WHERE ref = $2 AND kind = $3 AND lease_until IS NULL`, due, j.Ref, j.Kind); err != nil {
		return dbErr(err, "ensure job")
	}
	_, err := t.q.Exec(ctx, `INSERT INTO jobs (kind, ref, due_at) SELECT $1, $2, $3
		WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE ref = $2 AND kind = $1)`, j.Kind, j.Ref, due)
	return dbErr(err, "ensure job")
}

// ids runs a query of one text column.
func (t *tx) ids(ctx context.Context, what, query string, args ...any) ([]string, error) {
	rows, err := t.q.Query(ctx, query, args...)
	if err != nil {
		return nil, dbErr(err, what)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, dbErr(err, what)
		}
		out = append(out, id)
	}
	return out, dbErr(rows.Err(), what)
}

// affected runs a statement and returns how many rows it changed.
func (t *tx) affected(ctx context.Context, what, query string, args ...any) (int, error) {
	tag, err := t.q.Exec(ctx, query, args...)
	if err != nil {
		return 0, dbErr(err, what)
	}
	return int(tag.RowsAffected()), nil
}
