package engine

import (
	"context"
	"fmt"
	"strings"
)

// An approval tells people outside the dashboard what happens to it: when
// it is requested, reminded, escalated and decided. Each event is written
// in the transaction of the change it tells of (approvalEvent) and goes to
// three channels, each in a file of its own:
//
//   - issueLinks (approval_links.go): the decision links of the people the
//     event reaches, one per person per approval;
//   - notifyApproval (approval_webhook.go): the webhook notifier's
//     receivers (-notify-url), signed, through w.deliver;
//   - mailApprovers (approval_mail.go): each approver's email, with their
//     own link, when -smtp-* is set.
//
// Nothing is sent inside the transaction: each channel records deliveries
// that jobs send after commit, so a decision never waits for a receiver.

// The approval events receivers can subscribe to.
const (
	ApprovalRequested EventType = "approval.requested"
	ApprovalReminded  EventType = "approval.reminded"
	ApprovalEscalated EventType = "approval.escalated"
	ApprovalDecided   EventType = "approval.decided"
)

// ApprovalEventTypes are the approval events, in the order they happen.
var ApprovalEventTypes = []EventType{ApprovalRequested, ApprovalReminded, ApprovalEscalated, ApprovalDecided}

// approvalNotice is one approval event as the channels see it.
type approvalNotice struct {
	Event   EventType
	Action  *ActionExecution
	Request *Approval
	// Exec is the approval's workflow execution; nil for an action run
	// on its own.
	Exec *Execution
	// State, Via and By say how a decided approval was decided (the
	// action's state, the channel, the deciding user or "").
	State State
	Via   string
	By    string
	// Links are the decision links issued with this event, by user name
	// (issueLinks fills it in before the other channels run).
	Links map[string]string

	// votes and deciders are read once per event, for every channel that
	// asks (votesIn, decidersIn): nothing changes them between channels.
	votes    []*ApprovalVote
	deciders map[string][]Person
}

// votesIn returns the approval's votes, read once per event.
func (n *approvalNotice) votesIn(w *work) ([]*ApprovalVote, error) {
	if n.votes == nil {
		votes, err := w.tx.ApprovalVotes(w.ctx, n.Action.ID)
		if err != nil {
			return nil, fmt.Errorf("approval %s: votes for its %s event: %w", n.Action.ID, n.Event, err)
		}
		n.votes = append([]*ApprovalVote{}, votes...)
	}
	return n.votes, nil
}

// decidersIn returns the persons approvers names (engine.People), read
// once per event and list of approvers: links and mail both need them.
func (n *approvalNotice) decidersIn(w *work, approvers []string) ([]Person, error) {
	key := strings.Join(approvers, "\n")
	if p, ok := n.deciders[key]; ok {
		return p, nil
	}
	p, err := w.e.people.Deciders(w.ctx, approvers)
	if err != nil {
		return nil, err
	}
	if n.deciders == nil {
		n.deciders = map[string][]Person{}
	}
	n.deciders[key] = p
	return p, nil
}

// approvalEvent records event n on every channel, in the current
// transaction.
func (w *work) approvalEvent(n *approvalNotice) error {
	links, err := w.issueLinks(n)
	if err != nil {
		return err
	}
	n.Links = links
	if err := w.notifyApproval(n); err != nil {
		return err
	}
	return w.mailApprovers(n)
}

// Person is an account the approval channels reach.
type Person struct {
	User  string
	Email string // "" when the account has none
}

// People finds the persons an approval's approvers entries name. The
// server implements it over the accounts store (auth.Service.Deciders).
type People interface {
	// Deciders returns the accounts approvers names ("user:<name>",
	// "group:<name>"; none: everyone who may decide), each once, sorted
	// by name; unknown names are left out.
	Deciders(ctx context.Context, approvers []string) ([]Person, error)
}
