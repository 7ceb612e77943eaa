package sqlite

import (
	"context"
	"database/sql"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
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
	e                         engine.Execution
	tags, state, created, upd string
	parent, root, info        sql.NullString
}

func (r *executionRow) appendDests(d []any) []any {
	e := &r.e
	return append(d, &e.ID, &e.WorkflowID, &e.WorkflowName, &e.WorkflowNamespace, &e.Description, &r.tags, &e.ParamsJSON,
		&r.parent, &r.root, &r.state, &r.info, &e.InputJSON, &e.OutputJSON, &e.ContextJSON, &e.Definition, &e.ProjectID, &r.created, &r.upd, &e.PublishedGlobalJSON, &e.CreatedBy, &e.Version)
}

func (r *executionRow) execution() *engine.Execution {
	e := &r.e
	e.Tags, e.State, e.StateInfo = parseTags(r.tags), engine.State(r.state), nullStr(r.info)
	e.TaskExecutionID, e.RootExecutionID = nullStr(r.parent), nullStr(r.root)
	e.CreatedAt, e.UpdatedAt = parseTime(r.created), parseTime(r.upd)
	return e
}

func scanExecution(s scanner) (*engine.Execution, error) {
	var r executionRow
	if err := s.Scan(r.appendDests(make([]any, 0, 21))...); err != nil {
		return nil, err
	}
	return r.execution(), nil
}

func (r reader) GetExecution(ctx context.Context, id string) (*engine.Execution, error) {
	e, err := scanExecution(r.db.QueryRowContext(ctx, "SELECT "+executions.columns+" FROM workflow_executions WHERE id = ?", id))
	if err != nil {
		return nil, dbErr(err, "get execution")
	}
	return e, nil
}

func (r reader) ListExecutions(ctx context.Context, q engine.ListQuery) ([]*engine.Execution, error) {
	return list(ctx, r.db, executions, q, "", nil, scanExecution)
}

func (t *tx) CreateExecution(ctx context.Context, e *engine.Execution) error {
	_, err := t.db.ExecContext(ctx, `INSERT INTO workflow_executions (`+executions.columns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`,
		e.ID, e.WorkflowID, e.WorkflowName, e.WorkflowNamespace, e.Description, tagsJSON(e.Tags), e.ParamsJSON,
		strOrNil(e.TaskExecutionID), strOrNil(e.RootExecutionID), string(e.State), strOrNil(e.StateInfo),
		e.InputJSON, e.OutputJSON, e.ContextJSON, e.Definition, e.ProjectID, fmtTime(e.CreatedAt), fmtTime(e.UpdatedAt),
		jsonOrEmpty(e.PublishedGlobalJSON), e.CreatedBy)
	if err != nil {
		return dbErr(err, "create execution")
	}
	e.Version = 0
	return nil
}

func (t *tx) UpdateExecution(ctx context.Context, e *engine.Execution, from ...engine.State) error {
	guard, gargs := stateGuard(from)
	args := append([]any{e.Description, tagsJSON(e.Tags), e.ParamsJSON, string(e.State), strOrNil(e.StateInfo),
		e.OutputJSON, e.ContextJSON, jsonOrEmpty(e.PublishedGlobalJSON), fmtTime(e.UpdatedAt), e.ID, e.Version}, gargs...)
	res, err := t.db.ExecContext(ctx, `UPDATE workflow_executions SET description = ?, tags = ?, params = ?, state = ?, state_info = ?,
		output = ?, context = ?, published_global = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`+guard, args...)
	return bumped(&e.Version, res, err, "update execution")
}

// jsonOrEmpty stores an unset JSON object field as {}.
func jsonOrEmpty(s string) string {
	if s == "" {
		return "{}"
	}
	return s
}

func (t *tx) DeleteExecution(ctx context.Context, id string) error {
	// Jobs reference records by id without a foreign key (they may concern
	// any table: actions to run, tasks' timers), so they go first; the rest
	// cascades.
	if _, err := t.db.ExecContext(ctx, `DELETE FROM jobs WHERE ref IN (SELECT id FROM action_executions WHERE workflow_execution_id = ?)
		OR ref IN (SELECT id FROM task_executions WHERE workflow_execution_id = ?)`, id, id); err != nil {
		return dbErr(err, "delete execution jobs")
	}
	// Its notifications go with it, sent or not (their jobs then find nothing).
	if _, err := t.db.ExecContext(ctx, `DELETE FROM deliveries WHERE root_execution_id = ? OR execution_id = ?`, id, id); err != nil {
		return dbErr(err, "delete execution deliveries")
	}
	if _, err := t.db.ExecContext(ctx, `DELETE FROM timeline WHERE execution_id = ?`, id); err != nil {
		return dbErr(err, "delete execution timeline")
	}
	// Callback tokens outlive their action (a retried callback is
	// recognised), not its execution.
	if _, err := t.db.ExecContext(ctx, `DELETE FROM callback_tokens WHERE action_execution_id IN (SELECT id FROM action_executions WHERE workflow_execution_id = ?)`, id); err != nil {
		return dbErr(err, "delete execution callback tokens")
	}
	res, err := t.db.ExecContext(ctx, `DELETE FROM workflow_executions WHERE id = ?`, id)
	if err := guarded(res, err, "delete execution"); err == fault.ErrConflict {
		return fault.ErrNotFound
	} else {
		return err
	}
}
