package engine

import "context"

// IssueLinks runs the decision-link channel of approval event on the
// approval actionID, as the ladder's reminders and escalations will, and
// returns the links the event carries by person.
func IssueLinks(ctx context.Context, e *Engine, actionID string, event EventType) (map[string]string, error) {
	var out map[string]string
	err := e.update(ctx, func(w *work) error {
		a, err := w.tx.GetActionExecution(w.ctx, actionID)
		if err != nil {
			return err
		}
		ap, err := ParseApproval(*a.ApprovalJSON)
		if err != nil {
			return err
		}
		out, err = w.issueLinks(&approvalNotice{Event: event, Action: a, Request: ap})
		return err
	})
	return out, err
}
