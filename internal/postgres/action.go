package postgres

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"

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
	a     engine.ActionExecution
	state string
}

func (r *actionRow) appendDests(d []any) []any {
	a := &r.a
	return append(d, &a.ID, &a.Name, &a.WorkflowName, &a.WorkflowNamespace, &a.TaskName, &a.TaskExecutionID, &a.WorkflowExecutionID,
		&r.state, &a.StateInfo, &a.Description, &a.ProjectID, &a.Accepted, &a.Async, &a.InputJSON, &a.OutputJSON, &a.RequestJSON,
		&a.CompletedVia, &a.CompletedAt, &a.CreatedAt, &a.UpdatedAt, &a.ItemIndex, &a.ApprovalJSON, &a.Version, &a.WaitsFor)
}

func (r *actionRow) action() *engine.ActionExecution {
	r.a.State = engine.State(r.state)
	return &r.a
}

func scanAction(s pgxScanner) (*engine.ActionExecution, error) {
	var r actionRow
	if err := s.Scan(r.appendDests(make([]any, 0, 24))...); err != nil {
		return nil, err
	}
	return r.action(), nil
}

// actionScopeQuery reads an action execution with its task and execution
// in one statement: completing an action needs all three.
var actionScopeQuery = "SELECT " + prefixed("a", actionExecutions.columns) + ", " + prefixed("t", tasks.columns) + ", " + prefixed("e", executions.columns) +
	" FROM action_executions a JOIN task_executions t ON t.id = a.task_execution_id JOIN workflow_executions e ON e.id = t.workflow_execution_id WHERE a.id = $1"

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
	err := r.db.QueryRow(ctx, actionScopeQuery, id).Scan(dests...)
	if errors.Is(err, pgx.ErrNoRows) {
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
	a, err := scanAction(r.db.QueryRow(ctx, "SELECT "+actionExecutions.columns+" FROM action_executions WHERE id = $1", id))
	if err != nil {
		return nil, dbErr(err, "get action execution")
	}
	return a, nil
}

func (r reader) ListActionExecutions(ctx context.Context, q engine.ListQuery) ([]*engine.ActionExecution, error) {
	return list(ctx, r.db, actionExecutions, q, nil, scanAction)
}

func (r reader) ActionExecutionsOf(ctx context.Context, taskID string) ([]*engine.ActionExecution, error) {
	return list(ctx, r.db, actionExecutions, engine.ListQuery{SortKeys: []string{"created_at"}}, func(a *args) string {
		return "task_execution_id = " + a.add(taskID)
	}, scanAction)
}

func (t *tx) CreateActionExecution(ctx context.Context, a *engine.ActionExecution) error {
	t.q.deferExec(`INSERT INTO action_executions (`+actionExecutions.columns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, 0, $23)`,
		a.ID, a.Name, a.WorkflowName, a.WorkflowNamespace, a.TaskName, a.TaskExecutionID,
		a.WorkflowExecutionID, string(a.State), a.StateInfo, a.Description, a.ProjectID,
		a.Accepted, a.Async, a.InputJSON, a.OutputJSON, a.RequestJSON,
		a.CompletedVia, utcPtr(a.CompletedAt), utc(a.CreatedAt), utc(a.UpdatedAt), a.ItemIndex, a.ApprovalJSON, a.WaitsFor)
	a.Version = 0
	if a.Async && pending(a.State) {
		t.q.deferExec(inboxSearchInsert, a.ID)
	}
	return nil
}

// inboxSearchInsert puts an action into the inbox's search index
// (migration 0014), unless there.
const inboxSearchInsert = `INSERT INTO inbox_search (action_execution_id, body)
	SELECT a.id, a.input || E'\n' || coalesce(e.input, '')
	FROM action_executions a LEFT JOIN workflow_executions e ON e.id = a.workflow_execution_id WHERE a.id = $1
	ON CONFLICT (action_execution_id) DO NOTHING`

// pending reports whether an asynchronous action in state s is in the inbox.
func pending(s engine.State) bool { return s == engine.StateRunning || s == engine.StatePaused }

func (t *tx) UpdateActionExecution(ctx context.Context, a *engine.ActionExecution, from ...engine.State) error {
	tag, err := t.q.Exec(ctx, `UPDATE action_executions SET state = $1, state_info = $2, accepted = $3, output = $4, request = $5,
		completed_via = $6, completed_at = $7, updated_at = $8, version = version + 1
		WHERE id = $9 AND version = $11 AND (cardinality($10::text[]) = 0 OR state = ANY($10))`,
		string(a.State), a.StateInfo, a.Accepted, a.OutputJSON, a.RequestJSON,
		a.CompletedVia, utcPtr(a.CompletedAt), utc(a.UpdatedAt), a.ID, states(from), a.Version)
	if err := bumped(&a.Version, tag, err, "update action execution"); err != nil {
		return err
	}
	if a.Async {
		// The search index follows the action in and out of the inbox.
		if pending(a.State) {
			t.q.deferExec(inboxSearchInsert, a.ID)
		} else {
			t.q.deferExec(`DELETE FROM inbox_search WHERE action_execution_id = $1`, a.ID)
		}
	}
	if a.ApprovalJSON != nil && !pending(a.State) {
		// An approval no longer pending waits for nobody.
		for _, q := range []string{`DELETE FROM approval_eligible WHERE action_execution_id = $1`, `DELETE FROM approval_pending WHERE action_execution_id = $1`} {
			if _, err := t.q.Exec(ctx, q, a.ID); err != nil {
				return dbErr(err, "update action execution")
			}
		}
	}
	return nil
}
