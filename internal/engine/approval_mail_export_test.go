package engine

import "context"

// MailApprovalEvent records approval event ev about approval id on the
// mail channel, with the decision links links (by user name), as
// approvalEvent does for the ladder's events and with the links of
// issueLinks.
func MailApprovalEvent(ctx context.Context, e *Engine, id string, ev EventType, links map[string]string) error {
	return e.update(ctx, func(w *work) error {
		a, _, ex, err := w.tx.GetActionScope(ctx, id)
		if err != nil {
			return err
		}
		ap, err := ParseApproval(*a.ApprovalJSON)
		if err != nil {
			return err
		}
		return w.mailApprovers(&approvalNotice{Event: ev, Action: a, Request: ap, Exec: ex, Links: links})
	})
}
