package sqlite

import (
	"context"
	"encoding/json"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// Claims on pending approvals (engine.ClaimReader, engine.ClaimTx).

const claimColumns = `action_execution_id, user_name, claimed_at, expires_at, version`

func scanClaim(s scanner) (*engine.Claim, error) {
	var c engine.Claim
	var claimed, expires string
	if err := s.Scan(&c.ActionExecutionID, &c.User, &claimed, &expires, &c.Version); err != nil {
		return nil, err
	}
	c.ClaimedAt, c.ExpiresAt = parseTime(claimed), parseTime(expires)
	return &c, nil
}

func (r reader) ClaimsOn(ctx context.Context, ids []string, now time.Time) ([]*engine.Claim, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, fault.Errorf(fault.EINVALID, "claims: %v", err)
	}
	rows, err := r.db.QueryContext(ctx, `SELECT `+claimColumns+` FROM approval_claims
		WHERE action_execution_id IN (SELECT value FROM json_each(?)) AND expires_at > ?`, string(list), fmtTime(now))
	if err != nil {
		return nil, dbErr(err, "claims")
	}
	defer rows.Close()
	var out []*engine.Claim
	for rows.Next() {
		c, err := scanClaim(rows)
		if err != nil {
			return nil, dbErr(err, "claims")
		}
		out = append(out, c)
	}
	return out, dbErr(rows.Err(), "claims")
}

func (t *tx) GetClaim(ctx context.Context, actionID string) (*engine.Claim, error) {
	c, err := scanClaim(t.db.QueryRowContext(ctx, `SELECT `+claimColumns+` FROM approval_claims WHERE action_execution_id = ?`, actionID))
	if err != nil {
		return nil, dbErr(err, "get claim")
	}
	return c, nil
}

func (t *tx) AddClaim(ctx context.Context, c *engine.Claim) error {
	res, err := t.db.ExecContext(ctx, `INSERT INTO approval_claims (`+claimColumns+`) VALUES (?, ?, ?, ?, 0)
		ON CONFLICT (action_execution_id) DO NOTHING`, c.ActionExecutionID, c.User, fmtTime(c.ClaimedAt), fmtTime(c.ExpiresAt))
	if err := guarded(res, err, "add claim"); err != nil {
		return err
	}
	c.Version = 0
	return nil
}

func (t *tx) UpdateClaim(ctx context.Context, c *engine.Claim) error {
	res, err := t.db.ExecContext(ctx, `UPDATE approval_claims SET user_name = ?, claimed_at = ?, expires_at = ?, version = version + 1
		WHERE action_execution_id = ? AND version = ?`, c.User, fmtTime(c.ClaimedAt), fmtTime(c.ExpiresAt), c.ActionExecutionID, c.Version)
	return bumped(&c.Version, res, err, "update claim")
}

func (t *tx) DeleteClaim(ctx context.Context, actionID string, version int64) error {
	res, err := t.db.ExecContext(ctx, `DELETE FROM approval_claims WHERE action_execution_id = ? AND version = ?`, actionID, version)
	if err := guarded(res, err, "delete claim"); fault.Code(err) != fault.ECONFLICT {
		return err
	}
	var n int
	if err := t.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM approval_claims WHERE action_execution_id = ?`, actionID).Scan(&n); err != nil {
		return dbErr(err, "delete claim")
	}
	if n == 0 {
		return fault.Errorf(fault.ENOTFOUND, "No claim on %s.", actionID)
	}
	return fault.ErrConflict
}
