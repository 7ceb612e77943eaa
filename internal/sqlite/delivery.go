package sqlite

import (
	"context"
	"database/sql"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// The notifier's deliveries (engine.DeliveryReader, engine.DeliveryTx).

const deliveryColumns = `id, event_id, event, execution_id, root_execution_id, url, headers, body, state, attempts,
	last_error, next_attempt_at, created_at, updated_at, version, action_id`

func scanDelivery(s scanner) (*engine.Delivery, error) {
	var d engine.Delivery
	var event, created, updated string
	var lastErr, next sql.NullString
	if err := s.Scan(&d.ID, &d.EventID, &event, &d.ExecutionID, &d.RootExecutionID, &d.URL, &d.HeadersJSON, &d.Body,
		&d.State, &d.Attempts, &lastErr, &next, &created, &updated, &d.Version, &d.ActionID); err != nil {
		return nil, err
	}
	d.Event = engine.EventType(event)
	if lastErr.Valid {
		d.LastError = &lastErr.String
	}
	d.NextAttemptAt = parseTimePtr(next)
	d.CreatedAt, d.UpdatedAt = parseTime(created), parseTime(updated)
	return &d, nil
}

func (r reader) GetDelivery(ctx context.Context, id string) (*engine.Delivery, error) {
	d, err := scanDelivery(r.db.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE id = ?`, id))
	if err != nil {
		return nil, dbErr(err, "get delivery")
	}
	return d, nil
}

func (r reader) Deliveries(ctx context.Context, executionID string) ([]*engine.Delivery, error) {
	rows, err := r.db.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE execution_id = ? ORDER BY created_at, id`, executionID)
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
	rows, err := r.db.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE action_id = ? AND action_id <> '' ORDER BY created_at, id`, actionID)
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
	_, err := t.db.ExecContext(ctx, `INSERT INTO deliveries (`+deliveryColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)`,
		d.ID, d.EventID, string(d.Event), d.ExecutionID, d.RootExecutionID, d.URL, d.HeadersJSON, d.Body, d.State, d.Attempts,
		strOrNil(d.LastError), fmtTimePtr(d.NextAttemptAt), fmtTime(d.CreatedAt), fmtTime(d.UpdatedAt), d.ActionID)
	if err != nil {
		return dbErr(err, "add delivery")
	}
	d.Version = 0
	return nil
}

func (t *tx) UpdateDelivery(ctx context.Context, d *engine.Delivery) error {
	res, err := t.db.ExecContext(ctx, `UPDATE deliveries SET state = ?, attempts = ?, last_error = ?, next_attempt_at = ?,
		updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`,
		d.State, d.Attempts, strOrNil(d.LastError), fmtTimePtr(d.NextAttemptAt), fmtTime(d.UpdatedAt), d.ID, d.Version)
	return bumped(&d.Version, res, err, "update delivery")
}
