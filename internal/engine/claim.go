package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sirocco-project/sirocco/internal/fault"
)

// A claim is an approver saying "I am handling this": the inbox shows it
// ("alice is handling this") so that two people do not work on the same
// request. It is a soft lock: anyone who may decide still may, a claim
// only tells. Claims expire (ClaimTTL after they were made or renewed),
// so a claim forgotten does not hide an approval for good.

// ClaimTTL is how long a claim lasts unless renewed.
const ClaimTTL = 30 * time.Minute

// Claim is one approver's claim on a pending approval.
type Claim struct {
	ActionExecutionID string
	User              string
	ClaimedAt         time.Time
	ExpiresAt         time.Time
	// Version counts the updates of the stored row (0 when created).
	Version int64
}

// Live reports whether the claim still holds at now.
func (c *Claim) Live(now time.Time) bool { return now.Before(c.ExpiresAt) }

// ClaimReader reads claims.
type ClaimReader interface {
	// ClaimsOn returns the claims on the given action executions that
	// still hold at now (ExpiresAt after it), in no particular order.
	ClaimsOn(ctx context.Context, ids []string, now time.Time) ([]*Claim, error)
}

// ClaimTx writes claims. A claim goes with its action execution.
type ClaimTx interface {
	// GetClaim returns the claim on an action execution, live or
	// expired; fault.ENOTFOUND when there is none.
	GetClaim(ctx context.Context, actionID string) (*Claim, error)
	// AddClaim stores a new claim at version 0; a claim stored already on
	// the same action is fault.ErrConflict.
	AddClaim(ctx context.Context, c *Claim) error
	// UpdateClaim writes c's user and times if the stored version is
	// c.Version, and increments it; else fault.ErrConflict.
	UpdateClaim(ctx context.Context, c *Claim) error
	// DeleteClaim deletes the claim on an action execution if its
	// version is version; fault.ErrConflict otherwise, fault.ENOTFOUND
	// when there is none.
	DeleteClaim(ctx context.Context, actionID string, version int64) error
}

// Claimant is who claims or releases: the account, and whether it is an
// admin (who may release anyone's claim).
type Claimant struct {
	User  string
	Admin bool
	// MayDecide is the approver role: only those who may decide claim.
	MayDecide bool
}

// ErrClaimNeedsPerson refuses a claim by no named person.
var ErrClaimNeedsPerson = fault.Errorf(fault.EFORBIDDEN, "A claim names who handles the approval: log in as a person with the approver role.")

// ClaimApproval records that who handles approval id for ClaimTTL from
// now, or renews their claim. Another person's live claim is
// fault.ECONFLICT naming them (they may still decide it: claims only tell).
func (e *Engine) ClaimApproval(ctx context.Context, id string, who Claimant) (*Claim, error) {
	if who.User == "" || !who.MayDecide {
		return nil, ErrClaimNeedsPerson
	}
	var out *Claim
	err := e.update(ctx, func(w *work) error {
		a, err := w.pendingApproval(id)
		if err != nil {
			return err
		}
		now := w.e.now()
		c, err := w.tx.GetClaim(w.ctx, id)
		put := w.tx.UpdateClaim
		switch {
		case fault.Code(err) == fault.ENOTFOUND:
			c, put = &Claim{ActionExecutionID: id}, w.tx.AddClaim
		case err != nil:
			return err
		case c.Live(now) && c.User != who.User:
			return fault.Errorf(fault.ECONFLICT, "%s is handling this approval (claimed at %s UTC, until %s UTC). You may still decide it; a claim only tells.",
				c.User, c.ClaimedAt.Format(timeLayout), c.ExpiresAt.Format(timeLayout))
		}
		c.User, c.ClaimedAt, c.ExpiresAt = who.User, now, now.Add(ClaimTTL)
		if err := put(w.ctx, c); err != nil {
			return err
		}
		out = c
		w.claimEvent(a, "claimed by "+who.User+" until "+c.ExpiresAt.Format(timeLayout)+" UTC")
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ReleaseApproval drops the claim on approval id: its holder's, or
// anyone's for an admin. No claim (or an expired one) is no error.
func (e *Engine) ReleaseApproval(ctx context.Context, id string, who Claimant) error {
	if who.User == "" && !who.Admin {
		return ErrClaimNeedsPerson
	}
	return e.update(ctx, func(w *work) error {
		a, err := w.tx.GetActionExecution(w.ctx, id)
		if err != nil {
			return err
		}
		c, err := w.tx.GetClaim(w.ctx, id)
		if fault.Code(err) == fault.ENOTFOUND {
			return nil
		}
		if err != nil {
			return err
		}
		if c.User != who.User && !who.Admin && c.Live(w.e.now()) {
			return fault.Errorf(fault.EFORBIDDEN, "%s claimed this approval; only they (or an admin) release the claim. It expires at %s UTC.", c.User, c.ExpiresAt.Format(timeLayout))
		}
		if err := w.tx.DeleteClaim(w.ctx, id, c.Version); err != nil {
			return err
		}
		if a.State.Completed() {
			return nil
		}
		by := who.User
		if by == "" {
			by = "an admin"
		}
		w.claimEvent(a, strings.TrimSpace("claim of "+c.User+" released by "+by))
		return nil
	})
}

// Claims returns the live claims on the given action executions, by id.
func (e *Engine) Claims(ctx context.Context, ids []string) (map[string]*Claim, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	list, err := e.store.ClaimsOn(ctx, ids, e.now())
	if err != nil {
		return nil, fmt.Errorf("claims: %w", err)
	}
	out := make(map[string]*Claim, len(list))
	for _, c := range list {
		out[c.ActionExecutionID] = c
	}
	return out, nil
}

// pendingApproval reads action id: it must be an approval that waits.
func (w *work) pendingApproval(id string) (*ActionExecution, error) {
	a, err := w.tx.GetActionExecution(w.ctx, id)
	if err != nil {
		return nil, err
	}
	if a.ApprovalJSON == nil {
		return nil, fault.Errorf(fault.EINVALID, "Action execution %s is not an approval: only approvals are claimed.", id)
	}
	if a.State.Completed() {
		return nil, fault.Errorf(fault.ECONFLICT, "Approval %s is decided already (%s): there is nothing to handle.", id, a.State)
	}
	return a, nil
}

// claimEvent tells the inbox and the action's page that a claim changed:
// an event of the action, in its timeline, that moves nothing.
func (w *work) claimEvent(a *ActionExecution, note string) {
	var exID string
	if a.WorkflowExecutionID != nil {
		exID = *a.WorkflowExecutionID
	}
	w.publish(Event{Kind: "action_execution", ID: a.ID, State: a.State, Async: a.Async, ExecutionID: exID, Via: ViaDashboard, Note: note, Approval: true})
}
