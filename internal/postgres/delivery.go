package postgres

import (
	"context"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// The notifier's deliveries (engine.DeliveryReader, engine.DeliveryTx).

const deliveryColumns = `id, event_id, event, execution_id, root_execution_id, url, headers, body, state, attempts,
	last_error, next_attempt_at, created_at, updated_at, version, action_id`

func scanDelivery(s pgxScanner) (*engine.Delivery, error) {
	var d engine.Delivery
	var event string
	var next *time.Time
	if err := s.Scan(&d.ID, &d.EventID, &event, &d.ExecutionID, &d.RootExecutionID, &d.URL, &d.HeadersJSON, &d.Body,
		&d.State, &d.Attempts, &d.LastError, &next, &d.CreatedAt, &d.UpdatedAt, &d.Version, &d.ActionID); err != nil {
		return nil, err
	}
	d.Event = engine.EventType(event)
	d.NextAttemptAt = utcPtr(next)
	d.CreatedAt, d.UpdatedAt = d.CreatedAt.UTC(), d.UpdatedAt.UTC()
	return &d, nil
}

func (r reader) GetDelivery(ctx context.Context, id string) (*engine.Delivery, error) {
	d, err := scanDelivery(r.db.QueryRow(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE id = $1`, id))
	if err != nil {
		return nil, dbErr(err, "get delivery")
	}
	return d, nil
}

func (r reader) Deliveries(ctx context.Context, executionID string) ([]*engine.Delivery, error) {
	rows, err := r.db.Query(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE execution_id = $1 ORDER BY created_at, id`, executionID)
	if err != nil {
		return nil, dbErr(err, "list deliveries")
	}
	defer rows.Close()
	var list []*engine.Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, dbErr(err, "list deliveries")
		}
		list = append(list, d)
	}
	return list, dbErr(rows.Err(), "list deliveries")
}

func (r reader) ActionDeliveries(ctx context.Context, actionID string) ([]*engine.Delivery, error) {
	rows, err := r.db.Query(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE action_id = $1 AND action_id <> '' ORDER BY created_at, id`, actionID)
	if err != nil {
		return nil, dbErr(err, "list action deliveries")
	}
	defer rows.Close()
	var list []*engine.Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, dbErr(err, "list action deliveries")
		}
		list = append(list, d)
	}
	return list, dbErr(rows.Err(), "list action deliveries")
}

func (t *tx) AddDelivery(ctx context.Context, d *engine.Delivery) error {
	t.q.deferExec(`INSERT INTO deliveries (`+deliveryColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 0, $15)`,
		d.ID, d.EventID, string(d.Event), d.ExecutionID, d.RootExecutionID, d.URL, d.HeadersJSON, d.Body, d.State, d.Attempts,
		d.LastError, utcPtr(d.NextAttemptAt), utc(d.CreatedAt), utc(d.UpdatedAt), d.ActionID)
	d.Version = 0
	return nil
}

func (t *tx) UpdateDelivery(ctx context.Context, d *engine.Delivery) error {
	tag, err := t.q.Exec(ctx, `UPDATE deliveries SET state = $1, attempts = $2, last_error = $3, next_attempt_at = $4,
		updated_at = $5, version = version + 1 WHERE id = $6 AND version = $7`,
		d.State, d.Attempts, d.LastError, utcPtr(d.NextAttemptAt), utc(d.UpdatedAt), d.ID, d.Version)
	return bumped(&d.Version, tag, err, "update delivery")
}
