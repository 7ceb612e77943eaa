package store

import (
	"context"
	"database/sql"

	"github.com/sirocco-project/sirocco/internal/engine"
)

var tasks = &resource{
	table: "task_executions",
	columns: "id, name, type, workflow_execution_id, workflow_name, workflow_namespace, workflow_id, tags, state, state_info, " +
		"runtime_context, in_context, published, result, processed, error_handled, project_id, created_at, updated_at, started_at, finished_at",
	fields: map[string]fieldKind{
		"id": kindText, "name": kindText, "type": kindText, "workflow_execution_id": kindText, "workflow_name": kindText,
		"workflow_namespace": kindText, "workflow_id": kindText, "tags": kindText, "state": kindText, "state_info": kindText,
		"runtime_context": kindText, "published": kindText, "result": kindText, "processed": kindBool, "project_id": kindText,
		"created_at": kindTime, "updated_at": kindTime, "started_at": kindTime, "finished_at": kindTime,
	},
}

func scanTask(s scanner) (*engine.Task, error) {
	var t engine.Task
	var tags, state, created, updated string
	var info, started, finished sql.NullString
	var processed, handled int
	if err := s.Scan(&t.ID, &t.Name, &t.Type, &t.WorkflowExecutionID, &t.WorkflowName, &t.WorkflowNamespace, &t.WorkflowID,
		&tags, &state, &info, &t.RuntimeContextJSON, &t.InContextJSON, &t.PublishedJSON, &t.ResultJSON, &processed, &handled,
		&t.ProjectID, &created, &updated, &started, &finished); err != nil {
		return nil, err
	}
	t.Tags, t.State, t.StateInfo = parseTags(tags), engine.State(state), nullStr(info)
	t.Processed, t.ErrorHandled = processed != 0, handled != 0
	t.CreatedAt, t.UpdatedAt = parseTime(created), parseTime(updated)
	t.StartedAt, t.FinishedAt = parseTimePtr(started), parseTimePtr(finished)
	return &t, nil
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
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.Name, k.Type, k.WorkflowExecutionID, k.WorkflowName, k.WorkflowNamespace, k.WorkflowID, tagsJSON(k.Tags),
		string(k.State), strOrNil(k.StateInfo), k.RuntimeContextJSON, k.InContextJSON, k.PublishedJSON, k.ResultJSON,
		boolInt(k.Processed), boolInt(k.ErrorHandled), k.ProjectID, fmtTime(k.CreatedAt), fmtTime(k.UpdatedAt),
		fmtTimePtr(k.StartedAt), fmtTimePtr(k.FinishedAt))
	return dbErr(err, "create task")
}

func (t *tx) UpdateTask(ctx context.Context, k *engine.Task, from ...engine.State) error {
	guard, gargs := stateGuard(from)
	args := append([]any{string(k.State), strOrNil(k.StateInfo), k.RuntimeContextJSON, k.PublishedJSON, k.ResultJSON,
		boolInt(k.Processed), boolInt(k.ErrorHandled), fmtTime(k.UpdatedAt), fmtTimePtr(k.StartedAt), fmtTimePtr(k.FinishedAt), k.ID}, gargs...)
	res, err := t.db.ExecContext(ctx, `UPDATE task_executions SET state = ?, state_info = ?, runtime_context = ?, published = ?, result = ?,
		processed = ?, error_handled = ?, updated_at = ?, started_at = ?, finished_at = ? WHERE id = ?`+guard, args...)
	return guarded(res, err, "update task")
}

func (t *tx) CountBusyTasks(ctx context.Context, executionID string) (int, error) {
	var n int
	err := t.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM task_executions WHERE workflow_execution_id = ?
		AND ((state NOT IN ('SUCCESS', 'ERROR', 'CANCELLED', 'WAITING')) OR (state IN ('SUCCESS', 'ERROR', 'CANCELLED') AND processed = 0))`, executionID).Scan(&n)
	if err != nil {
		return 0, dbErr(err, "count busy tasks")
	}
	return n, nil
}
