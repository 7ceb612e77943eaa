package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/sirocco-project/sirocco/internal/engine"
)

var actionExecutions = &resource{
	table: "action_executions",
	columns: "id, name, workflow_name, workflow_namespace, task_name, task_execution_id, workflow_execution_id, state, state_info, " +
		"description, project_id, accepted, is_async, input, output, request, completed_via, completed_at, created_at, updated_at, item_index, approval, version, waits_for",
	fields: map[string]fieldKind{
		"id": kindText, "name": kindText, "workflow_name": kindText, "workflow_namespace": kindText, "task_name": kindText,
		"task_execution_id": kindText, "workflow_execution_id": kindText, "state": kindText, "state_info": kindText,
		"description": kindText, "project_id": kindText, "accepted": kindBool, "input": kindText, "output": kindText,
		"created_at": kindTime, "updated_at": kindTime,
	},
	light: map[string]string{"input": "'{}'", "output": "NULL", "request": "NULL", "approval": "NULL"},
}

// actionRow receives an action execution's columns (actionExecutions.columns, in order).
type actionRow struct {
	a                                                 engine.ActionExecution
	state, created, upd                               string
	wfName, taskName, taskID, exID, info, output, req sql.NullString
	via, completed, approval                          sql.NullString
	accepted, async                                   int
}

func (r *actionRow) appendDests(d []any) []any {
	a := &r.a
	return append(d, &a.ID, &a.Name, &r.wfName, &a.WorkflowNamespace, &r.taskName, &r.taskID, &r.exID, &r.state, &r.info,
		&a.Description, &a.ProjectID, &r.accepted, &r.async, &a.InputJSON, &r.output, &r.req, &r.via, &r.completed, &r.created, &r.upd, &a.ItemIndex, &r.approval, &a.Version, &a.WaitsFor)
}

func (r *actionRow) action() *engine.ActionExecution {
	a := &r.a
	a.WorkflowName, a.TaskName, a.TaskExecutionID, a.WorkflowExecutionID = nullStr(r.wfName), nullStr(r.taskName), nullStr(r.taskID), nullStr(r.exID)
	a.State, a.StateInfo, a.Accepted, a.Async = engine.State(r.state), nullStr(r.info), r.accepted != 0, r.async != 0
	a.OutputJSON, a.RequestJSON, a.CompletedVia, a.CompletedAt = nullStr(r.output), nullStr(r.req), nullStr(r.via), parseTimePtr(r.completed)
	a.CreatedAt, a.UpdatedAt, a.ApprovalJSON = parseTime(r.created), parseTime(r.upd), nullStr(r.approval)
	return a
}

func scanAction(s scanner) (*engine.ActionExecution, error) {
	var r actionRow
	if err := s.Scan(r.appendDests(make([]any, 0, 24))...); err != nil {
		return nil, err
	}
	return r.action(), nil
}

// actionScopeQuery reads an action execution with its task and execution
// in one statement: completing an action needs all three.
var actionScopeQuery = "SELECT " + prefixed("a", actionExecutions.columns) + ", " + prefixed("t", tasks.columns) + ", " + prefixed("e", executions.columns) +
	" FROM action_executions a JOIN task_executions t ON t.id = a.task_execution_id JOIN workflow_executions e ON e.id = t.workflow_execution_id WHERE a.id = ?"

// prefixed qualifies each column of a list with a table alias.
func prefixed(alias, columns string) string {
	cols := strings.Split(columns, ", ")
	for i, c := range cols {
		cols[i] = alias + "." + c
	}
	return strings.Join(cols, ", ")
}

func (r reader) GetActionScope(ctx context.Context, id string) (*engine.ActionExecution, *engine.Task, *engine.Execution, error) {
	var ar actionRow
	var tr taskRow
	var er executionRow
	dests := er.appendDests(tr.appendDests(ar.appendDests(make([]any, 0, 67))))
	err := r.db.QueryRowContext(ctx, actionScopeQuery, id).Scan(dests...)
	if errors.Is(err, sql.ErrNoRows) {
		// An ad-hoc action has no task; or there is no such action.
		a, err := r.GetActionExecution(ctx, id)
		return a, nil, nil, err
	}
	if err != nil {
		return nil, nil, nil, dbErr(err, "get action execution")
	}
	return ar.action(), tr.task(), er.execution(), nil
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
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)`,
		a.ID, a.Name, strOrNil(a.WorkflowName), a.WorkflowNamespace, strOrNil(a.TaskName), strOrNil(a.TaskExecutionID),
		strOrNil(a.WorkflowExecutionID), string(a.State), strOrNil(a.StateInfo), a.Description, a.ProjectID,
		boolInt(a.Accepted), boolInt(a.Async), a.InputJSON, strOrNil(a.OutputJSON), strOrNil(a.RequestJSON),
		strOrNil(a.CompletedVia), fmtTimePtr(a.CompletedAt), fmtTime(a.CreatedAt), fmtTime(a.UpdatedAt), a.ItemIndex, strOrNil(a.ApprovalJSON), a.WaitsFor)
	if err != nil {
		return dbErr(err, "create action execution")
	}
	a.Version = 0
	if a.Async && pending(a.State) {
		*t.db.inbox = append(*t.db.inbox, inboxTouch{id: a.ID, pending: true, created: true})
	}
	return nil
}

// pending reports whether an asynchronous action in state s is in the inbox.
func pending(s engine.State) bool { return s == engine.StateRunning || s == engine.StatePaused }

func (t *tx) UpdateActionExecution(ctx context.Context, a *engine.ActionExecution, from ...engine.State) error {
	guard, gargs := stateGuard(from)
	args := append([]any{string(a.State), strOrNil(a.StateInfo), boolInt(a.Accepted), strOrNil(a.OutputJSON), strOrNil(a.RequestJSON),
		strOrNil(a.CompletedVia), fmtTimePtr(a.CompletedAt), fmtTime(a.UpdatedAt), a.ID, a.Version}, gargs...)
	res, err := t.db.ExecContext(ctx, `UPDATE action_executions SET state = ?, state_info = ?, accepted = ?, output = ?, request = ?,
		completed_via = ?, completed_at = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`+guard, args...)
	if err := bumped(&a.Version, res, err, "update action execution"); err != nil {
		return err
	}
	if a.Async {
		*t.db.inbox = append(*t.db.inbox, inboxTouch{id: a.ID, pending: pending(a.State)})
	}
	if a.ApprovalJSON != nil && !pending(a.State) {
		// An approval no longer pending waits for nobody (migration 0015).
		for _, q := range []string{`DELETE FROM approval_eligible WHERE action_execution_id = ?`, `DELETE FROM approval_pending WHERE action_execution_id = ?`} {
			if _, err := t.db.ExecContext(ctx, q, a.ID); err != nil {
				return dbErr(err, "update action execution")
			}
		}
	}
	return nil
}
