package sqlite

import (
	"context"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// The answers kept for Idempotency-Key (engine.IdempotencyTx).

const idempotencyWhere = `credential = ? AND route = ? AND resource = ? AND idem_key = ?`

func scopeArgs(s engine.IdempotencyScope) []any {
	return []any{s.Credential, s.Route, s.Resource, s.Key}
}

func (t *tx) GetIdempotentAnswer(ctx context.Context, scope engine.IdempotencyScope) (*engine.IdempotentAnswer, error) {
	a := &engine.IdempotentAnswer{Scope: scope}
	var created string
	err := t.db.QueryRowContext(ctx, `SELECT request_hash, status, content_type, body, created_at FROM idempotency_keys WHERE `+idempotencyWhere,
		scopeArgs(scope)...).Scan(&a.RequestHash, &a.Status, &a.ContentType, &a.Body, &created)
	if err != nil {
		return nil, dbErr(err, "get idempotent answer")
	}
	a.CreatedAt = parseTime(created)
	return a, nil
}

func (t *tx) PutIdempotentAnswer(ctx context.Context, a *engine.IdempotentAnswer) error {
	_, err := t.db.ExecContext(ctx, `INSERT INTO idempotency_keys (credential, route, resource, idem_key, request_hash, status, content_type, body, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (credential, route, resource, idem_key) DO UPDATE SET
			request_hash = excluded.request_hash, status = excluded.status, content_type = excluded.content_type,
			body = excluded.body, created_at = excluded.created_at`,
		a.Scope.Credential, a.Scope.Route, a.Scope.Resource, a.Scope.Key, a.RequestHash, a.Status, a.ContentType, a.Body, fmtTime(a.CreatedAt))
	return dbErr(err, "put idempotent answer")
}

func (t *tx) DeleteIdempotentAnswer(ctx context.Context, scope engine.IdempotencyScope) error {
	_, err := t.db.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE `+idempotencyWhere, scopeArgs(scope)...)
	return dbErr(err, "delete idempotent answer")
}

func (t *tx) DeleteIdempotentAnswers(ctx context.Context, before time.Time, limit int) (int, error) {
	res, err := t.db.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE id IN
		(SELECT id FROM idempotency_keys WHERE created_at <= ? ORDER BY created_at LIMIT ?)`, fmtTime(before), limit)
	if err != nil {
		return 0, dbErr(err, "delete expired idempotent answers")
	}
	n, err := res.RowsAffected()
	return int(n), dbErr(err, "delete expired idempotent answers")
}
