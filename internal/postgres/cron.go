package postgres

import (
	"context"

	"github.com/sirocco-project/sirocco/internal/engine"
)

const cronColumns = `id, name, pattern, first_execution_time, next_execution_time, remaining_executions,
	workflow_id, workflow_name, workflow_namespace, workflow_input, workflow_params, scope, project_id,
	created_by, state, state_info, last_executions, created_at, updated_at, version`

func scanCronTrigger(s pgxScanner) (*engine.CronTrigger, error) {
	var c engine.CronTrigger
	var remaining *int64
	if err := s.Scan(&c.ID, &c.Name, &c.Pattern, &c.FirstExecutionTime, &c.NextExecutionTime, &remaining, &c.WorkflowID,
		&c.WorkflowName, &c.WorkflowNamespace, &c.WorkflowInputJSON, &c.WorkflowParamsJSON, &c.Scope, &c.ProjectID,
		&c.CreatedBy, &c.State, &c.StateInfo, &c.LastExecutionsJSON, &c.CreatedAt, &c.UpdatedAt, &c.Version); err != nil {
		return nil, err
	}
	c.NextExecutionTime, c.CreatedAt = c.NextExecutionTime.UTC(), c.CreatedAt.UTC()
	c.FirstExecutionTime, c.UpdatedAt = utcPtr(c.FirstExecutionTime), utcPtr(c.UpdatedAt)
	if remaining != nil {
		n := int(*remaining)
		c.RemainingExecutions = &n
	}
	return &c, nil
}

func (r reader) GetCronTrigger(ctx context.Context, idOrName string) (*engine.CronTrigger, error) {
	c, err := scanCronTrigger(r.db.QueryRow(ctx, "SELECT "+cronColumns+
		" FROM cron_triggers WHERE id = $1 OR name = $1 ORDER BY id = $1 DESC LIMIT 1", idOrName))
	if err != nil {
		return nil, dbErr(err, "get cron trigger")
	}
	return c, nil
}

func (r reader) ListCronTriggers(ctx context.Context) ([]*engine.CronTrigger, error) {
	return collect(ctx, r.db, "list cron triggers", scanCronTrigger, "SELECT "+cronColumns+" FROM cron_triggers ORDER BY created_at, id")
}

func remainingArg(n *int) *int64 {
	if n == nil {
		return nil
	}
	v := int64(*n)
	return &v
}

func (t *tx) CreateCronTrigger(ctx context.Context, c *engine.CronTrigger) error {
	_, err := t.q.Exec(ctx, `INSERT INTO cron_triggers (`+cronColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, 0)`,
		c.ID, c.Name, c.Pattern, utcPtr(c.FirstExecutionTime), utc(c.NextExecutionTime), remainingArg(c.RemainingExecutions),
		c.WorkflowID, c.WorkflowName, c.WorkflowNamespace, c.WorkflowInputJSON, c.WorkflowParamsJSON, c.Scope, c.ProjectID,
		c.CreatedBy, c.State, c.StateInfo, c.LastExecutionsJSON, utc(c.CreatedAt), utcPtr(c.UpdatedAt))
	if err != nil {
		return dbErr(err, "create cron trigger")
	}
	c.Version = 0
	return nil
}

func (t *tx) UpdateCronTrigger(ctx context.Context, c *engine.CronTrigger) error {
	tag, err := t.q.Exec(ctx, `UPDATE cron_triggers SET next_execution_time = $1, remaining_executions = $2,
		state = $3, state_info = $4, last_executions = $5, updated_at = $6, version = version + 1 WHERE id = $7 AND version = $8`,
		utc(c.NextExecutionTime), remainingArg(c.RemainingExecutions), c.State, c.StateInfo, c.LastExecutionsJSON,
		utcPtr(c.UpdatedAt), c.ID, c.Version)
	return bumped(&c.Version, tag, err, "update cron trigger")
}

func (t *tx) DeleteCronTrigger(ctx context.Context, id string, version int64) error {
	tag, err := t.q.Exec(ctx, `DELETE FROM cron_triggers WHERE id = $1 AND version = $2`, id, version)
	if err := guarded(tag, err, "delete cron trigger"); err != nil {
		if _, gerr := t.GetCronTrigger(ctx, id); gerr != nil {
			return gerr // gone: not found
		}
		return err
	}
	return nil
}
