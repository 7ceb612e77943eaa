package sqlite

import (
	"context"
	"database/sql"

	"github.com/sirocco-project/sirocco/internal/engine"
)

const cronColumns = `id, name, pattern, first_execution_time, next_execution_time, remaining_executions,
	workflow_id, workflow_name, workflow_namespace, workflow_input, workflow_params, scope, project_id,
	created_by, state, state_info, last_executions, created_at, updated_at, version`

func scanCronTrigger(s scanner) (*engine.CronTrigger, error) {
	var c engine.CronTrigger
	var first, updated, info sql.NullString
	var next, created string
	var remaining sql.NullInt64
	if err := s.Scan(&c.ID, &c.Name, &c.Pattern, &first, &next, &remaining, &c.WorkflowID, &c.WorkflowName,
		&c.WorkflowNamespace, &c.WorkflowInputJSON, &c.WorkflowParamsJSON, &c.Scope, &c.ProjectID, &c.CreatedBy,
		&c.State, &info, &c.LastExecutionsJSON, &created, &updated, &c.Version); err != nil {
		return nil, err
	}
	c.FirstExecutionTime, c.NextExecutionTime = parseTimePtr(first), parseTime(next)
	c.CreatedAt, c.UpdatedAt = parseTime(created), parseTimePtr(updated)
	if remaining.Valid {
		n := int(remaining.Int64)
		c.RemainingExecutions = &n
	}
	if info.Valid {
		c.StateInfo = &info.String
	}
	return &c, nil
}

func (r reader) GetCronTrigger(ctx context.Context, idOrName string) (*engine.CronTrigger, error) {
	c, err := scanCronTrigger(r.db.QueryRowContext(ctx, "SELECT "+cronColumns+
		" FROM cron_triggers WHERE id = ? OR name = ? ORDER BY id = ? DESC LIMIT 1", idOrName, idOrName, idOrName))
	if err != nil {
		return nil, dbErr(err, "get cron trigger")
	}
	return c, nil
}

func (r reader) ListCronTriggers(ctx context.Context) ([]*engine.CronTrigger, error) {
	rows, err := r.db.QueryContext(ctx, "SELECT "+cronColumns+" FROM cron_triggers ORDER BY created_at, id")
	if err != nil {
		return nil, dbErr(err, "list cron triggers")
	}
	defer rows.Close()
	var out []*engine.CronTrigger
	for rows.Next() {
		c, err := scanCronTrigger(rows)
		if err != nil {
			return nil, dbErr(err, "list cron triggers")
		}
		out = append(out, c)
	}
	return out, dbErr(rows.Err(), "list cron triggers")
}

func remainingArg(n *int) any {
	if n == nil {
		return nil
	}
	return int64(*n)
}

func (t *tx) CreateCronTrigger(ctx context.Context, c *engine.CronTrigger) error {
	_, err := t.db.ExecContext(ctx, `INSERT INTO cron_triggers (`+cronColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`,
		c.ID, c.Name, c.Pattern, fmtTimePtr(c.FirstExecutionTime), fmtTime(c.NextExecutionTime), remainingArg(c.RemainingExecutions),
		c.WorkflowID, c.WorkflowName, c.WorkflowNamespace, c.WorkflowInputJSON, c.WorkflowParamsJSON, c.Scope, c.ProjectID,
		c.CreatedBy, c.State, strOrNil(c.StateInfo), c.LastExecutionsJSON, fmtTime(c.CreatedAt), fmtTimePtr(c.UpdatedAt))
	if err != nil {
		return dbErr(err, "create cron trigger")
	}
	c.Version = 0
	return nil
}

func (t *tx) UpdateCronTrigger(ctx context.Context, c *engine.CronTrigger) error {
	res, err := t.db.ExecContext(ctx, `UPDATE cron_triggers SET next_execution_time = ?, remaining_executions = ?,
		state = ?, state_info = ?, last_executions = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`,
		fmtTime(c.NextExecutionTime), remainingArg(c.RemainingExecutions), c.State, strOrNil(c.StateInfo), c.LastExecutionsJSON,
		fmtTimePtr(c.UpdatedAt), c.ID, c.Version)
	return bumped(&c.Version, res, err, "update cron trigger")
}

func (t *tx) DeleteCronTrigger(ctx context.Context, id string, version int64) error {
	res, err := t.db.ExecContext(ctx, `DELETE FROM cron_triggers WHERE id = ? AND version = ?`, id, version)
	if err := guarded(res, err, "delete cron trigger"); err != nil {
		if _, gerr := t.GetCronTrigger(ctx, id); gerr != nil {
			return gerr // gone: not found
		}
		return err
	}
	return nil
}
