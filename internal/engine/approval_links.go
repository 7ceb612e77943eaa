package engine

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sirocco-project/sirocco/internal/fault"
)

// Decision links let an approver decide from mail or chat. Each person
// gets one link per approval, issued with the event that first reaches
// them (approval.requested, approval.escalated, or a reminder for someone
// who joined a group since). A link is
//
//   - signed: its token is the link's id and an HMAC, under a server key
//     every replica shares, over the id, the approval, the person and the
//     expiry; the store keeps no token, only the row it checks against;
//   - expiring: DefaultLinkTTL (-link-ttl) after issue, never past the
//     approval's timeout;
//   - single use: the decision it carries marks it used in the same
//     transaction, so a replay finds it used;
//   - revocable by an admin or its person (RevokeLink);
//   - bound to its approval and person: a decision through it is that
//     person's vote, checked by the same rules (vote.go), channel "link".
//
// Opening a link (OpenLink) decides nothing: only DecideByLink, which the
// HTTP side calls for a POST, does.

// ViaLink is the channel of a decision taken through a decision link.
const ViaLink = "link"

// DefaultLinkTTL is how long a decision link lives when LinkConfig.TTL is
// not set.
const DefaultLinkTTL = 7 * 24 * time.Hour

// LinkConfig configures decision links.
type LinkConfig struct {
	// Key signs the links; nil issues none. The server derives it from a
	// secret of the accounts store, so that every replica checks the
	// links of the others.
	Key []byte
	// TTL is how long a link lives (DefaultLinkTTL), never past the
	// approval's timeout.
	TTL time.Duration
}

// Why a link is refused; the errors DecideByLink and OpenLink return wrap
// one of them (errors.Is) with a message for the person.
var (
	ErrLinkInvalid = errors.New("decision link: not valid")
	ErrLinkUsed    = errors.New("decision link: used")
	ErrLinkExpired = errors.New("decision link: expired")
	ErrLinkRevoked = errors.New("decision link: revoked")
	// ErrLinkClosed is a link to an approval already decided.
	ErrLinkClosed = errors.New("decision link: approval decided")
	// ErrLinkPerson is a link used by someone other than its person.
	ErrLinkPerson = errors.New("decision link: another person's")
)

// errLinkInvalid is the answer to a token that is no link of this server:
// mistyped, cut short, or signed with another key.
var errLinkInvalid = fault.Wrap(ErrLinkInvalid, fault.ENOTFOUND,
	"This decision link is not valid: it may have been cut short or changed on its way. Open the approval from the dashboard instead.")

// Link states, as LinkState names them.
const (
	LinkLive    = "live"
	LinkUsed    = "used"
	LinkRevoked = "revoked"
	LinkExpired = "expired"
)

// State says whether l can still decide at now: used, revoked, expired,
// or live.
func (l *DecisionLink) State(now time.Time) string {
	switch {
	case l.UsedAt != nil:
		return LinkUsed
	case l.RevokedAt != nil:
		return LinkRevoked
	case !now.Before(l.ExpiresAt):
		return LinkExpired
	}
	return LinkLive
}

// LinkState is l's state now (DecisionLink.State on the engine's clock).
func (e *Engine) LinkState(l *DecisionLink) string { return l.State(e.now()) }

// refusal is why l cannot decide at now, nil when it can.
func (l *DecisionLink) refusal(now time.Time) error {
	switch l.State(now) {
	case LinkUsed:
		return fault.Wrap(ErrLinkUsed, fault.ECONFLICT, fmt.Sprintf(
			"This link was already used, at %s UTC: the decision it carried was recorded. A decision link decides once; nothing was changed.",
			l.UsedAt.UTC().Format(timeLayout)))
	case LinkRevoked:
		by := ""
		if l.RevokedBy != "" {
			by = " by " + l.RevokedBy
		}
		return fault.Wrap(ErrLinkRevoked, fault.EFORBIDDEN, fmt.Sprintf(
			"This link was revoked%s at %s UTC and decides nothing. Open the approval from the dashboard instead.",
			by, l.RevokedAt.UTC().Format(timeLayout)))
	case LinkExpired:
		return fault.Wrap(ErrLinkExpired, fault.EFORBIDDEN, fmt.Sprintf(
			"This link expired at %s UTC and decides nothing. Open the approval from the dashboard instead.",
			l.ExpiresAt.UTC().Format(timeLayout)))
	}
	return nil
}

// linkMAC is the signature of l: over its id, approval, person and expiry
// (in seconds, which both stores keep exactly).
func (e *Engine) linkMAC(l *DecisionLink) []byte {
	m := hmac.New(sha256.New, e.links.Key)
	m.Write([]byte("sirocco decision link\x00" + l.ID + "\x00" + l.ActionExecutionID + "\x00" + l.User + "\x00" +
		strconv.FormatInt(l.ExpiresAt.Unix(), 10)))
	return m.Sum(nil)
}

// LinkToken returns the token of l: its id, a dot, and its signature.
func (e *Engine) LinkToken(l *DecisionLink) string {
	return l.ID + "." + base64.RawURLEncoding.EncodeToString(e.linkMAC(l))
}

// LinkURL returns the address of l: <base-url>/links/<token>.
func (e *Engine) LinkURL(l *DecisionLink) string { return e.baseURL + "/links/" + e.LinkToken(l) }

// splitToken reads a token's id and signature; ok is false for anything
// LinkToken does not make.
func splitToken(token string) (id string, mac []byte, ok bool) {
	id, sig, found := strings.Cut(token, ".")
	if !found || len(id) != 36 || len(sig) != 43 {
		return "", nil, false
	}
	mac, err := base64.RawURLEncoding.DecodeString(sig)
	return id, mac, err == nil
}

// findLink returns the link token names, checked against its signature;
// errLinkInvalid when there is none or the signature does not match.
func (e *Engine) findLink(ctx context.Context, r Reader, token string) (*DecisionLink, error) {
	id, mac, ok := splitToken(token)
	if !ok || len(e.links.Key) == 0 {
		return nil, errLinkInvalid
	}
	l, err := r.GetDecisionLink(ctx, id)
	if fault.Code(err) == fault.ENOTFOUND {
		return nil, errLinkInvalid
	}
	if err != nil {
		return nil, err
	}
	if !hmac.Equal(mac, e.linkMAC(l)) {
		return nil, errLinkInvalid
	}
	return l, nil
}

// LinkView is an opened link: the link and where its approval stands.
type LinkView struct {
	Link   *DecisionLink
	Status *ApprovalStatus
	// RequireLogin says a decision through it needs the person's login
	// (the approval's require_login).
	RequireLogin bool
}

// OpenLink reads the link token names and its approval, changing nothing:
// scanners and unfurlers that fetch a link see what a person would, and
// decide nothing. A link that cannot decide (used, revoked, expired, or
// its approval decided) returns the view with an error saying why; a
// token that is no link returns only the error (ErrLinkInvalid).
func (e *Engine) OpenLink(ctx context.Context, token string) (*LinkView, error) {
	l, err := e.findLink(ctx, e.store, token)
	if err != nil {
		return nil, err
	}
	st, err := e.ApprovalStatus(ctx, l.ActionExecutionID)
	if err != nil {
		return nil, err
	}
	v := &LinkView{Link: l, Status: st, RequireLogin: st.Request.RequireLogin}
	if err := l.refusal(e.now()); err != nil {
		return v, err
	}
	if st.Action.State.Completed() {
		return v, fault.Wrap(ErrLinkClosed, fault.ECONFLICT, "This approval was already decided: nothing is left to decide. Its page in the dashboard says how it was decided.")
	}
	return v, nil
}

// DecideByLink records the decision c sent through the link token names:
// the vote of c.Decider, who must be the link's person, through the same
// path, schema and rules as any vote (channel "link"). The link is marked
// used in the transaction that records the vote; a vote the rules refuse
// leaves it unused (and its audit record), so that the person can correct
// the form. A link that cannot decide is refused with an error wrapping
// ErrLinkUsed, ErrLinkRevoked, ErrLinkExpired, ErrLinkPerson or
// ErrLinkInvalid, and recorded in the audit trail when its person is
// known.
func (e *Engine) DecideByLink(ctx context.Context, token string, c Completion) (*ActionExecution, error) {
	if c.State != StateSuccess && c.State != StateError {
		return nil, fault.Errorf(fault.EINVALID, "A decision link approves (SUCCESS) or rejects (ERROR); got %q.", c.State)
	}
	if c.Override {
		return nil, fault.Errorf(fault.EINVALID, "A decision link cannot override: an admin overrides from the approval's page.")
	}
	c.Via = ViaLink
	outJSON, err := e.completionOutput(c)
	if err != nil {
		return nil, err
	}
	var out *ActionExecution
	var refused error
	for attempt := 0; ; attempt++ {
		err = e.update(ctx, func(w *work) error {
			out, refused = nil, nil
			l, err := e.findLink(w.ctx, w.tx, token)
			if err != nil {
				return err
			}
			if why := linkRefusal(l, c.Decider, e.now()); why != nil {
				// Recorded, as every refused decision of a person is;
				// the transaction commits the record alone.
				refused = why
				return w.auditLinkRefusal(l, c, why)
			}
			a, _, err := w.applyCompletion(l.ActionExecutionID, c, outJSON)
			if err != nil {
				return err
			}
			if out, refused = a, w.refused; refused != nil {
				return nil
			}
			now := e.now()
			l.UsedAt = &now
			return w.tx.UpdateDecisionLink(w.ctx, l)
		})
		// A guarded write lost a race (the same link used twice at once):
		// look again, and the other use is seen.
		if errors.Is(err, fault.ErrConflict) && attempt < 3 {
			continue
		}
		break
	}
	if err != nil {
		return nil, err
	}
	if refused != nil {
		return nil, refused
	}
	return e.masker(ctx).mask(out), nil
}

// linkRefusal is why d may not decide through l at now, nil when they
// may.
func linkRefusal(l *DecisionLink, d *Decider, now time.Time) error {
	if err := l.refusal(now); err != nil {
		return err
	}
	if d == nil || d.User != l.User {
		return fault.Wrap(ErrLinkPerson, fault.EFORBIDDEN, fmt.Sprintf(
			"This link was sent to %s and decides only as them; nothing was changed.", l.User))
	}
	return nil
}

// auditLinkRefusal records a decision refused at its link.
func (w *work) auditLinkRefusal(l *DecisionLink, c Completion, why error) error {
	rec := &AuditRecord{At: w.e.now(), Channel: ViaLink, Kind: AuditDecision, ActionExecutionID: l.ActionExecutionID,
		State: c.State, Comment: c.Comment, Outcome: AuditRefused, Reason: fault.Message(why)}
	if d := c.Decider; d != nil {
		rec.Actor, rec.Groups, rec.Addr = d.User, d.Groups, d.Addr
	}
	return w.tx.AppendAudit(w.ctx, rec)
}

// DecisionLinks lists the links of approval actionID, oldest first.
func (e *Engine) DecisionLinks(ctx context.Context, actionID string) ([]*DecisionLink, error) {
	a, err := e.GetActionExecution(ctx, actionID)
	if err != nil {
		return nil, err
	}
	if a.ApprovalJSON == nil {
		return nil, fault.Errorf(fault.EINVALID, "Action execution %s is not an approval: it has no decision links.", actionID)
	}
	return e.store.DecisionLinks(ctx, actionID)
}

// GetDecisionLink finds a link by id (fault.ENOTFOUND when unknown).
func (e *Engine) GetDecisionLink(ctx context.Context, id string) (*DecisionLink, error) {
	l, err := e.store.GetDecisionLink(ctx, id)
	if fault.Code(err) == fault.ENOTFOUND {
		return nil, fault.Errorf(fault.ENOTFOUND, "Decision link not found [id=%s]", id)
	}
	return l, err
}

// RevokeLink revokes link id for by: an admin, or the link's person. A
// link revoked already stays as it was; a used one cannot be revoked
// (fault.ECONFLICT). The revocation is an audit record.
func (e *Engine) RevokeLink(ctx context.Context, id string, by *Decider) (*DecisionLink, error) {
	var out *DecisionLink
	err := e.update(ctx, func(w *work) error {
		l, err := w.tx.GetDecisionLink(w.ctx, id)
		if fault.Code(err) == fault.ENOTFOUND {
			return fault.Errorf(fault.ENOTFOUND, "Decision link not found [id=%s]", id)
		}
		if err != nil {
			return err
		}
		out = l
		switch {
		case by == nil || (!by.Admin && by.User != l.User):
			return fault.Errorf(fault.EFORBIDDEN, "Only an admin or %s, whose link it is, may revoke it.", l.User)
		case l.RevokedAt != nil:
			return nil
		case l.UsedAt != nil:
			return fault.Errorf(fault.ECONFLICT, "This link was used at %s UTC: its decision is recorded, and there is nothing left to revoke.",
				l.UsedAt.UTC().Format(timeLayout))
		}
		now := e.now()
		l.RevokedAt, l.RevokedBy = &now, by.User
		if err := w.tx.UpdateDecisionLink(w.ctx, l); err != nil {
			return err
		}
		return w.auditAdmin(by, l.ActionExecutionID, "", fmt.Sprintf("revoked the decision link %s of %s", l.ID, l.User))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// issueLinks issues the decision links event n brings and returns every
// link the event carries, by user name: a new one for each person it
// reaches who holds none, and the live link of each who does (a
// reminder carries it again). Nobody gets a second link to an approval
// while one lives; a revoked link is not replaced. Who it reaches:
//
//   - approval.requested: the approvers (everyone who may decide when it
//     names none);
//   - approval.escalated: the escalate_to set;
//   - approval.reminded: the approvers, or the escalate_to set once the
//     approval was escalated;
//
// leaving out who may not decide their own request and who voted. The
// engine checks every vote whatever link carried it, so a link reaching
// someone the rules then refuse decides nothing.
func (w *work) issueLinks(n *approvalNotice) (map[string]string, error) {
	e := w.e
	if len(e.links.Key) == 0 || e.people == nil || n.Request == nil || n.Action == nil {
		return nil, nil
	}
	ap := n.Request
	var existing []*DecisionLink
	if n.Event != ApprovalRequested {
		var err error
		if existing, err = w.tx.DecisionLinks(w.ctx, n.Action.ID); err != nil {
			return nil, fmt.Errorf("decision links of %s: %w", n.Action.ID, err)
		}
	}
	var approvers []string
	switch n.Event {
	case ApprovalRequested:
		approvers = ap.Approvers
	case ApprovalEscalated:
		approvers = ap.EscalateTo
	case ApprovalReminded:
		approvers = ap.Approvers
		if len(ap.EscalateTo) > 0 && slices.ContainsFunc(existing, func(l *DecisionLink) bool { return l.Event == ApprovalEscalated }) {
			approvers = ap.EscalateTo
		}
	default:
		return nil, nil
	}
	persons, err := n.decidersIn(w, approvers)
	if err != nil {
		return nil, fmt.Errorf("decision links of %s: %w", n.Action.ID, err)
	}
	skip := map[string]bool{}
	if !ap.AllowSelfApproval {
		skip[ap.RequestedBy], skip[ap.StartedBy] = true, true
	}
	if n.Event != ApprovalRequested {
		votes, err := n.votesIn(w)
		if err != nil {
			return nil, err
		}
		for _, v := range votes {
			skip[v.User] = true
		}
	}
	now := e.now()
	expires := now.Add(e.linkTTL())
	if deadline := n.Action.CreatedAt.Add(ap.Timeout); ap.Timeout > 0 && deadline.Before(expires) {
		expires = deadline
	}
	// Whole seconds: the signature covers the expiry in seconds.
	expires = expires.Truncate(time.Second)
	if !expires.After(now) {
		return nil, nil
	}
	out := map[string]string{}
	for _, p := range persons {
		if p.User == "" || skip[p.User] {
			continue
		}
		held := false
		for _, l := range existing {
			if l.User != p.User {
				continue
			}
			switch l.State(now) {
			case LinkLive:
				out[p.User] = e.LinkURL(l)
				held = true
			case LinkRevoked, LinkUsed:
				held = true
			}
		}
		if held {
			continue
		}
		l := &DecisionLink{ID: newID(), ActionExecutionID: n.Action.ID, User: p.User, Event: n.Event, CreatedAt: now, ExpiresAt: expires}
		if err := w.tx.AddDecisionLink(w.ctx, l); err != nil {
			return nil, fmt.Errorf("decision link of %s on %s: %w", p.User, n.Action.ID, err)
		}
		out[p.User] = e.LinkURL(l)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

func (e *Engine) linkTTL() time.Duration {
	if e.links.TTL > 0 {
		return e.links.TTL
	}
	return DefaultLinkTTL
}
