package postgres

import (
	"context"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// The answers kept for Idempotency-Key (engine.IdempotencyTx).

const idempotencyWhere = `credential = $1 AND route = $2 AND resource = $3 AND idem_key = $4`

func scopeArgs(s engine.IdempotencyScope) []any {
	return []any{s.Credential, s.Route, s.Resource, s.Key}
}

func (t *tx) GetIdempotentAnswer(ctx context.Context, scope engine.IdempotencyScope) (*engine.IdempotentAnswer, error) {
	a := &engine.IdempotentAnswer{Scope: scope}
	err := t.q.QueryRow(ctx, `SELECT request_hash, status, content_type, body, created_at FROM idempotency_keys WHERE `+idempotencyWhere,
		scopeArgs(scope)...).Scan(&a.RequestHash, &a.Status, &a.ContentType, &a.Body, &a.CreatedAt)
	if err != nil {
		return nil, dbErr(err, "get idempotent answer")
	}
	return a, nil
}

func (t *tx) PutIdempotentAnswer(ctx context.Context, a *engine.IdempotentAnswer) error {
	_, err := t.q.Exec(ctx, `INSERT INTO idempotency_keys (credential, route, resource, idem_key, request_hash, status, content_type, body, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (credential, route, resource, idem_key) DO UPDATE SET
			request_hash = excluded.request_hash, status = excluded.status, content_type = excluded.content_type,
			body = excluded.body, created_at = excluded.created_at`,
		a.Scope.Credential, a.Scope.Route, a.Scope.Resource, a.Scope.Key, a.RequestHash, a.Status, a.ContentType, a.Body, utc(a.CreatedAt))
	return dbErr(err, "put idempotent answer")
}

func (t *tx) DeleteIdempotentAnswer(ctx context.Context, scope engine.IdempotencyScope) error {
	_, err := t.q.Exec(ctx, `DELETE FROM idempotency_keys WHERE `+idempotencyWhere, scopeArgs(scope)...)
	return dbErr(err, "delete idempotent answer")
}

func (t *tx) DeleteIdempotentAnswers(ctx context.Context, before time.Time, limit int) (int, error) {
	tag, err := t.q.Exec(ctx, `DELETE FROM idempotency_keys WHERE id IN
		(SELECT id FROM idempotency_keys WHERE created_at <= $1 ORDER BY created_at LIMIT $2)`, utc(before), limit)
	if err != nil {
		return 0, dbErr(err, "delete expired idempotent answers")
	}
	return int(tag.RowsAffected()), nil
}
