package store

import (
	"context"
	"database/sql"

	"github.com/sirocco-project/sirocco/internal/engine"
)

var actionExecutions = &resource{
	table: "action_executions",
	columns: "id, name, workflow_name, workflow_namespace, task_name, task_execution_id, workflow_execution_id, state, state_info, " +
		"description, project_id, accepted, is_async, input, output, request, completed_via, completed_at, created_at, updated_at, item_index",
	fields: map[string]fieldKind{
		"id": kindText, "name": kindText, "workflow_name": kindText, "workflow_namespace": kindText, "task_name": kindText,
		"task_execution_id": kindText, "workflow_execution_id": kindText, "state": kindText, "state_info": kindText,
		"description": kindText, "project_id": kindText, "accepted": kindBool, "input": kindText, "output": kindText,
		"created_at": kindTime, "updated_at": kindTime,
	},
}

func scanAction(s scanner) (*engine.ActionExecution, error) {
	var a engine.ActionExecution
	var state, created, updated string
	var wfName, taskName, taskID, exID, info, output, request, via, completed sql.NullString
	var accepted, async int
	if err := s.Scan(&a.ID, &a.Name, &wfName, &a.WorkflowNamespace, &taskName, &taskID, &exID, &state, &info,
		&a.Description, &a.ProjectID, &accepted, &async, &a.InputJSON, &output, &request, &via, &completed, &created, &updated, &a.ItemIndex); err != nil {
		return nil, err
	}
	a.WorkflowName, a.TaskName, a.TaskExecutionID, a.WorkflowExecutionID = nullStr(wfName), nullStr(taskName), nullStr(taskID), nullStr(exID)
	a.State, a.StateInfo, a.Accepted, a.Async = engine.State(state), nullStr(info), accepted != 0, async != 0
	a.OutputJSON, a.RequestJSON, a.CompletedVia, a.CompletedAt = nullStr(output), nullStr(request), nullStr(via), parseTimePtr(completed)
	a.CreatedAt, a.UpdatedAt = parseTime(created), parseTime(updated)
	return &a, nil
}

func (r reader) GetActionExecution(ctx context.Context, id string) (*engine.ActionExecution, error) {
	a, err := scanAction(r.db.QueryRowContext(ctx, "SELECT "+actionExecutions.columns+" FROM action_executions WHERE id = ?", id))
	if err != nil {
		return nil, dbErr(err, "get action execution")
	}
	return a, nil
}

func (r reader) ListActionExecutions(ctx context.Context, q engine.ListQuery) ([]*engine.ActionExecution, error) {
	return list(ctx, r.db, actionExecutions, q, "", nil, scanAction)
}

func (r reader) ActionExecutionsOf(ctx context.Context, taskID string) ([]*engine.ActionExecution, error) {
	return list(ctx, r.db, actionExecutions, engine.ListQuery{SortKeys: []string{"created_at"}}, "task_execution_id = ?", []any{taskID}, scanAction)
}

func (t *tx) CreateActionExecution(ctx context.Context, a *engine.ActionExecution) error {
	_, err := t.db.ExecContext(ctx, `INSERT INTO action_executions (`+actionExecutions.columns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.Name, strOrNil(a.WorkflowName), a.WorkflowNamespace, strOrNil(a.TaskName), strOrNil(a.TaskExecutionID),
		strOrNil(a.WorkflowExecutionID), string(a.State), strOrNil(a.StateInfo), a.Description, a.ProjectID,
		boolInt(a.Accepted), boolInt(a.Async), a.InputJSON, strOrNil(a.OutputJSON), strOrNil(a.RequestJSON),
		strOrNil(a.CompletedVia), fmtTimePtr(a.CompletedAt), fmtTime(a.CreatedAt), fmtTime(a.UpdatedAt), a.ItemIndex)
	return dbErr(err, "create action execution")
}

func (t *tx) UpdateActionExecution(ctx context.Context, a *engine.ActionExecution, from ...engine.State) error {
	guard, gargs := stateGuard(from)
	args := append([]any{string(a.State), strOrNil(a.StateInfo), boolInt(a.Accepted), strOrNil(a.OutputJSON), strOrNil(a.RequestJSON),
		strOrNil(a.CompletedVia), fmtTimePtr(a.CompletedAt), fmtTime(a.UpdatedAt), a.ID}, gargs...)
	res, err := t.db.ExecContext(ctx, `UPDATE action_executions SET state = ?, state_info = ?, accepted = ?, output = ?, request = ?,
		completed_via = ?, completed_at = ?, updated_at = ? WHERE id = ?`+guard, args...)
	return guarded(res, err, "update action execution")
}
