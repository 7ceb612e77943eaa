package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Approvers get mail when the server has an SMTP server (-smtp-*): each
// person their own message, to the address of their account, with their
// own decision link (n.Links[user]) and nobody else's. A message is a
// Delivery of the notifier whose URL is mailto:<address> and whose body
// is the message (mailBody, JSON); the same JobDeliver job sends it after
// commit, with the notifier's retries and backoff (runDeliveryJob hands
// it to sendApprovalMail). Nothing is sent inside the transaction.
//
// Who gets which event:
//   - approval.requested: the approvers (everyone who may decide when it
//     names none), but those it excludes (its requester and starter,
//     unless allow_self_approval);
//   - approval.reminded: the same, but those who voted already;
//   - approval.escalated: the escalate_to set, with the same exclusions
//     (who voted already included);
//   - approval.decided: the approvers but the decider, so that nobody
//     opens a decided request or keeps a link that no longer works.
//
// People without an address get none.

// mailScheme begins the URL of a delivery that is an email.
const mailScheme = "mailto:"

// isMail reports whether d is an email (sendApprovalMail sends it).
func isMail(d *Delivery) bool { return d != nil && strings.HasPrefix(d.URL, mailScheme) }

// mailBody is what a mail delivery's Body holds, as a JSON object
// {"to", "subject", "text"}.
type mailBody struct{ To, Subject, Text string }

func (m mailBody) encode() string {
	return string(object("to", m.To, "subject", m.Subject, "text", m.Text))
}

func decodeMailBody(s string) (mailBody, error) {
	o := decodeObject(s)
	to, _ := o["to"].(string)
	subject, _ := o["subject"].(string)
	text, _ := o["text"].(string)
	if to == "" {
		return mailBody{}, errors.New("the stored message has no recipient")
	}
	return mailBody{To: to, Subject: subject, Text: text}, nil
}

// mailApprovers records the mail event n sends to approvers.
func (w *work) mailApprovers(n *approvalNotice) error {
	if !w.e.mailOn() || w.e.people == nil {
		return nil
	}
	persons, err := w.mailRecipients(n)
	if errors.Is(err, errNoPeople) {
		// The accounts could not be read: the event goes on without its
		// mail rather than wait for them (a decision never waits on mail).
		w.e.log.Error("approval mail not sent: the recipients could not be found", "event", n.Event, "action", n.Action.ID, "err", err)
		return nil
	}
	if err != nil || len(persons) == 0 {
		return err
	}
	exID, root := "", ""
	if n.Exec != nil {
		exID, root = n.Exec.ID, rootOf(n.Exec)
	}
	missing := ""
	if n.Event == ApprovalRequested || n.Event == ApprovalReminded {
		votes, err := n.votesIn(w)
		if err != nil {
			return err
		}
		missing = n.Request.tally(votes).Describe() // escalation-aware
	}
	eventID, now := newID(), w.e.now()
	for _, p := range persons {
		body := w.e.approvalMail(n, p, missing).encode()
		d := &Delivery{ID: newID(), EventID: eventID, Event: n.Event, ExecutionID: exID, RootExecutionID: root, ActionID: n.Action.ID,
			URL: mailScheme + p.Email, HeadersJSON: "{}", Body: body, State: DeliveryPending,
			NextAttemptAt: &now, CreatedAt: now, UpdatedAt: now}
		if err := w.tx.AddDelivery(w.ctx, d); err != nil {
			return fmt.Errorf("record the %s mail: %w", n.Event, err)
		}
		if err := w.addJob(JobDeliver, d.ID, now); err != nil {
			return err
		}
	}
	return nil
}

// mailRecipients lists the persons with an address that event n mails
// (see the list above), each once.
func (w *work) mailRecipients(n *approvalNotice) ([]Person, error) {
	ap := n.Request
	entries := ap.Approvers
	if n.Event == ApprovalEscalated {
		entries = ap.EscalateTo
	}
	persons, err := n.decidersIn(w, entries)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errNoPeople, err)
	}
	skip := map[string]bool{}
	switch n.Event {
	case ApprovalDecided:
		skip[n.By] = true
	case ApprovalReminded, ApprovalEscalated:
		votes, err := n.votesIn(w)
		if err != nil {
			return nil, err
		}
		for _, v := range votes {
			skip[v.User] = true
		}
		fallthrough
	default:
		if !ap.AllowSelfApproval {
			skip[ap.RequestedBy], skip[ap.StartedBy] = true, true
		}
	}
	out := persons[:0:0]
	for _, p := range persons {
		if p.Email != "" && p.User != "" && !skip[p.User] {
			out = append(out, p)
		}
	}
	return out, nil
}

// approvalMail writes person p's message about event n; missing says what
// the approval still needs ("" to leave it out).
func (e *Engine) approvalMail(n *approvalNotice, p Person, missing string) mailBody {
	ap, a := n.Request, n.Action
	title := strings.Join(strings.Fields(ap.Title), " ")
	var subject, opening string
	switch n.Event {
	case ApprovalRequested:
		subject, opening = "Approval requested: "+title, "Your decision is requested: "+title
	case ApprovalReminded:
		subject, opening = "Reminder: approval requested: "+title, "Reminder: this request still waits for a decision: "+title
	case ApprovalEscalated:
		subject, opening = "Approval escalated to you: "+title, "This request has waited too long and now comes to you: "+title
	case ApprovalDecided:
		verdict := "Decided"
		switch n.State {
		case StateSuccess:
			verdict = "Approved"
		case StateError:
			verdict = "Rejected"
		}
		subject = verdict + ": " + title
		switch {
		case n.Via == "timeout": // the ladder's decision (on_timeout)
			opening = verdict + " when its time ran out: " + title
		case n.By != "":
			opening = verdict + " by " + n.By + " (" + n.Via + "): " + title
		default:
			opening = verdict + " (" + n.Via + "): " + title
		}
		opening += "\nNothing more is needed from you."
	default:
		subject, opening = string(n.Event)+": "+title, title
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", opening)
	if ap.RequestedBy != "" {
		fmt.Fprintf(&b, "Requested by: %s\n", ap.RequestedBy)
	}
	if n.Exec != nil {
		fmt.Fprintf(&b, "Workflow: %s (execution %s)\n", n.Exec.WorkflowName, n.Exec.ID)
	}
	if missing != "" {
		fmt.Fprintf(&b, "Still needed: %s\n", missing)
	}
	if d := strings.TrimSpace(ap.Description); d != "" && n.Event != ApprovalDecided {
		fmt.Fprintf(&b, "\n%s\n", d)
	}
	fmt.Fprintf(&b, "\nOpen it in Sirocco: %s/actions/%s\n", strings.TrimRight(e.baseURL, "/"), a.ID)
	if link := n.Links[p.User]; link != "" && n.Event != ApprovalDecided {
		fmt.Fprintf(&b, "\nYour own decision link (it is for you alone: do not forward this message):\n%s\n", link)
	}
	fmt.Fprintf(&b, "\n-- \nSirocco wrote to %s because you may decide this approval.\n", p.User)
	return mailBody{To: p.Email, Subject: subject, Text: b.String()}
}

// errNoPeople is a failure of People: the accounts could not be read.
var errNoPeople = errors.New("find who to mail")

// errNoSMTP fails the mail deliveries of a server started without an SMTP
// server after they were recorded.
var errNoSMTP = errors.New("this server has no SMTP server (-smtp-server)")

// sendApprovalMail sends mail delivery d through the server's SMTP
// server. Its Message-ID is the delivery's, the same at every attempt,
// so that a message sent twice (a crash after the send) is one message
// to the mail clients that deduplicate.
func (e *Engine) sendApprovalMail(ctx context.Context, d *Delivery) error {
	if !e.mailOn() {
		return errNoSMTP
	}
	m, err := decodeMailBody(d.Body)
	if err != nil {
		return fmt.Errorf("mail %s: %w", d.ID, err)
	}
	domain := "sirocco"
	if _, host, ok := strings.Cut(e.mail.From, "@"); ok {
		domain = strings.TrimRight(host, ">")
	}
	tlsMode := e.mail.TLS
	if tlsMode == "" {
		tlsMode = MailSTARTTLS
	}
	return e.sendMail(ctx, smtpConn{addr: e.mail.Server, tls: tlsMode, user: e.mail.User, password: e.mail.Password},
		&mailMessage{From: e.mail.From, To: []string{m.To}, Subject: m.Subject, Text: m.Text,
			MessageID: d.ID + "@" + domain, Auto: true})
}
