package postgres

import (
	"context"

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
	t           engine.Task
	tags, state string
}

func (r *taskRow) appendDests(d []any) []any {
	t := &r.t
	return append(d, &t.ID, &t.Name, &t.Type, &t.WorkflowExecutionID, &t.WorkflowName, &t.WorkflowNamespace, &t.WorkflowID,
		&r.tags, &r.state, &t.StateInfo, &t.RuntimeContextJSON, &t.InContextJSON, &t.PublishedJSON, &t.ResultJSON, &t.Processed, &t.ErrorHandled,
		&t.ProjectID, &t.CreatedAt, &t.UpdatedAt, &t.StartedAt, &t.FinishedAt, &t.Version)
}

func (r *taskRow) task() *engine.Task {
	t := &r.t
	t.Tags, t.State = parseTags(r.tags), engine.State(r.state)
	return t
}

func scanTask(s pgxScanner) (*engine.Task, error) {
	var r taskRow
	if err := s.Scan(r.appendDests(make([]any, 0, 22))...); err != nil {
		return nil, err
	}
	return r.task(), nil
}

func (r reader) GetTask(ctx context.Context, id string) (*engine.Task, error) {
	t, err := scanTask(r.db.QueryRow(ctx, "SELECT "+tasks.columns+" FROM task_executions WHERE id = $1", id))
	if err != nil {
		return nil, dbErr(err, "get task")
	}
	return t, nil
}

func (r reader) ListTasks(ctx context.Context, q engine.ListQuery) ([]*engine.Task, error) {
	return list(ctx, r.db, tasks, q, nil, scanTask)
}

func (r reader) TasksOf(ctx context.Context, executionID string) ([]*engine.Task, error) {
	return list(ctx, r.db, tasks, engine.ListQuery{SortKeys: []string{"created_at"}}, func(a *args) string {
		return "workflow_execution_id = " + a.add(executionID)
	}, scanTask)
}

func (t *tx) CreateTask(ctx context.Context, k *engine.Task) error {
	t.q.deferExec(`INSERT INTO task_executions (`+tasks.columns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, 0)`,
		k.ID, k.Name, k.Type, k.WorkflowExecutionID, k.WorkflowName, k.WorkflowNamespace, k.WorkflowID, tagsJSON(k.Tags),
		string(k.State), k.StateInfo, k.RuntimeContextJSON, k.InContextJSON, k.PublishedJSON, k.ResultJSON,
		k.Processed, k.ErrorHandled, k.ProjectID, utc(k.CreatedAt), utc(k.UpdatedAt), utcPtr(k.StartedAt), utcPtr(k.FinishedAt))
	k.Version = 0
	return nil
}

func (t *tx) UpdateTask(ctx context.Context, k *engine.Task, from ...engine.State) error {
	tag, err := t.q.Exec(ctx, `UPDATE task_executions SET state = $1, state_info = $2, runtime_context = $3, published = $4, result = $5,
		processed = $6, error_handled = $7, updated_at = $8, started_at = $9, finished_at = $10, version = version + 1
		WHERE id = $11 AND version = $13 AND (cardinality($12::text[]) = 0 OR state = ANY($12))`,
		string(k.State), k.StateInfo, k.RuntimeContextJSON, k.PublishedJSON, k.ResultJSON,
		k.Processed, k.ErrorHandled, utc(k.UpdatedAt), utcPtr(k.StartedAt), utcPtr(k.FinishedAt), k.ID, states(from), k.Version)
	return bumped(&k.Version, tag, err, "update task")
}

func (t *tx) TaskCount(ctx context.Context, executionID string) (int, error) {
	var n int
	err := t.q.QueryRow(ctx, `SELECT count(*) FROM task_executions WHERE workflow_execution_id = $1`, executionID).Scan(&n)
	return n, dbErr(err, "count tasks")
}

func (t *tx) CountTasks(ctx context.Context, executionID string) (busy, total int, err error) {
	err = t.q.QueryRow(ctx, `SELECT count(*) FILTER (WHERE state NOT IN ('SUCCESS', 'ERROR', 'CANCELLED', 'WAITING')
		OR (state IN ('SUCCESS', 'ERROR', 'CANCELLED') AND NOT processed)), count(*)
		FROM task_executions WHERE workflow_execution_id = $1`, executionID).Scan(&busy, &total)
	if err != nil {
		return 0, 0, dbErr(err, "count tasks")
	}
	return busy, total, nil
}
