package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// The retention policy's purge (engine.RetentionTx). Lists of ids travel
// as one JSON array (json_each), so that each statement's text is fixed
// and prepared once per connection.

// finishedRoot repeats migration 0022's index condition word for word:
// SQLite uses a partial index only for a query that states its terms.
const finishedRoot = `task_execution_id IS NULL AND (state = 'SUCCESS' OR state = 'ERROR' OR state = 'CANCELLED')`

// purgeKeptSQL finds the oldest of the newest roots kept (max=N), by
// creation.
const purgeKeptSQL = `SELECT created_at, id FROM workflow_executions INDEXED BY workflow_executions_finished_roots
	WHERE ` + finishedRoot + ` AND state IN (SELECT value FROM json_each(?))
	ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET ?`

// purgeRootsSQL finds the roots due, oldest first, whose trees have
// finished: in the index's order up to the furthest bound, those
// finished (updated) before the age bound — created before it too — or
// older than the newest kept. INDEXED BY: on a small table the planner
// would rather sort the rows of the states' index, which grows with every
// execution.
const purgeRootsSQL = `SELECT id FROM workflow_executions r INDEXED BY workflow_executions_finished_roots
	WHERE ` + finishedRoot + ` AND state IN (SELECT value FROM json_each(?1)) AND (created_at, id) < (?2, ?3)
		AND (updated_at < ?4 OR (created_at, id) < (?5, ?6))
		AND NOT EXISTS (SELECT 1 FROM workflow_executions s
			WHERE s.root_execution_id = r.id AND s.state NOT IN ('SUCCESS', 'ERROR', 'CANCELLED'))
	ORDER BY created_at, id LIMIT ?7`

const purgeIdempotencySQL = `DELETE FROM idempotency_keys WHERE resource IN (SELECT value FROM json_each(?))`

func (t *tx) PurgeExecutions(ctx context.Context, q engine.PurgeQuery) (engine.PurgeResult, error) {
	var res engine.PurgeResult
	if q.Limit <= 0 {
		return res, nil
	}
	states := jsonList(q.PurgeStates())
	// The age bound: finished before q.Before (and so created before it;
	// "" is before any time). The count bound: created before the
	// Keep-th newest (any id is after ""). The walk ends at the further.
	var before, keepAt, keepID string
	if !q.Before.IsZero() {
		before = fmtTime(q.Before)
	}
	if q.Keep > 0 {
		err := t.db.QueryRowContext(ctx, purgeKeptSQL, states, q.Keep-1).Scan(&keepAt, &keepID)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return res, dbErr(err, "purge: the newest executions kept")
		}
	}
	cutAt, cutID := before, ""
	if keepAt > cutAt || (keepAt == cutAt && keepID > cutID) {
		cutAt, cutID = keepAt, keepID
	}
	if cutAt == "" {
		return res, nil
	}
	roots, err := t.ids(ctx, "purge: find executions", purgeRootsSQL, states, cutAt, cutID, before, keepAt, keepID, q.Limit)
	if err != nil || len(roots) == 0 {
		return res, err
	}
	rootList := jsonList(roots)
	subs, err := t.ids(ctx, "purge: find sub-executions",
		`SELECT id FROM workflow_executions WHERE root_execution_id IN (SELECT value FROM json_each(?))`, rootList)
	if err != nil {
		return res, err
	}
	tree := jsonList(append(subs, roots...))

	// Leaves first, each step within what the steps before left of the
	// budget; a step that took less than its share took all there was.
	budget := q.Limit
	step := func(n int) bool {
		res.Records += n
		budget -= n
		return budget > 0
	}
	actions, err := t.ids(ctx, "purge: find action executions",
		`SELECT id FROM action_executions WHERE workflow_execution_id IN (SELECT value FROM json_each(?)) LIMIT ?`, tree, budget)
	if err != nil {
		return res, err
	}
	if len(actions) > 0 {
		list := jsonList(actions)
		for _, stmt := range []struct{ what, sql string }{
			{"jobs", `DELETE FROM jobs WHERE ref IN (SELECT value FROM json_each(?))`},
			{"callback tokens", `DELETE FROM callback_tokens WHERE action_execution_id IN (SELECT value FROM json_each(?))`},
			{"idempotency answers", purgeIdempotencySQL},
			// Approval votes and inbox entries cascade.
			{"action executions", `DELETE FROM action_executions WHERE id IN (SELECT value FROM json_each(?))`},
		} {
			if _, err := t.db.ExecContext(ctx, stmt.sql, list); err != nil {
				return res, dbErr(err, "purge: delete "+stmt.what)
			}
		}
	}
	if !step(len(actions)) {
		return res, nil
	}
	tasks, err := t.ids(ctx, "purge: find tasks",
		`SELECT id FROM task_executions WHERE workflow_execution_id IN (SELECT value FROM json_each(?)) LIMIT ?`, tree, budget)
	if err != nil {
		return res, err
	}
	if len(tasks) > 0 {
		list := jsonList(tasks)
		if _, err := t.db.ExecContext(ctx, `DELETE FROM jobs WHERE ref IN (SELECT value FROM json_each(?))`, list); err != nil {
			return res, dbErr(err, "purge: delete task jobs")
		}
		if _, err := t.db.ExecContext(ctx, `DELETE FROM task_executions WHERE id IN (SELECT value FROM json_each(?))`, list); err != nil {
			return res, dbErr(err, "purge: delete tasks")
		}
	}
	if !step(len(tasks)) {
		return res, nil
	}
	// A tree's notifications go with it, and their delivery jobs (Ref is
	// the delivery's id).
	if _, err := t.affected(ctx, "purge: delete delivery jobs", `DELETE FROM jobs WHERE kind = 'deliver_notification' AND ref IN
		(SELECT id FROM deliveries WHERE root_execution_id IN (SELECT value FROM json_each(?)) LIMIT ?)`, rootList, budget); err != nil {
		return res, err
	}
	n, err := t.affected(ctx, "purge: delete deliveries", `DELETE FROM deliveries WHERE id IN
		(SELECT id FROM deliveries WHERE root_execution_id IN (SELECT value FROM json_each(?)) LIMIT ?)`, rootList, budget)
	if err != nil || !step(n) {
		return res, err
	}
	n, err = t.affected(ctx, "purge: delete timeline", `DELETE FROM timeline WHERE id IN
		(SELECT id FROM timeline WHERE execution_id IN (SELECT value FROM json_each(?)) LIMIT ?)`, tree, budget)
	if err != nil || !step(n) {
		return res, err
	}
	n, err = t.affected(ctx, "purge: delete sub-executions", `DELETE FROM workflow_executions WHERE id IN
		(SELECT id FROM workflow_executions WHERE root_execution_id IN (SELECT value FROM json_each(?)) LIMIT ?)`, rootList, budget)
	if err != nil || !step(n) {
		return res, err
	}
	// Everything under the roots is gone: the roots go last, oldest first.
	n, err = t.affected(ctx, "purge: delete executions", `DELETE FROM workflow_executions WHERE id IN
		(SELECT value FROM json_each(?) ORDER BY key LIMIT ?)`, rootList, budget)
	res.Executions = n
	step(n)
	return res, err
}

func (t *tx) EnsureJob(ctx context.Context, j *engine.Job) error {
	due := fmtTime(j.DueAt)
	if _, err := t.db.ExecContext(ctx, `UPDATE jobs SET due_at = MIN(due_at, ?)
		WHERE ref = ? AND kind = ? AND lease_until IS NULL`, due, j.Ref, j.Kind); err != nil {
		return dbErr(err, "ensure job")
	}
	_, err := t.db.ExecContext(ctx, `INSERT INTO jobs (kind, ref, due_at) SELECT ?, ?, ?
		WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE ref = ? AND kind = ?)`, j.Kind, j.Ref, due, j.Ref, j.Kind)
	return dbErr(err, "ensure job")
}

// ids runs a query of one text column.
func (t *tx) ids(ctx context.Context, what, query string, args ...any) ([]string, error) {
	rows, err := t.db.QueryContext(ctx, query, args...)
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
	r, err := t.db.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, dbErr(err, what)
	}
	n, err := r.RowsAffected()
	return int(n), err
}

// jsonList encodes a list of strings for json_each.
func jsonList[S ~string](list []S) string {
	b, _ := json.Marshal(list)
	return string(b)
}
