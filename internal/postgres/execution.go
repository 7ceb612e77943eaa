package postgres

import (
	"context"

	"github.com/sirocco-project/sirocco/internal/engine"
)

var executions = &resource{
	table: "workflow_executions",
	columns: "id, workflow_id, workflow_name, workflow_namespace, description, tags, params, task_execution_id, root_execution_id, " +
		"state, state_info, input, output, context, definition, project_id, created_at, updated_at, published_global, created_by, version",
	fields: map[string]fieldKind{
		"id": kindText, "workflow_id": kindText, "workflow_name": kindText, "workflow_namespace": kindText,
		"description": kindText, "tags": kindText, "params": kindText, "task_execution_id": kindText,
		"root_execution_id": kindText, "state": kindText, "state_info": kindText, "input": kindText,
		"output": kindText, "project_id": kindText, "created_at": kindTime, "updated_at": kindTime,
		"created_by": kindText,
	},
}

// executionRow receives an execution's columns (executions.columns, in order).
type executionRow struct {
	e           engine.Execution
	tags, state string
}

func (r *executionRow) appendDests(d []any) []any {
	e := &r.e
	return append(d, &e.ID, &e.WorkflowID, &e.WorkflowName, &e.WorkflowNamespace, &e.Description, &r.tags, &e.ParamsJSON,
		&e.TaskExecutionID, &e.RootExecutionID, &r.state, &e.StateInfo, &e.InputJSON, &e.OutputJSON, &e.ContextJSON, &e.Definition,
		&e.ProjectID, &e.CreatedAt, &e.UpdatedAt, &e.PublishedGlobalJSON, &e.CreatedBy, &e.Version)
}

func (r *executionRow) execution() *engine.Execution {
	e := &r.e
	e.Tags, e.State = parseTags(r.tags), engine.State(r.state)
	return e
}

func scanExecution(s pgxScanner) (*engine.Execution, error) {
	var r executionRow
	if err := s.Scan(r.appendDests(make([]any, 0, 21))...); err != nil {
		return nil, err
	}
	return r.execution(), nil
}

func (r reader) GetExecution(ctx context.Context, id string) (*engine.Execution, error) {
	e, err := scanExecution(r.db.QueryRow(ctx, "SELECT "+executions.columns+" FROM workflow_executions WHERE id = $1", id))
	if err != nil {
		return nil, dbErr(err, "get execution")
	}
	return e, nil
}

func (r reader) ListExecutions(ctx context.Context, q engine.ListQuery) ([]*engine.Execution, error) {
	return list(ctx, r.db, executions, q, nil, scanExecution)
}

func (t *tx) CreateExecution(ctx context.Context, e *engine.Execution) error {
	// Deferred: sent with the next statement that needs an answer.
	t.q.deferExec(`INSERT INTO workflow_executions (`+executions.columns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, 0)`,
		e.ID, e.WorkflowID, e.WorkflowName, e.WorkflowNamespace, e.Description, tagsJSON(e.Tags), e.ParamsJSON,
		e.TaskExecutionID, e.RootExecutionID, string(e.State), e.StateInfo,
		e.InputJSON, e.OutputJSON, e.ContextJSON, e.Definition, e.ProjectID, utc(e.CreatedAt), utc(e.UpdatedAt),
		jsonOrEmpty(e.PublishedGlobalJSON), e.CreatedBy)
	e.Version = 0
	return nil
}

func (t *tx) UpdateExecution(ctx context.Context, e *engine.Execution, from ...engine.State) error {
	tag, err := t.q.Exec(ctx, `UPDATE workflow_executions SET description = $1, tags = $2, params = $3, state = $4, state_info = $5,
		output = $6, context = $7, published_global = $8, updated_at = $9, version = version + 1
		WHERE id = $10 AND version = $12 AND (cardinality($11::text[]) = 0 OR state = ANY($11))`,
		e.Description, tagsJSON(e.Tags), e.ParamsJSON, string(e.State), e.StateInfo,
		e.OutputJSON, e.ContextJSON, jsonOrEmpty(e.PublishedGlobalJSON), utc(e.UpdatedAt), e.ID, states(from), e.Version)
	return bumped(&e.Version, tag, err, "update execution")
}

// jsonOrEmpty stores an unset JSON object field as {}.
func jsonOrEmpty(s string) string {
	if s == "" {
		return "{}"
	}
	return s
}

func (t *tx) DeleteExecution(ctx context.Context, id string) error {
	// Jobs reference records by id without a foreign key, so they go
	// first; the rest cascades.
	if _, err := t.q.Exec(ctx, `DELETE FROM jobs WHERE ref IN (SELECT id FROM action_executions WHERE workflow_execution_id = $1)
		OR ref IN (SELECT id FROM task_executions WHERE workflow_execution_id = $1)`, id); err != nil {
		return dbErr(err, "delete execution jobs")
	}
	// Its notifications go with it, sent or not (their jobs then find nothing).
	if _, err := t.q.Exec(ctx, `DELETE FROM deliveries WHERE root_execution_id = $1 OR execution_id = $1`, id); err != nil {
		return dbErr(err, "delete execution deliveries")
	}
	if _, err := t.q.Exec(ctx, `DELETE FROM timeline WHERE execution_id = $1`, id); err != nil {
		return dbErr(err, "delete execution timeline")
	}
	// Callback tokens outlive their action (a retried callback is
	// recognised), not its execution.
	if _, err := t.q.Exec(ctx, `DELETE FROM callback_tokens WHERE action_execution_id IN (SELECT id FROM action_executions WHERE workflow_execution_id = $1)`, id); err != nil {
		return dbErr(err, "delete execution callback tokens")
	}
	tag, err := t.q.Exec(ctx, `DELETE FROM workflow_executions WHERE id = $1`, id)
	return notFoundIfNone(guarded(tag, err, "delete execution"))
}
