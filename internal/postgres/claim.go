package postgres

import (
	"context"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// Claims on pending approvals (engine.ClaimReader, engine.ClaimTx).

const claimColumns = `action_execution_id, user_name, claimed_at, expires_at, version`

func scanClaim(s pgxScanner) (*engine.Claim, error) {
	var c engine.Claim
	if err := s.Scan(&c.ActionExecutionID, &c.User, &c.ClaimedAt, &c.ExpiresAt, &c.Version); err != nil {
		return nil, err
	}
	c.ClaimedAt, c.ExpiresAt = c.ClaimedAt.UTC(), c.ExpiresAt.UTC()
	return &c, nil
}

func (r reader) ClaimsOn(ctx context.Context, ids []string, now time.Time) ([]*engine.Claim, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return collect(ctx, r.db, "claims", scanClaim, `SELECT `+claimColumns+` FROM approval_claims
		WHERE action_execution_id = ANY($1::text[]) AND expires_at > $2`, ids, utc(now))
}

func (t *tx) GetClaim(ctx context.Context, actionID string) (*engine.Claim, error) {
	c, err := scanClaim(t.q.QueryRow(ctx, `SELECT `+claimColumns+` FROM approval_claims WHERE action_execution_id = $1`, actionID))
	if err != nil {
		return nil, dbErr(err, "get claim")
	}
	return c, nil
}

func (t *tx) AddClaim(ctx context.Context, c *engine.Claim) error {
	tag, err := t.q.Exec(ctx, `INSERT INTO approval_claims (`+claimColumns+`) VALUES ($1, $2, $3, $4, 0)
		ON CONFLICT (action_execution_id) DO NOTHING`, c.ActionExecutionID, c.User, utc(c.ClaimedAt), utc(c.ExpiresAt))
	if err := guarded(tag, err, "add claim"); err != nil {
		return err
	}
	c.Version = 0
	return nil
}

func (t *tx) UpdateClaim(ctx context.Context, c *engine.Claim) error {
	tag, err := t.q.Exec(ctx, `UPDATE approval_claims SET user_name = $1, claimed_at = $2, expires_at = $3, version = version + 1
		WHERE action_execution_id = $4 AND version = $5`, c.User, utc(c.ClaimedAt), utc(c.ExpiresAt), c.ActionExecutionID, c.Version)
	return bumped(&c.Version, tag, err, "update claim")
}

func (t *tx) DeleteClaim(ctx context.Context, actionID string, version int64) error {
	tag, err := t.q.Exec(ctx, `DELETE FROM approval_claims WHERE action_execution_id = $1 AND version = $2`, actionID, version)
	if err := guarded(tag, err, "delete claim"); fault.Code(err) != fault.ECONFLICT {
		return err
	}
	var n int
	if err := t.q.QueryRow(ctx, `SELECT COUNT(*) FROM approval_claims WHERE action_execution_id = $1`, actionID).Scan(&n); err != nil {
		return dbErr(err, "delete claim")
	}
	if n == 0 {
		return fault.Errorf(fault.ENOTFOUND, "No claim on %s.", actionID)
	}
	return fault.ErrConflict
}
