package engine

import (
	"fmt"
	"strings"

	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/jsonvalue"
	"github.com/sirocco-project/sirocco/internal/quorum"
	"github.com/sirocco-project/sirocco/internal/schemaform"
)

// A SUCCESS or ERROR completion of an approval is a vote: SUCCESS
// approves, ERROR rejects. vote applies one in the completion's
// transaction, after the execution is locked: it checks who votes and
// what, records the vote, tallies the approvals, and completes the action
// when the rules are met or someone rejects. Every attempt, accepted or
// refused, leaves an audit record; a refused one leaves nothing else.

// Decider is the person behind a completion, as they are at that moment.
// The HTTP side makes one from the request's principal (guard.Decider);
// credentials that are no person's (a callback token, a token without a
// user) make none.
type Decider struct {
	// User is the account; "" only for the local admin when
	// authentication is off, who may decide an approval by override alone.
	User string
	// Groups are the account's groups now: the tally counts the groups a
	// voter had when voting.
	Groups []string
	Role   string // the account's role, for the record
	// MayDecide is the approver role or above: what an approval that
	// names no approvers asks for. Admin is the admin role.
	MayDecide bool
	Admin     bool
	// Channel is how the decision came: dashboard, api or cli.
	Channel string
	// Addr is the client's address, for the audit trail.
	Addr string
}

// Refusals of votes that callers may branch on.
var (
	// ErrNoPerson refuses a vote sent with credentials that are no
	// person's.
	ErrNoPerson = fault.Errorf(fault.EFORBIDDEN, "Approvals need a person: this credential (a callback token, or a token without a user) cannot vote.")
	// ErrOverrideOnly refuses a plain vote of the local admin when
	// authentication is off: nobody is known, so nobody can be counted.
	ErrOverrideOnly = fault.Errorf(fault.EFORBIDDEN, `With authentication off, an approval is decided by override: send "override": true with a "reason".`)
)

// vote applies completion c of approval a (task t and execution ex as
// read with it; nil for an ad-hoc run). A refusal is recorded, set as
// w.refused and not returned: the transaction commits its audit record.
func (w *work) vote(a *ActionExecution, t *Task, ex *Execution, c Completion) (*ActionExecution, bool, error) {
	ap, err := ParseApproval(*a.ApprovalJSON)
	if err != nil {
		return nil, false, err
	}
	if _, err := w.withLadder(a, ap); err != nil {
		return nil, false, err
	}
	d := c.Decider
	now := w.e.now()
	rec := &AuditRecord{At: now, Channel: c.Via, Kind: AuditDecision, ActionExecutionID: a.ID, State: c.State,
		Comment: c.Comment, ShownDigest: ap.ShownDigest()}
	if d != nil {
		rec.Actor, rec.Groups, rec.Addr = d.User, d.Groups, d.Addr
	}
	if c.Override {
		rec.Kind = AuditOverride
	}
	var answer any // the output sent; nil when none
	var answerJSON *string
	if c.HasOutput {
		answer = c.Output
		text, err := jsonvalue.Canonical(answer)
		if err != nil {
			return nil, false, fault.Errorf(fault.EINVALID, "The output cannot be encoded as JSON: %v", err)
		}
		answerJSON = strPtr(string(text))
		rec.AnswerJSON = *answerJSON
	}
	mark := func(reason string) string {
		if c.Bulk != nil {
			return bulkReason(reason, c.Bulk)
		}
		return reason
	}
	refuse := func(err error) (*ActionExecution, bool, error) {
		rec.Outcome, rec.Reason = AuditRefused, mark(fault.Message(err))
		if err := w.tx.AppendAudit(w.ctx, rec); err != nil {
			return nil, false, err
		}
		w.refused = err
		return nil, false, nil
	}
	accept := func(reason string) error {
		rec.Outcome, rec.Reason = AuditAccepted, mark(reason)
		return w.tx.AppendAudit(w.ctx, rec)
	}
	if c.Bulk != nil {
		if err := c.Bulk.check(ap, rec); err != nil {
			return refuse(err)
		}
	}

	if c.Authorize != nil {
		if err := c.Authorize(a.ID, a.Async, c.State); err != nil {
			return refuse(err)
		}
	}
	if d == nil {
		return refuse(ErrNoPerson)
	}
	votes, err := w.tx.ApprovalVotes(w.ctx, a.ID)
	if err != nil {
		return nil, false, err
	}
	var mine *ApprovalVote
	for _, v := range votes {
		if v.User == d.User {
			mine = v
		}
	}
	if mine != nil && sameVote(mine, c) {
		// A retry of a vote already counted: nothing changes.
		return a, true, accept("the same vote again; nothing changed")
	}
	if a.State.Completed() {
		return refuse(w.decided(a, votes))
	}
	if c.Override {
		return w.override(a, t, ex, c, ap, votes, answer, answerJSON, refuse, accept)
	}
	if d.User == "" {
		return refuse(ErrOverrideOnly)
	}
	if err := ap.Spec().Eligible(quorum.Voter{User: d.User, Groups: d.Groups, Admin: d.Admin, MayDecide: d.MayDecide}); err != nil {
		return refuse(err)
	}
	if mine != nil {
		return refuse(fault.Errorf(fault.ECONFLICT, "You already %s this approval at %s UTC via %s; a vote is not changed.",
			voteVerb(mine), mine.CreatedAt.Format(timeLayout), mine.Channel))
	}
	v := &ApprovalVote{ActionExecutionID: a.ID, User: d.User, Approve: c.State == StateSuccess, AnswerJSON: answerJSON,
		Comment: c.Comment, Channel: rec.Channel, Rule: -1, Groups: d.Groups, CreatedAt: now}

	if c.State == StateError {
		reason := rejectReason(c)
		if reason == "" && ap.RejectReasonRequired {
			return refuse(fault.Errorf(fault.EINVALID, `A rejection needs a reason: send it as the output (a string, or {"reason": "…"}) or as the comment.`))
		}
		if err := w.tx.PutApprovalVote(w.ctx, v); err != nil {
			return nil, false, err
		}
		if reason == "" {
			reason = "Rejected by " + d.User
		}
		if err := accept("rejected: " + reason); err != nil {
			return nil, false, err
		}
		return a, false, w.decide(a, t, ex, StateError, reason, c)
	}

	// An approval: the first proposes the answer, the others confirm it.
	// An answer given is checked first, so that a mistake in it is named
	// field by field whoever sends it.
	prop := proposal(votes)
	if prop == nil || answerJSON != nil {
		schema, err := ap.AnswerSchema()
		if err != nil {
			return nil, false, err
		}
		if errs := schema.Validate(jsonvalue.Unordered(answer)); len(errs) > 0 {
			return refuse(schemaform.Err(errs))
		}
	}
	if prop == nil && answerJSON == nil {
		v.AnswerJSON = strPtr("{}")
	}
	if prop != nil && answerJSON != nil && *answerJSON != answerText(prop) {
		return refuse(fault.Errorf(fault.ECONFLICT, "A different answer is proposed: %s, by %s at %s UTC via %s. Approve it as it stands (send no output, or the same) or reject it.",
			answerText(prop), prop.User, prop.CreatedAt.Format(timeLayout), prop.Channel))
	}
	votes = append(votes, v)
	res := ap.tally(votes)
	if err := w.putRules(votes, v, res); err != nil {
		return nil, false, err
	}
	if !res.Met {
		if err := accept("approved; still needed: " + res.Describe()); err != nil {
			return nil, false, err
		}
		// The inbox says what is still missing, and it no longer waits
		// for the voter.
		if err := w.tx.PutApprovalEntry(w.ctx, ap.entry(a, votes, res)); err != nil {
			return nil, false, err
		}
		return a, false, w.voteCounted(a, rec.Channel, voteNote(c, "approved", res.Describe()))
	}
	if err := accept("approved; the rules are met"); err != nil {
		return nil, false, err
	}
	out, err := decode(answerText(proposal(votes)))
	if err != nil {
		return nil, false, err
	}
	return a, false, w.decide(a, t, ex, StateSuccess, approvedResult(ap, out, votes, res), c)
}

// override is an admin deciding an approval alone, with a reason.
func (w *work) override(a *ActionExecution, t *Task, ex *Execution, c Completion, ap *Approval, votes []*ApprovalVote,
	answer any, answerJSON *string, refuse func(error) (*ActionExecution, bool, error), accept func(string) error) (*ActionExecution, bool, error) {
	d := c.Decider
	if !d.Admin {
		return refuse(fault.Errorf(fault.EFORBIDDEN, "An override (deciding alone) needs the admin role."))
	}
	reason := strings.TrimSpace(c.Reason)
	if reason == "" {
		return refuse(fault.Errorf(fault.EINVALID, `An override needs a reason: say why in "reason".`))
	}
	v := &ApprovalVote{ActionExecutionID: a.ID, User: d.User, Approve: c.State == StateSuccess, Override: true, AnswerJSON: answerJSON,
		Comment: c.Comment, Channel: c.Via, Rule: -1, Groups: d.Groups, CreatedAt: w.e.now()}
	if c.State == StateSuccess {
		// Without an answer of its own, an override approves what was
		// proposed, as confirming approvers do.
		if p := proposal(votes); answer == nil && p != nil && p.AnswerJSON != nil {
			out, err := decode(*p.AnswerJSON)
			if err != nil {
				return nil, false, err
			}
			answer, v.AnswerJSON = out, p.AnswerJSON
		}
		schema, err := ap.AnswerSchema()
		if err != nil {
			return nil, false, err
		}
		if errs := schema.Validate(jsonvalue.Unordered(answer)); len(errs) > 0 {
			return refuse(schemaform.Err(errs))
		}
		if answer == nil {
			answer, v.AnswerJSON = map[string]any{}, strPtr("{}")
		}
	}
	if err := w.tx.PutApprovalVote(w.ctx, v); err != nil {
		return nil, false, err
	}
	if err := accept(reason); err != nil {
		return nil, false, err
	}
	if c.State == StateError {
		why := rejectReason(c)
		if why == "" {
			why = reason
		}
		return a, false, w.decide(a, t, ex, StateError, why, c)
	}
	kept := votes[:0:0]
	for _, o := range votes {
		if o.User != v.User {
			kept = append(kept, o)
		}
	}
	kept = append(kept, v)
	res := ap.tally(kept)
	return a, false, w.decide(a, t, ex, StateSuccess, approvedResult(ap, answer, kept, res), c)
}

// decide completes an approval with result (the approval's result, or a
// rejection's reason), then moves its task on, as any completion does.
func (w *work) decide(a *ActionExecution, t *Task, ex *Execution, state State, result any, c Completion) error {
	if err := w.decidedEvent(a, ex, state, c); err != nil {
		return err
	}
	done := Completion{State: state, Output: result, HasOutput: true}
	outJSON, err := encode(map[string]any{"result": result})
	if err != nil {
		return err
	}
	if state == StateSuccess {
		// An ad-hoc action built on std.approval transforms the result
		// as it would any of its base's.
		if outJSON, done, err = w.adhocOutput(a, done, outJSON); err != nil {
			return err
		}
	}
	return w.completeActionIn(a, t, ex, done.State, outJSON, c.Via, c.note())
}

// decidedEvent tells the approval's channels how it was decided
// (approval.decided).
func (w *work) decidedEvent(a *ActionExecution, ex *Execution, state State, c Completion) error {
	ap, err := ParseApproval(*a.ApprovalJSON)
	if err != nil {
		return err
	}
	if _, err := w.withLadder(a, ap); err != nil {
		return err
	}
	n := &approvalNotice{Event: ApprovalDecided, Action: a, Request: ap, Exec: ex, State: state, Via: c.Via}
	if c.Decider != nil {
		n.By = c.Decider.User
	}
	return w.approvalEvent(n)
}

// voteCounted records a vote that left the approval waiting: the action is
// touched (a guarded write, so that a racing decision makes one of the two
// start over) and its timeline says who voted and what is still missing.
func (w *work) voteCounted(a *ActionExecution, via, note string) error {
	a.UpdatedAt = w.e.now()
	if err := w.writeAction(a, a.State); err != nil {
		return err
	}
	var exID string
	if a.WorkflowExecutionID != nil {
		exID = *a.WorkflowExecutionID
	}
	w.publish(Event{Kind: "action_execution", ID: a.ID, State: a.State, Async: a.Async, ExecutionID: exID, Via: via, Note: note, Approval: true})
	return nil
}

// putRules records the new vote, and the rule each earlier approval now
// counts for when the matching moved it.
func (w *work) putRules(votes []*ApprovalVote, added *ApprovalVote, res quorum.Result) error {
	for _, v := range votes {
		rule := -1
		if r, ok := res.Assignment[v.User]; ok && v.Approve && !v.Override {
			rule = r
		}
		if v != added && v.Rule == rule {
			continue
		}
		v.Rule = rule
		if err := w.tx.PutApprovalVote(w.ctx, v); err != nil {
			return err
		}
	}
	return nil
}

// sameVote reports whether c repeats the vote v: the same decision, the
// same kind (override or not), and no output or the same one.
func sameVote(v *ApprovalVote, c Completion) bool {
	if v.Approve != (c.State == StateSuccess) || v.Override != c.Override {
		return false
	}
	if !c.HasOutput || !v.Approve {
		return true
	}
	text, err := jsonvalue.Canonical(c.Output)
	return err == nil && v.AnswerJSON != nil && *v.AnswerJSON == string(text)
}

// proposal is the first approval: its answer is the one the others
// confirm. nil before any.
func proposal(votes []*ApprovalVote) *ApprovalVote {
	for _, v := range votes {
		if v.Approve && !v.Override {
			return v
		}
	}
	return nil
}

// answerText is a vote's answer as canonical JSON ({} for none).
func answerText(v *ApprovalVote) string {
	if v.AnswerJSON == nil {
		return "{}"
	}
	return *v.AnswerJSON
}

// approvals are the voters who approved, as quorum counts them.
func approvals(votes []*ApprovalVote) []quorum.Voter {
	out := make([]quorum.Voter, 0, len(votes))
	for _, v := range votes {
		if v.Approve && !v.Override {
			out = append(out, quorum.Voter{User: v.User, Groups: v.Groups})
		}
	}
	return out
}

// rejectReason is why a rejection rejects: the output if a string, else
// the output's "reason", else the comment.
func rejectReason(c Completion) string {
	if s, ok := c.Output.(string); ok && strings.TrimSpace(s) != "" {
		return strings.TrimSpace(s)
	}
	if m, ok := mapOf(c.Output); ok {
		if s, ok := m["reason"].(string); ok && strings.TrimSpace(s) != "" {
			return strings.TrimSpace(s)
		}
	}
	return strings.TrimSpace(c.Comment)
}

// approvedResult is the result of an approval whose rules are met:
// {approved: true, output, votes: [{user, rule, comment, channel, at}]}.
func approvedResult(ap *Approval, output any, votes []*ApprovalVote, res quorum.Result) map[string]any {
	list := make([]any, 0, len(votes))
	for _, v := range votes {
		if !v.Approve {
			continue
		}
		var rule any
		switch r, ok := res.Assignment[v.User]; {
		case v.Override:
			rule = "override"
		case ok && r < len(ap.Rules):
			rule = ruleLabel(ap.Rules[r])
		}
		list = append(list, map[string]any{"user": v.User, "rule": rule, "comment": v.Comment, "channel": v.Channel,
			"at": v.CreatedAt.UTC().Format(timeLayout)})
	}
	if output == nil {
		output = map[string]any{}
	}
	return map[string]any{"approved": true, "output": output, "votes": list}
}

// ruleLabel names a rule in a result: group:<name>, user:<name>, or
// "any" for a rule that counts anyone among the approvers.
func ruleLabel(r quorum.Rule) string {
	switch {
	case r.Group != "":
		return "group:" + r.Group
	case r.User != "":
		return "user:" + r.User
	}
	return "any"
}

func voteVerb(v *ApprovalVote) string {
	if v.Approve {
		return "approved"
	}
	return "rejected"
}

// voteNote is the timeline's note of a vote that did not decide.
func voteNote(c Completion, verb, missing string) string {
	note := verb
	if n := c.note(); n != "" {
		note += " (" + n + ")"
	}
	if missing != "" {
		note += "; still needed: " + missing
	}
	return note
}

// decided is the refusal of a vote on an approval already decided: what
// was decided, by whom, when and through what.
func (w *work) decided(a *ActionExecution, votes []*ApprovalVote) error {
	var by []string
	var last *ApprovalVote
	for _, v := range votes {
		if v.Approve == (a.State == StateSuccess) && (a.State == StateSuccess || a.State == StateError) {
			by = append(by, v.User)
			last = v
		}
	}
	if last == nil {
		return w.alreadyCompleted(a)
	}
	kind := "by " + strings.Join(by, ", ")
	if last.Override {
		kind = "by override of " + last.User
	}
	when := last.CreatedAt
	if a.CompletedAt != nil {
		when = *a.CompletedAt
	}
	return fault.Errorf(fault.ECONFLICT, "Approval %s is already decided: state %s was recorded at %s UTC via %s %s; it is not changed.",
		a.ID, a.State, when.Format(timeLayout), last.Channel, kind)
}

// note is how the timeline names a completion: Note, else Comment.
func (c Completion) note() string {
	if c.Note != "" {
		return c.Note
	}
	return c.Comment
}

// auditTimeout records that a task's timeout ended the wait of its
// running approvals.
func (w *work) auditTimeout(t *Task, info string) error {
	actions, err := w.tx.ActionExecutionsOf(w.ctx, t.ID)
	if err != nil {
		return err
	}
	for _, a := range actions {
		if a.ApprovalJSON == nil || a.State.Completed() {
			continue
		}
		rec := &AuditRecord{At: w.e.now(), Channel: AuditTimeout, Kind: AuditTimeout, ActionExecutionID: a.ID, State: StateError,
			Outcome: AuditAccepted, Reason: info}
		if ap, err := ParseApproval(*a.ApprovalJSON); err == nil {
			rec.ShownDigest = ap.ShownDigest()
		}
		if err := w.tx.AppendAudit(w.ctx, rec); err != nil {
			return fmt.Errorf("audit the timeout of %s: %w", a.ID, err)
		}
	}
	return nil
}
