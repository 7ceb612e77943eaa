package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/sirocco-project/sirocco/internal/fault"
)

// A bulk decision approves or rejects several approvals at once, with one
// comment (and one answer): the inbox's selection, or a script's list
// (POST /sirocco/approvals/decide). Each item is a vote of its own, in a
// transaction of its own, through the same path as every channel (vote):
// its own rules and schema decide it, and one refused item leaves the
// others decided. Only approvals that say allow_bulk: true take part.
//
// The channel stays the one the person used (dashboard or api); the audit
// record says "bulk" in its reason and keeps the digest of the request the
// person's row was drawn from, so the trail tells a bulk decision from one
// made on the approval's page.

// MaxBulkItems bounds one bulk decision: a page of the inbox and then some.
const MaxBulkItems = 100

// BulkVote marks a completion as one item of a bulk decision.
type BulkVote struct {
	// Shown is the digest (Approval.ShownDigest) of the request as the
	// person's row showed it; "" when the sender showed nothing (a
	// script), and the request's own digest is recorded.
	Shown string
	// Of is how many items the bulk decision had.
	Of int
}

// check refuses the item unless its approval allows bulk decisions and is
// the request the person saw; it marks the audit record as a bulk one.
func (b *BulkVote) check(ap *Approval, rec *AuditRecord) error {
	if isDigest(b.Shown) {
		rec.ShownDigest = b.Shown // what the row showed, even when it is not this request
	}
	if !ap.AllowBulk {
		return fault.Errorf(fault.EFORBIDDEN, "This approval does not allow bulk decisions (allow_bulk is false): decide it on its own page.")
	}
	if b.Shown != "" && b.Shown != ap.ShownDigest() {
		return fault.Errorf(fault.ECONFLICT, "This approval is not the request your list showed (its digest differs): open it and decide it on its own page.")
	}
	return nil
}

// isDigest reports whether s is a SHA-256 in hex, as ShownDigest makes.
func isDigest(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, r := range s {
		if (r < '0' || r > '9') && (r < 'a' || r > 'f') {
			return false
		}
	}
	return true
}

// bulkReason is an audit reason marked as part of a bulk decision.
func bulkReason(reason string, b *BulkVote) string {
	return fmt.Sprintf("bulk decision of %d: %s", b.Of, reason)
}

// BulkItem is one approval of a bulk decision.
type BulkItem struct {
	ID string
	// Shown is the digest of the request as the person's row showed it
	// (BulkVote.Shown); "" for none.
	Shown string
}

// BulkResult is what became of one item of a bulk decision.
type BulkResult struct {
	ID    string
	Title string // "" when the action is unknown or no approval
	// Err is why the item was refused; nil when the vote was counted.
	Err error
	// State is the action's state after the vote (RUNNING while the
	// approval waits for more votes).
	State State
}

// DecideBulk applies the decision c (SUCCESS approves, ERROR rejects) to
// each item in turn, each through its own rules and schema, and says what
// became of each, in the order given. An item named twice is decided once.
// It returns an error only for a decision no item could take (a bad state,
// an override, too many items); a refusal of one item is in its result.
func (e *Engine) DecideBulk(ctx context.Context, items []BulkItem, c Completion) ([]BulkResult, error) {
	switch {
	case len(items) == 0:
		return nil, fault.Errorf(fault.EINVALID, "A bulk decision needs at least one approval: select some.")
	case len(items) > MaxBulkItems:
		return nil, fault.Errorf(fault.EINVALID, "A bulk decision takes at most %d approvals, got %d.", MaxBulkItems, len(items))
	case c.State != StateSuccess && c.State != StateError:
		return nil, fault.Errorf(fault.EINVALID, "A bulk decision approves (SUCCESS) or rejects (ERROR), got %q.", c.State)
	case c.Override:
		return nil, fault.Errorf(fault.EINVALID, "An override decides one approval alone, with its reason: it is not made in bulk.")
	}
	out := make([]BulkResult, 0, len(items))
	seen := make(map[string]bool, len(items))
	for _, it := range items {
		if seen[it.ID] {
			continue
		}
		seen[it.ID] = true
		r := BulkResult{ID: it.ID}
		if a, err := e.store.GetActionExecution(ctx, it.ID); err == nil && a.ApprovalJSON != nil {
			if ap, err := ParseApproval(*a.ApprovalJSON); err == nil {
				r.Title = ap.Title
			}
		}
		ic := c
		ic.Bulk = &BulkVote{Shown: it.Shown, Of: len(items)}
		a, err := e.UpdateActionExecution(ctx, it.ID, ic)
		if err != nil && ctx.Err() != nil {
			return out, ctx.Err() // the client left: the items after this one were not tried
		}
		if r.Err = err; err == nil {
			r.State = a.State
		}
		out = append(out, r)
	}
	return out, nil
}

// BulkChoice is what the inbox needs to offer an approval for a bulk
// decision.
type BulkChoice struct {
	// Shown is the digest of the request (Approval.ShownDigest).
	Shown string
}

// BulkChoices returns, of the given action executions, the pending
// approvals that allow bulk decisions, by id. The inbox asks it for the
// rows waiting for its viewer (a page, at most MaxInboxLimit).
func (e *Engine) BulkChoices(ctx context.Context, ids []string) (map[string]BulkChoice, error) {
	out := map[string]BulkChoice{}
	if len(ids) == 0 {
		return out, nil
	}
	// One read for the page, not one per row; ids decided and deleted
	// since the page was read are simply not found.
	list, err := e.store.ListActionExecutions(ctx, ListQuery{Filters: []Filter{{Field: "id", Op: OpIn, Values: ids}}})
	if err != nil {
		return nil, fmt.Errorf("bulk choices: %w", err)
	}
	for _, a := range list {
		// The request is canonical JSON (Approval.encode): one that allows
		// bulk decisions says so in these bytes, and the others (most)
		// need not be parsed.
		if a.ApprovalJSON == nil || a.State.Completed() || !strings.Contains(*a.ApprovalJSON, `"allow_bulk":true`) {
			continue
		}
		ap, err := ParseApproval(*a.ApprovalJSON)
		if err != nil {
			return nil, fmt.Errorf("bulk choices: %s: %w", a.ID, err)
		}
		if ap.AllowBulk {
			out[a.ID] = BulkChoice{Shown: ap.ShownDigest()}
		}
	}
	return out, nil
}
