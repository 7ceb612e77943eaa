package sqlite

import (
	"context"
	"database/sql"

	"github.com/sirocco-project/sirocco/internal/engine"
)

var tasks = &resource{
	table: "task_executions",
	columns: "id, name, type, workflow_execution_id, workflow_name, workflow_namespace, workflow_id, tags, state, state_info, " +
		"runtime_context, in_context, published, result, processed, error_handled, project_id, created_at, updated_at, started_at, finished_at, version",
	fields: map[string]fieldKind{
		"id": kindText, "name": kindText, "type": kindText, "workflow_execution_id": kindText, "workflow_name": kindText,
		"workflow_namespace": kindText, "workflow_id": kindText, "tags": kindText, "state": kindText, "state_info": kindText,
		"runtime_context": kindText, "published": kindText, "result": kindText, "processed": kindBool, "project_id": kindText,
		"created_at": kindTime, "updated_at": kindTime, "started_at": kindTime, "finished_at": kindTime,
	},
}

// taskRow receives a task's columns (tasks.columns, in order).
type taskRow struct {
	t                         engine.Task
	tags, state, created, upd string
	info, started, finished   sql.NullString
	processed, handled        int
}

func (r *taskRow) appendDests(d []any) []any {
	t := &r.t
	return append(d, &t.ID, &t.Name, &t.Type, &t.WorkflowExecutionID, &t.WorkflowName, &t.WorkflowNamespace, &t.WorkflowID,
		&r.tags, &r.state, &r.info, &t.RuntimeContextJSON, &t.InContextJSON, &t.PublishedJSON, &t.ResultJSON, &r.processed, &r.handled,
		&t.ProjectID, &r.created, &r.upd, &r.started, &r.finished, &t.Version)
}

func (r *taskRow) task() *engine.Task {
	t := &r.t
	t.Tags, t.State, t.StateInfo = parseTags(r.tags), engine.State(r.state), nullStr(r.info)
	t.Processed, t.ErrorHandled = r.processed != 0, r.handled != 0
	t.CreatedAt, t.UpdatedAt = parseTime(r.created), parseTime(r.upd)
	t.StartedAt, t.FinishedAt = parseTimePtr(r.started), parseTimePtr(r.finished)
	return t
}

func scanTask(s scanner) (*engine.Task, error) {
	var r taskRow
	if err := s.Scan(r.appendDests(make([]any, 0, 22))...); err != nil {
		return nil, err
	}
	return r.task(), nil
}

func (r reader) GetTask(ctx context.Context, id string) (*engine.Task, error) {
	t, err := scanTask(r.db.QueryRowContext(ctx, "SELECT "+tasks.columns+" FROM task_executions WHERE id = ?", id))
	if err != nil {
		return nil, dbErr(err, "get task")
	}
	return t, nil
}

func (r reader) ListTasks(ctx context.Context, q engine.ListQuery) ([]*engine.Task, error) {
	return list(ctx, r.db, tasks, q, "", nil, scanTask)
}

func (r reader) TasksOf(ctx context.Context, executionID string) ([]*engine.Task, error) {
	return list(ctx, r.db, tasks, engine.ListQuery{SortKeys: []string{"created_at"}}, "workflow_execution_id = ?", []any{executionID}, scanTask)
}

func (t *tx) CreateTask(ctx context.Context, k *engine.Task) error {
	_, err := t.db.ExecContext(ctx, `INSERT INTO task_executions (`+tasks.columns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`,
		k.ID, k.Name, k.Type, k.WorkflowExecutionID, k.WorkflowName, k.WorkflowNamespace, k.WorkflowID, tagsJSON(k.Tags),
		string(k.State), strOrNil(k.StateInfo), k.RuntimeContextJSON, k.InContextJSON, k.PublishedJSON, k.ResultJSON,
		boolInt(k.Processed), boolInt(k.ErrorHandled), k.ProjectID, fmtTime(k.CreatedAt), fmtTime(k.UpdatedAt),
		fmtTimePtr(k.StartedAt), fmtTimePtr(k.FinishedAt))
	if err != nil {
		return dbErr(err, "create task")
	}
	k.Version = 0
	return nil
}

func (t *tx) UpdateTask(ctx context.Context, k *engine.Task, from ...engine.State) error {
	guard, gargs := stateGuard(from)
	args := append([]any{string(k.State), strOrNil(k.StateInfo), k.RuntimeContextJSON, k.PublishedJSON, k.ResultJSON,
		boolInt(k.Processed), boolInt(k.ErrorHandled), fmtTime(k.UpdatedAt), fmtTimePtr(k.StartedAt), fmtTimePtr(k.FinishedAt), k.ID, k.Version}, gargs...)
	res, err := t.db.ExecContext(ctx, `UPDATE task_executions SET state = ?, state_info = ?, runtime_context = ?, published = ?, result = ?,
		processed = ?, error_handled = ?, updated_at = ?, started_at = ?, finished_at = ?, version = version + 1
		WHERE id = ? AND version = ?`+guard, args...)
	return bumped(&k.Version, res, err, "update task")
}

func (t *tx) TaskCount(ctx context.Context, executionID string) (int, error) {
	var n int
	// The index by execution answers alone: no row is read.
	err := t.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM task_executions WHERE workflow_execution_id = ?`, executionID).Scan(&n)
	return n, dbErr(err, "count tasks")
}

func (t *tx) CountTasks(ctx context.Context, executionID string) (busy, total int, err error) {
	// The index by execution finds the rows; their state is read from the
	// table either way, so the total costs nothing more.
	err = t.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(state NOT IN ('SUCCESS', 'ERROR', 'CANCELLED', 'WAITING')
		OR (state IN ('SUCCESS', 'ERROR', 'CANCELLED') AND processed = 0)), 0), COUNT(*)
		FROM task_executions WHERE workflow_execution_id = ?`, executionID).Scan(&busy, &total)
	if err != nil {
		return 0, 0, dbErr(err, "count tasks")
	}
	return busy, total, nil
}
