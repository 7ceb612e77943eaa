package engine

import (
	"slices"
	"strings"
	"time"
)

// An approval's events go to the webhook notifier's receivers as bodies
// of Sirocco's own (approvalBody): what a chat channel or a ticketing
// system needs to tell the approvers and let them find the action page.
// Who gets them:
//
//   - the server-wide receivers (-notify-url): every approval event;
//   - an execution's params.notify receivers: only the approval events
//     their events list names, so that a receiver written for Mistral
//     (events absent: all of Mistral's) never sees an event it does not
//     know.
//
// An approval run on its own (no execution) has only the server-wide
// receivers. Each delivery records the action's id: the action page lists
// them with their failures.

// notifyApproval records event n for the webhook receivers, in the
// transaction of the change it tells of.
func (w *work) notifyApproval(n *approvalNotice) error {
	if w.e.notify.Sender == nil {
		return nil
	}
	server := w.e.notify.Receivers
	var hooks []Webhook
	if n.Exec != nil && strings.Contains(n.Exec.ParamsJSON, `"notify"`) {
		// receivers lists the execution's own, then the server-wide ones.
		all := w.receivers(n.Exec)
		for _, h := range all[:len(all)-len(server)] {
			if slices.Contains(h.Events, n.Event) {
				hooks = append(hooks, h)
			}
		}
	}
	for _, h := range server {
		if h.wants(n.Event) {
			hooks = append(hooks, h)
		}
	}
	if len(hooks) == 0 {
		return nil
	}
	var missing *string
	if n.Event != ApprovalDecided {
		// What the approvers still have to do, as the inbox says it.
		votes, err := n.votesIn(w)
		if err != nil {
			return err
		}
		missing = strPtr(n.Request.tally(votes).Describe()) // escalation-aware
	}
	return w.deliverTo(hooks, n.Exec, n.Action.ID, n.Event, func(eventID string) []byte {
		return approvalBody(n, eventID, w.e.baseURL, missing, w.e.notify.Links, w.e.now())
	})
}

// ActionURL is the dashboard page of action execution id, under the
// server's public URL base.
func ActionURL(base, id string) string { return strings.TrimRight(base, "/") + "/actions/" + id }

// approvalBody is the body of approval event n: the event and its id
// (receivers deduplicate on it: delivery is at least once), the action,
// its title and page, who asked, who may decide (the approvers entries;
// empty: anyone with the approver role) and what is still missing, the
// workflow it belongs to, and for approval.decided the outcome, through
// what and by whom. The people's decision links go only with links (the
// -notify-links flag), since a chat channel is seen by more than the
// person a link is for.
func approvalBody(n *approvalNotice, eventID, base string, missing *string, links bool, at time.Time) []byte {
	a, ap := n.Action, n.Request
	approvers := make([]any, len(ap.Approvers))
	for i, a := range ap.Approvers {
		approvers[i] = a
	}
	var root *string
	if n.Exec != nil {
		root = strPtr(rootOf(n.Exec))
	}
	kv := []any{
		"event", string(n.Event), "event_id", eventID,
		"id", a.ID, "title", ap.Title, "url", ActionURL(base, a.ID),
		"requested_by", nilIfEmpty(ap.RequestedBy), "approvers", approvers, "missing", missing,
		"execution_id", a.WorkflowExecutionID, "root_execution_id", root, "workflow_name", a.WorkflowName,
		"task_name", a.TaskName, "task_execution_id", a.TaskExecutionID,
		"created_at", a.CreatedAt.UTC().Format(timeLayout), "at", at.UTC().Format(timeLayout),
	}
	if n.Event == ApprovalDecided {
		kv = append(kv, "state", string(n.State), "decided_by", nilIfEmpty(n.By), "channel", nilIfEmpty(n.Via))
	}
	if links {
		// Sorted by user name (jsonvalue encodes a map's keys sorted).
		l := make(map[string]any, len(n.Links))
		for user, url := range n.Links {
			l[user] = url
		}
		kv = append(kv, "links", l)
	}
	return object(kv...)
}

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
