package postgres

import (
	"context"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// Decision links (engine.LinkReader, engine.LinkTx).

const linkColumns = `id, action_execution_id, user_name, event, created_at, expires_at, used_at, revoked_at, revoked_by, version`

func scanLink(s pgxScanner) (*engine.DecisionLink, error) {
	var l engine.DecisionLink
	var event string
	if err := s.Scan(&l.ID, &l.ActionExecutionID, &l.User, &event, &l.CreatedAt, &l.ExpiresAt, &l.UsedAt, &l.RevokedAt,
		&l.RevokedBy, &l.Version); err != nil {
		return nil, err
	}
	l.Event = engine.EventType(event)
	l.CreatedAt, l.ExpiresAt = l.CreatedAt.UTC(), l.ExpiresAt.UTC()
	l.UsedAt, l.RevokedAt = utcPtr(l.UsedAt), utcPtr(l.RevokedAt)
	return &l, nil
}

func (r reader) GetDecisionLink(ctx context.Context, id string) (*engine.DecisionLink, error) {
	l, err := scanLink(r.db.QueryRow(ctx, `SELECT `+linkColumns+` FROM decision_links WHERE id = $1`, id))
	if err != nil {
		return nil, dbErr(err, "get decision link")
	}
	return l, nil
}

func (r reader) DecisionLinks(ctx context.Context, actionID string) ([]*engine.DecisionLink, error) {
	rows, err := r.db.Query(ctx, `SELECT `+linkColumns+` FROM decision_links WHERE action_execution_id = $1 ORDER BY created_at, id`, actionID)
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
	t.q.deferExec(`INSERT INTO decision_links (`+linkColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0)`,
		l.ID, l.ActionExecutionID, l.User, string(l.Event), utc(l.CreatedAt), utc(l.ExpiresAt),
		utcPtr(l.UsedAt), utcPtr(l.RevokedAt), l.RevokedBy)
	l.Version = 0
	return nil
}

func (t *tx) UpdateDecisionLink(ctx context.Context, l *engine.DecisionLink) error {
	tag, err := t.q.Exec(ctx, `UPDATE decision_links SET used_at = $1, revoked_at = $2, revoked_by = $3, version = version + 1
		WHERE id = $4 AND version = $5`, utcPtr(l.UsedAt), utcPtr(l.RevokedAt), l.RevokedBy, l.ID, l.Version)
	return bumped(&l.Version, tag, err, "update decision link")
}
