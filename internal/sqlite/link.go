package sqlite

import (
	"context"
	"database/sql"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// Decision links (engine.LinkReader, engine.LinkTx).

const linkColumns = `id, action_execution_id, user_name, event, created_at, expires_at, used_at, revoked_at, revoked_by, version`

func scanLink(s scanner) (*engine.DecisionLink, error) {
	var l engine.DecisionLink
	var event, created, expires string
	var used, revoked sql.NullString
	if err := s.Scan(&l.ID, &l.ActionExecutionID, &l.User, &event, &created, &expires, &used, &revoked, &l.RevokedBy, &l.Version); err != nil {
		return nil, err
	}
	l.Event = engine.EventType(event)
	l.CreatedAt, l.ExpiresAt = parseTime(created), parseTime(expires)
	l.UsedAt, l.RevokedAt = parseTimePtr(used), parseTimePtr(revoked)
	return &l, nil
}

func (r reader) GetDecisionLink(ctx context.Context, id string) (*engine.DecisionLink, error) {
	l, err := scanLink(r.db.QueryRowContext(ctx, `SELECT `+linkColumns+` FROM decision_links WHERE id = ?`, id))
	if err != nil {
		return nil, dbErr(err, "get decision link")
	}
	return l, nil
}

func (r reader) DecisionLinks(ctx context.Context, actionID string) ([]*engine.DecisionLink, error) {
	rows, err := r.db.QueryContext(ctx, `SELECT `+linkColumns+` FROM decision_links WHERE action_execution_id = ? ORDER BY created_at, id`, actionID)
	if err != nil {
		return nil, dbErr(err, "list decision links")
	}
	defer rows.Close()
	var list []*engine.DecisionLink
	for rows.Next() {
		l, err := scanLink(rows)
		if err != nil {
			return nil, dbErr(err, "list decision links")
		}
		list = append(list, l)
	}
	return list, dbErr(rows.Err(), "list decision links")
}

func (t *tx) AddDecisionLink(ctx context.Context, l *engine.DecisionLink) error {
	_, err := t.db.ExecContext(ctx, `INSERT INTO decision_links (`+linkColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`,
		l.ID, l.ActionExecutionID, l.User, string(l.Event), fmtTime(l.CreatedAt), fmtTime(l.ExpiresAt),
		fmtTimePtr(l.UsedAt), fmtTimePtr(l.RevokedAt), l.RevokedBy)
	if err != nil {
		return dbErr(err, "add decision link")
	}
	l.Version = 0
	return nil
}

func (t *tx) UpdateDecisionLink(ctx context.Context, l *engine.DecisionLink) error {
	res, err := t.db.ExecContext(ctx, `UPDATE decision_links SET used_at = ?, revoked_at = ?, revoked_by = ?, version = version + 1
		WHERE id = ? AND version = ?`, fmtTimePtr(l.UsedAt), fmtTimePtr(l.RevokedAt), l.RevokedBy, l.ID, l.Version)
	return bumped(&l.Version, res, err, "update decision link")
}
