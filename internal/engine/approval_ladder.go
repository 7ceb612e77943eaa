package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/jsonvalue"
	"github.com/sirocco-project/sirocco/internal/quorum"
)

// The timeout ladder of an approval: reminders (remind_after,
// remind_every, remind_max), an escalation (escalate_after, escalate_to,
// escalate_required) and a timeout decision (timeout, on_timeout). Each
// rung that happened is an audit record about the approval, written in
// the transaction that acts on it; those records are the ladder's only
// state, so what the page shows, what the next rung is and who may decide
// are all read from the trail. The rung to come is one job row
// (JobApprovalRung, Ref the action execution): a pending approval with a
// ladder holds one row and no memory, and a restart loses nothing. A job
// that runs late (the server was down) fires what fell due once: the
// timeout alone if it is due, else the earliest rung due; later reminders
// count from when the last one went out, so an outage never makes a burst.

// JobApprovalRung fires the next rung of an approval's ladder; Ref is the
// action execution id.
const JobApprovalRung = "approval_rung"

// ViaTimeout is the channel of what the ladder does: its audit records
// and a decision by on_timeout.
const ViaTimeout = "timeout"

// Rung kinds (the audit records' kinds).
const (
	RungReminder   = AuditReminder
	RungEscalation = AuditEscalation
	RungTimeout    = AuditTimeout
)

// Rung is one step of a ladder: done (when it happened) or to come (when
// it is due).
type Rung struct {
	Kind string // RungReminder, RungEscalation or RungTimeout
	At   time.Time
	// Note says what it does or did: "reminder 2 of 3", "to group:leads
	// (1 required)", "decides ERROR".
	Note string
}

// Ladder is where an approval's timeout ladder stands.
type Ladder struct {
	// Done are the rungs that happened, oldest first.
	Done []Rung
	// Next are the rungs to come while nobody decides, earliest first;
	// empty once decided.
	Next []Rung
	// Escalated is set once the decision passed to EscalateTo.
	Escalated bool
}

// HasLadder reports whether the approval asks for any rung.
func (ap *Approval) HasLadder() bool {
	return ap.reminders() > 0 || ap.EscalateAfter > 0 || ap.Timeout > 0
}

// reminders is how many reminders the ladder sends at most: remind_max
// with remind_every, one with remind_after alone.
func (ap *Approval) reminders() int {
	switch {
	case ap.RemindEvery > 0:
		return ap.RemindMax
	case ap.RemindAfter > 0:
		return 1
	}
	return 0
}

// ladderState is what happened to a ladder, as its audit records say.
type ladderState struct {
	reminded     int
	lastReminder time.Time
	escalated    bool
	timedOut     bool
	done         []Rung
}

// readLadder reads the ladder's state from the audit records of its
// approval (oldest first). Refused records and other kinds are no rungs.
func readLadder(recs []*AuditRecord) ladderState {
	var st ladderState
	for _, r := range recs {
		if r.Outcome != AuditAccepted {
			continue
		}
		switch r.Kind {
		case AuditReminder:
			st.reminded++
			st.lastReminder = r.At
		case AuditEscalation:
			st.escalated = true
		case AuditTimeout:
			st.timedOut = true
		default:
			continue
		}
		st.done = append(st.done, Rung{Kind: r.Kind, At: r.At, Note: r.Reason})
	}
	return st
}

// plan lists the rungs to come of an approval created at created, given
// what happened (st), earliest first; at equal times the timeout comes
// first, then the escalation. Reminders due at or after the timeout are
// left out.
func (ap *Approval) plan(created time.Time, st ladderState) []Rung {
	if st.timedOut {
		return nil
	}
	var out []Rung
	var deadline time.Time
	if ap.OnTimeout != nil && ap.Timeout > 0 {
		deadline = created.Add(ap.Timeout)
		out = append(out, Rung{Kind: RungTimeout, At: deadline, Note: "decides " + string(ap.OnTimeout.State) + " (on_timeout)"})
	}
	if ap.EscalateAfter > 0 && !st.escalated {
		out = append(out, Rung{Kind: RungEscalation, At: created.Add(ap.EscalateAfter), Note: "to " + strings.Join(ap.EscalateTo, ", ") +
			" (" + rulesText(ap.EscalateRules) + "); earlier votes kept"})
	}
	total := ap.reminders()
	at := created.Add(cmp.Or(ap.RemindAfter, ap.RemindEvery))
	if st.reminded > 0 {
		at = st.lastReminder.Add(ap.RemindEvery)
	}
	for n := st.reminded + 1; n <= total; n++ {
		if !deadline.IsZero() && !at.Before(deadline) {
			break
		}
		out = append(out, Rung{Kind: RungReminder, At: at, Note: fmt.Sprintf("reminder %d of %d", n, total)})
		at = at.Add(ap.RemindEvery)
	}
	order := map[string]int{RungTimeout: 0, RungEscalation: 1, RungReminder: 2}
	slices.SortStableFunc(out, func(a, b Rung) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(order[a.Kind], order[b.Kind]))
	})
	return out
}

// due picks the rung to fire at now: the timeout if it is due (it ends
// the rest), else the earliest rung due. ok is false when none is due;
// next is then the earliest to come (ok false and next zero: none).
func due(plan []Rung, now time.Time) (r Rung, ok bool) {
	for _, p := range plan {
		if p.Kind == RungTimeout && !p.At.After(now) {
			return p, true
		}
	}
	if len(plan) > 0 && !plan[0].At.After(now) {
		return plan[0], true
	}
	return Rung{}, false
}

// rulesText says what rules ask for ("1 from anyone", "2 from leads").
func rulesText(rules []quorum.Rule) string {
	if len(rules) == 0 {
		rules = []quorum.Rule{{Count: 1}}
	}
	parts := make([]string, len(rules))
	for i, r := range rules {
		from := "any of them"
		switch {
		case r.Group != "":
			from = "group " + r.Group
		case r.User != "":
			from = "user " + r.User
		}
		parts[i] = fmt.Sprintf("%d required from %s", r.Count, from)
	}
	return strings.Join(parts, " and ")
}

// escalate makes the approval's rules the escalated ones: the decision
// passes to EscalateTo under EscalateRules. Earlier votes stay recorded;
// they count where the new rules admit their voters (tally).
func (ap *Approval) escalate() {
	ap.Escalated = true
	ap.Approvers, ap.Rules, ap.Required = ap.EscalateTo, ap.EscalateRules, ap.EscalateRequired
}

// tally counts the votes on the approval under its rules as they stand:
// after an escalation, only approvals by voters among EscalateTo count.
func (ap *Approval) tally(votes []*ApprovalVote) quorum.Result {
	voters := approvals(votes)
	if ap.Escalated {
		voters = slices.DeleteFunc(voters, func(v quorum.Voter) bool { return !named(ap.Approvers, v) })
	}
	return quorum.Tally(ap.Spec(), voters)
}

// named reports whether approvers entries name v (as user:, or a group v
// was in when voting).
func named(approvers []string, v quorum.Voter) bool {
	for _, a := range approvers {
		kind, name, _ := strings.Cut(a, ":")
		if (kind == "user" && name == v.User) || (kind == "group" && slices.Contains(v.Groups, name)) {
			return true
		}
	}
	return false
}

// withLadder applies what happened to approval a's ladder to its request
// (an escalation changes who decides), read in the current transaction,
// and returns the ladder's state. Approvals without an escalation rung
// read nothing.
func (w *work) withLadder(a *ActionExecution, ap *Approval) (ladderState, error) {
	if !ap.HasLadder() {
		return ladderState{}, nil
	}
	recs, err := w.tx.AuditRecords(w.ctx, a.ID)
	if err != nil {
		return ladderState{}, fmt.Errorf("approval %s: read its ladder: %w", a.ID, err)
	}
	st := readLadder(recs)
	if st.escalated {
		ap.escalate()
	}
	return st, nil
}

// scheduleLadder adds the job of the first rung of approval a, if it asks
// for any (at its start).
func (w *work) scheduleLadder(a *ActionExecution, ap *Approval) error {
	if plan := ap.plan(a.CreatedAt, ladderState{}); len(plan) > 0 {
		return w.addJob(JobApprovalRung, a.ID, plan[0].At)
	}
	return nil
}

// runRungJob fires the rung of j's approval that is due, in one
// transaction with the job's deletion, then adds the job of the next.
// Like a vote, it locks the approval's tree first: a vote and the
// timeout arriving together are serialised, and whichever comes second
// finds the approval decided. A guarded write lost to a writer outside
// the tree (an ad-hoc approval) starts it over.
func (e *Engine) runRungJob(ctx context.Context, j *Job) error {
	var err error
	for attempt := 0; attempt < 4; attempt++ {
		err = e.update(ctx, func(w *work) error { return w.fireRung(j) })
		if !errors.Is(err, fault.ErrConflict) || errors.Is(err, errJobLost) {
			break
		}
	}
	if errors.Is(err, errJobLost) {
		return fault.ErrConflict
	}
	return err
}

// errJobLost marks the deletion of a job whose lease another worker took:
// the job is not retried here.
var errJobLost = errors.New("the job's lease was lost")

func (w *work) fireRung(j *Job) error {
	if err := w.tx.DeleteJob(w.ctx, j.ID, w.e.owner); err != nil {
		if errors.Is(err, fault.ErrConflict) {
			return fmt.Errorf("%w: %w", errJobLost, err)
		}
		return err
	}
	rl, lockFirst := w.tx.(RootLocker)
	if lockFirst {
		if err := rl.LockRootOf(w.ctx, RootOfAction, j.Ref); err != nil {
			return err
		}
	}
	a, t, ex, err := w.tx.GetActionScope(w.ctx, j.Ref)
	if fault.Code(err) == fault.ENOTFOUND {
		return nil // deleted with its execution
	}
	if err != nil {
		return err
	}
	if ex != nil && !lockFirst {
		if err := w.tx.LockExecution(w.ctx, rootOf(ex)); err != nil {
			return err
		}
		if a, t, ex, err = w.tx.GetActionScope(w.ctx, j.Ref); err != nil {
			return err
		}
	}
	if a.ApprovalJSON == nil || a.State.Completed() {
		return nil // decided meanwhile: the ladder ends
	}
	ap, err := ParseApproval(*a.ApprovalJSON)
	if err != nil {
		return err
	}
	st, err := w.withLadder(a, ap)
	if err != nil {
		return err
	}
	now := w.e.now()
	plan := ap.plan(a.CreatedAt, st)
	r, ok := due(plan, now)
	if !ok {
		if len(plan) > 0 {
			return w.addJob(JobApprovalRung, a.ID, plan[0].At) // early: wait on
		}
		return nil
	}
	votes, err := w.tx.ApprovalVotes(w.ctx, a.ID)
	if err != nil {
		return err
	}
	rec := &AuditRecord{At: now, Channel: ViaTimeout, Kind: r.Kind, ActionExecutionID: a.ID, Outcome: AuditAccepted,
		ShownDigest: ap.ShownDigest()}
	switch r.Kind {
	case RungTimeout:
		return w.timeoutApproval(a, t, ex, ap, votes, rec)
	case RungEscalation:
		decided, err := w.escalateApproval(a, t, ex, ap, votes, rec, r)
		if err != nil || decided {
			return err
		}
		st.escalated = true
	case RungReminder:
		res := ap.tally(votes)
		rec.Reason = r.Note + " sent to " + strings.Join(deciders(ap), ", ")
		if m := res.Describe(); m != "" {
			rec.Reason += "; still needed: " + m
		}
		if err := w.tx.AppendAudit(w.ctx, rec); err != nil {
			return fmt.Errorf("audit the reminder of %s: %w", a.ID, err)
		}
		if err := w.approvalEvent(&approvalNotice{Event: ApprovalReminded, Action: a, Request: ap, Exec: ex}); err != nil {
			return err
		}
		if err := w.voteCounted(a, ViaTimeout, r.Note); err != nil {
			return err
		}
		st.reminded++
		st.lastReminder = now
	}
	if next := ap.plan(a.CreatedAt, st); len(next) > 0 {
		return w.addJob(JobApprovalRung, a.ID, next[0].At)
	}
	return nil
}

// deciders names who decides the approval as it stands.
func deciders(ap *Approval) []string {
	if len(ap.Approvers) == 0 {
		return []string{"anyone who may decide"}
	}
	return ap.Approvers
}

// escalateApproval passes the decision to EscalateTo: the inbox entry's
// deciders change, the new ones are told (approval.escalated). Earlier
// votes are kept; if those the new rules admit already meet them, the
// approval is approved at once with the answer proposed.
func (w *work) escalateApproval(a *ActionExecution, t *Task, ex *Execution, ap *Approval, votes []*ApprovalVote, rec *AuditRecord, r Rung) (bool, error) {
	from := strings.Join(deciders(ap), ", ")
	ap.escalate()
	res := ap.tally(votes)
	rec.Reason = fmt.Sprintf("escalated from %s to %s (%s); earlier votes kept: %d", from, strings.Join(ap.EscalateTo, ", "),
		rulesText(ap.EscalateRules), len(votes))
	if res.Met {
		rec.Reason += "; they meet the new rules"
	} else if m := res.Describe(); m != "" {
		rec.Reason += "; still needed: " + m
	}
	if err := w.tx.AppendAudit(w.ctx, rec); err != nil {
		return false, fmt.Errorf("audit the escalation of %s: %w", a.ID, err)
	}
	if err := w.approvalEvent(&approvalNotice{Event: ApprovalEscalated, Action: a, Request: ap, Exec: ex}); err != nil {
		return false, err
	}
	if res.Met {
		out, err := decode(answerText(proposal(votes)))
		if err != nil {
			return false, err
		}
		note := "escalated; the earlier votes meet the new rules"
		return true, w.decide(a, t, ex, StateSuccess, approvedResult(ap, out, votes, res), Completion{Via: ViaTimeout, Note: note})
	}
	if err := w.tx.PutApprovalEntry(w.ctx, ap.entry(a, votes, res)); err != nil {
		return false, err
	}
	return false, w.voteCounted(a, ViaTimeout, "escalated to "+strings.Join(ap.EscalateTo, ", "))
}

// timeoutApproval applies on_timeout as the approval's decision, through
// decide as every decision, with channel timeout.
func (w *work) timeoutApproval(a *ActionExecution, t *Task, ex *Execution, ap *Approval, votes []*ApprovalVote, rec *AuditRecord) error {
	ot := ap.OnTimeout
	rec.State = ot.State
	rec.Reason = fmt.Sprintf("no decision within %s: on_timeout decides %s", FormatLadderDuration(ap.Timeout), ot.State)
	if ot.Output != nil {
		text, err := jsonvalue.Canonical(ot.Output)
		if err != nil {
			return fault.Errorf(fault.EINVALID, "on_timeout.output cannot be encoded as JSON: %v", err)
		}
		rec.AnswerJSON = string(text)
	}
	if err := w.tx.AppendAudit(w.ctx, rec); err != nil {
		return fmt.Errorf("audit the timeout of %s: %w", a.ID, err)
	}
	c := Completion{Via: ViaTimeout, Note: "timed out after " + FormatLadderDuration(ap.Timeout) + " (on_timeout)"}
	if ot.State == StateError {
		var result any = ot.Output
		if result == nil {
			result = "No decision within " + FormatLadderDuration(ap.Timeout) + " (on_timeout)"
		}
		return w.decide(a, t, ex, StateError, result, c)
	}
	res := ap.tally(votes)
	result := approvedResult(ap, ot.Output, votes, res)
	result["timed_out"] = true
	return w.decide(a, t, ex, StateSuccess, result, c)
}

// FormatLadderDuration writes a ladder duration as its inputs do: "2d",
// "4h", "1h30m", "90s".
func FormatLadderDuration(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	var b strings.Builder
	for _, u := range []struct {
		d    time.Duration
		unit string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if n := d / u.d; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10) + u.unit)
			d -= n * u.d
		}
	}
	return b.String()
}

// ladderOf is the ladder of approval a as its records say, at now.
func (ap *Approval) ladderOf(a *ActionExecution, st ladderState) *Ladder {
	l := &Ladder{Done: st.done, Escalated: st.escalated}
	if !a.State.Completed() {
		l.Next = ap.plan(a.CreatedAt, st)
	}
	return l
}
