package engine_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/storetest"
)

// ladderStart is when the ladder tests' approvals are requested.
var ladderStart = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

// ladderRig is one approval with a ladder, on an engine whose worker does
// not run: the test moves the clock and runs what fell due (RunDueJobs).
type ladderRig struct {
	t     *testing.T
	e     *engine.Engine
	clock *manualClock
	exID  string
	a     *engine.ActionExecution
}

// newLadder starts, as rita, a workflow whose task ask is std.approval
// with input (YAML, indented for the task) and whose error goes to a
// task handled.
func newLadder(t *testing.T, store, input string) *ladderRig {
	t.Helper()
	ctx := context.Background()
	var st engine.Store
	for _, s := range stores {
		if s.name == store {
			st = s.open(t)
		}
	}
	clock := &manualClock{now: ladderStart}
	e := engine.New(engine.Config{Store: storetest.CheckLocks(t, st), Clock: clock, BaseURL: "http://sirocco.test"})
	def := "version: '2.0'\nwf:\n  tasks:\n    ask:\n      action: std.approval\n      on-error: handled\n      input:\n" + input +
		"    handled:\n      action: std.noop\n"
	if _, err := e.CreateWorkflows(ctx, nil, def, "", ""); err != nil {
		t.Fatalf("create workflow: %v\n%s", err, def)
	}
	ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf", CreatedBy: "rita"})
	if err != nil {
		t.Fatal(err)
	}
	r := &ladderRig{t: t, e: e, clock: clock, exID: ex.ID}
	r.at(0)
	if r.a = pendingAction(t, e, ex.ID, "ask"); r.a == nil {
		t.Fatal("no pending approval")
	}
	return r
}

// at moves the clock to d after the request and runs the jobs due; it
// returns how many ran.
func (r *ladderRig) at(d time.Duration) int {
	r.t.Helper()
	r.clock.mu.Lock()
	r.clock.now = ladderStart.Add(d)
	r.clock.mu.Unlock()
	n, err := engine.RunDueJobs(context.Background(), r.e)
	if err != nil {
		r.t.Fatalf("at +%s: %v", d, err)
	}
	return n
}

// rungs lists the ladder's audit records as "kind@+offset", oldest first.
func (r *ladderRig) rungs() []string {
	r.t.Helper()
	recs, err := r.e.AuditRecords(context.Background(), r.a.ID)
	if err != nil {
		r.t.Fatal(err)
	}
	var out []string
	for _, rec := range recs {
		switch rec.Kind {
		case engine.AuditReminder, engine.AuditEscalation, engine.AuditTimeout:
			if rec.Channel != engine.ViaTimeout || rec.Outcome != engine.AuditAccepted {
				r.t.Errorf("rung record %+v: want channel timeout, accepted", rec)
			}
			out = append(out, fmt.Sprintf("%s@+%s", rec.Kind, rec.At.Sub(ladderStart)))
		}
	}
	return out
}

// vote sends who's vote on the approval, through the engine path every
// channel uses.
func (r *ladderRig) vote(who string, state engine.State, output any) error {
	r.t.Helper()
	_, _, err := r.e.DeliverResult(context.Background(), r.a.ID, step{who: who, state: state, output: output, comment: "because"}.completion())
	return err
}

func (r *ladderRig) status() *engine.ApprovalStatus {
	r.t.Helper()
	st, err := r.e.ApprovalStatus(context.Background(), r.a.ID)
	if err != nil {
		r.t.Fatal(err)
	}
	return st
}

func (r *ladderRig) action() *engine.ActionExecution {
	r.t.Helper()
	a, err := r.e.GetActionExecution(context.Background(), r.a.ID)
	if err != nil {
		r.t.Fatal(err)
	}
	return a
}

// TestLadderReminders: reminders go out at remind_after, then every
// remind_every after the one before, remind_max in all; each is an audit
// record and a timeline entry, and nothing fires early or twice.
func TestLadderReminders(t *testing.T) {
	t.Parallel()
	r := newLadder(t, "sqlite", `        title: Reminded
        approvers: [group:finance]
        remind_after: 30m
        remind_every: 1h
        remind_max: 3
`)
	st := r.status()
	if st.Ladder == nil || len(st.Ladder.Next) != 3 || st.Ladder.Next[0].At != ladderStart.Add(30*time.Minute) ||
		st.Ladder.Next[2].At != ladderStart.Add(150*time.Minute) || st.Ladder.Next[2].Note != "reminder 3 of 3" {
		t.Fatalf("ladder at the start: %+v", st.Ladder)
	}
	for _, c := range []struct {
		at   time.Duration
		want []string
	}{
		{29*time.Minute + 59*time.Second, nil},
		{30 * time.Minute, []string{"reminder@+30m0s"}},
		{89 * time.Minute, []string{"reminder@+30m0s"}},
		{90 * time.Minute, []string{"reminder@+30m0s", "reminder@+1h30m0s"}},
		// Late (the worker was busy): the third goes out now, once.
		{5 * time.Hour, []string{"reminder@+30m0s", "reminder@+1h30m0s", "reminder@+5h0m0s"}},
		{50 * time.Hour, []string{"reminder@+30m0s", "reminder@+1h30m0s", "reminder@+5h0m0s"}},
	} {
		r.at(c.at)
		if got := r.rungs(); !reflect.DeepEqual(got, c.want) {
			t.Errorf("at +%s: rungs %v, want %v", c.at, got, c.want)
		}
	}
	if a := r.action(); a.State != engine.StateRunning {
		t.Errorf("reminders decided the approval: %s", a.State)
	}
	st = r.status()
	if len(st.Ladder.Done) != 3 || len(st.Ladder.Next) != 0 || !strings.Contains(st.Ladder.Done[0].Note, "reminder 1 of 3 sent to group:finance") {
		t.Errorf("ladder at the end: %+v", st.Ladder)
	}
	events, err := r.e.Timeline(context.Background(), r.a.ID)
	if err != nil {
		t.Fatal(err)
	}
	var notes []string
	for _, ev := range events {
		if ev.Via == engine.ViaTimeout {
			notes = append(notes, ev.Note)
		}
	}
	if want := []string{"reminder 1 of 3", "reminder 2 of 3", "reminder 3 of 3"}; !reflect.DeepEqual(notes, want) {
		t.Errorf("timeline notes %v, want %v", notes, want)
	}
}

// TestLadderEscalation: at escalate_after the decision passes to
// escalate_to under escalate_required. Before it, the escalated approvers
// cannot decide; after it, the first ones cannot, their earlier votes are
// kept (and count only where the new rules admit the voter), and the
// inbox waits for the new ones.
func TestLadderEscalation(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, store string) {
		t.Parallel()
		r := newLadder(t, store, `        title: Escalated
        approvers: [group:finance]
        required: 2
        escalate_after: 4h
        escalate_to: [group:security]
        escalate_required: 1
`)
		if err := r.vote("sec", approve, noOutput); fault.Code(err) != fault.EFORBIDDEN {
			t.Fatalf("security before the escalation: %v, want forbidden", err)
		}
		if err := r.vote("bob", approve, noOutput); err != nil {
			t.Fatal(err)
		}
		if n := r.at(4*time.Hour - time.Second); n != 0 {
			t.Errorf("%d jobs ran before escalate_after", n)
		}
		r.at(4 * time.Hour)
		if got, want := r.rungs(), []string{"escalation@+4h0m0s"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("rungs %v, want %v", got, want)
		}
		st := r.status()
		if !st.Request.Escalated || !reflect.DeepEqual(st.Request.Approvers, []string{"group:security"}) || st.Tally.Met ||
			st.Tally.Describe() != "1 more approval" || len(st.Votes) != 1 || !st.Ladder.Escalated {
			t.Errorf("after the escalation: request %+v, tally %q, votes %d, ladder %+v", st.Request, st.Tally.Describe(), len(st.Votes), st.Ladder)
		}
		ctx := context.Background()
		for who, want := range map[string]int{"sec": 1, "rita": 0} {
			d := people[who]
			n, _, err := r.e.WaitingCount(ctx, engine.Viewer{User: d.User, Groups: d.Groups})
			if err != nil || n != want {
				t.Errorf("inbox of %s after the escalation: %d (%v), want %d", who, n, err, want)
			}
		}
		if err := r.vote("rita", approve, noOutput); fault.Code(err) != fault.EFORBIDDEN {
			t.Errorf("finance after the escalation: %v, want forbidden", err)
		}
		if err := r.vote("sec", approve, noOutput); err != nil {
			t.Fatal(err)
		}
		if a := r.action(); a.State != engine.StateSuccess {
			t.Fatalf("after security approved: %s", a.State)
		}
		if users := voteRules(t, r.action()); len(users) != 2 || users["sec"] != "any" {
			t.Errorf("votes in the result: %v (bob kept, sec counted)", users)
		}
	})
}

// TestLadderEscalationMetByEarlierVotes: earlier votes that the escalated
// rules admit and that meet them approve the approval at escalation.
func TestLadderEscalationMetByEarlierVotes(t *testing.T) {
	t.Parallel()
	r := newLadder(t, "sqlite", `        title: Escalated
        approvers: [group:finance]
        required: 2
        escalate_after: 1h
        escalate_to: [group:security]
`)
	if err := r.vote("ann", approve, noOutput); err != nil { // finance and security
		t.Fatal(err)
	}
	r.at(time.Hour)
	if a := r.action(); a.State != engine.StateSuccess || deref(a.CompletedVia) != engine.ViaTimeout {
		t.Errorf("after the escalation: %s via %s", a.State, deref(a.CompletedVia))
	}
}

// TestLadderTimeout: on_timeout decides an approval nobody decided, as a
// decision with channel timeout (the workflow goes on as after a person's
// decision); a vote after it is refused, naming the timeout; the ladder
// ends.
func TestLadderTimeout(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, input string
		state       engine.State
		result      string
		exState     engine.State
	}{
		{"error", `        on_timeout: {state: ERROR, output: nobody decided}
`, engine.StateError, `{"result": "nobody decided"}`, engine.StateSuccess},
		{"success", `        schema: {type: object, properties: {size: {type: integer}}}
        on_timeout: {state: SUCCESS, output: {size: 1}}
`, engine.StateSuccess, `"output": {"size": 1}`, engine.StateSuccess},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := newLadder(t, "sqlite", `        title: Times out
        remind_every: 1h
        remind_max: 5
        timeout: 2h30m
`+c.input)
			for _, d := range []time.Duration{time.Hour, 2 * time.Hour, 2*time.Hour + 29*time.Minute} {
				r.at(d)
			}
			if a := r.action(); a.State != engine.StateRunning {
				t.Fatalf("before the timeout: %s", a.State)
			}
			r.at(2*time.Hour + 30*time.Minute)
			want := []string{"reminder@+1h0m0s", "reminder@+2h0m0s", "timeout@+2h30m0s"}
			if got := r.rungs(); !reflect.DeepEqual(got, want) {
				t.Errorf("rungs %v, want %v", got, want)
			}
			a := r.action()
			if a.State != c.state || deref(a.CompletedVia) != engine.ViaTimeout || !strings.Contains(deref(a.OutputJSON), c.result) {
				t.Errorf("action %s via %s, output %s; want %s with %s", a.State, deref(a.CompletedVia), deref(a.OutputJSON), c.state, c.result)
			}
			ex, err := r.e.GetExecution(context.Background(), r.exID)
			if err != nil || ex.State != c.exState {
				t.Errorf("execution %v (%v), want %s", ex.State, err, c.exState)
			}
			err = r.vote("bob", approve, noOutput)
			if fault.Code(err) != fault.ECONFLICT || !strings.Contains(fault.Message(err), "via timeout") {
				t.Errorf("a vote after the timeout: %v", err)
			}
			r.at(10 * time.Hour)
			if got := r.rungs(); !reflect.DeepEqual(got, want) {
				t.Errorf("rungs after the decision %v, want %v", got, want)
			}
		})
	}
}

// TestLadderTimeoutWithoutOnTimeout: a timeout without on_timeout decides
// nothing (the task's own timeout policy acts, as before): no job, no
// record, the approval waits.
func TestLadderTimeoutWithoutOnTimeout(t *testing.T) {
	t.Parallel()
	r := newLadder(t, "sqlite", `        title: Waits
        timeout: 1h
`)
	if n := r.at(48 * time.Hour); n != 0 {
		t.Errorf("%d jobs ran", n)
	}
	if a := r.action(); a.State != engine.StateRunning || len(r.rungs()) != 0 {
		t.Errorf("action %s, rungs %v", a.State, r.rungs())
	}
}

// TestLadderVoteFirst: a decision ends the ladder: the rungs due after it
// fire nothing.
func TestLadderVoteFirst(t *testing.T) {
	t.Parallel()
	r := newLadder(t, "sqlite", `        title: Decided
        remind_after: 1h
        escalate_after: 2h
        escalate_to: [user:sec]
        timeout: 3h
        on_timeout: {state: ERROR}
`)
	if err := r.vote("bob", approve, noOutput); err != nil {
		t.Fatal(err)
	}
	r.at(24 * time.Hour)
	if got := r.rungs(); len(got) != 0 {
		t.Errorf("rungs after the decision: %v", got)
	}
	if a := r.action(); a.State != engine.StateSuccess || deref(a.CompletedVia) != engine.ViaAPI {
		t.Errorf("action %s via %s", a.State, deref(a.CompletedVia))
	}
}

// TestLadderOutage: rungs that fell due while no worker ran fire once
// when one runs again: the timeout alone when it is due; otherwise each
// rung due once (the reminders do not catch up one by one).
func TestLadderOutage(t *testing.T) {
	t.Parallel()
	const ladder = `        title: Outage
        remind_after: 30m
        remind_every: 30m
        remind_max: 10
        escalate_after: 2h
        escalate_to: [user:sec]
        timeout: 3d
        on_timeout: {state: ERROR, output: too late}
`
	t.Run("before the timeout", func(t *testing.T) {
		t.Parallel()
		r := newLadder(t, "sqlite", ladder)
		r.at(26 * time.Hour)
		want := []string{"reminder@+26h0m0s", "escalation@+26h0m0s"}
		if got := r.rungs(); !reflect.DeepEqual(got, want) {
			t.Errorf("rungs %v, want %v", got, want)
		}
		if next := r.status().Ladder.Next; len(next) == 0 || next[0].Kind != engine.RungReminder || next[0].At != ladderStart.Add(26*time.Hour+30*time.Minute) {
			t.Errorf("next rungs %+v", next)
		}
	})
	t.Run("past the timeout", func(t *testing.T) {
		t.Parallel()
		r := newLadder(t, "sqlite", ladder)
		r.at(5 * 24 * time.Hour)
		if got, want := r.rungs(), []string{"timeout@+120h0m0s"}; !reflect.DeepEqual(got, want) {
			t.Errorf("rungs %v, want %v", got, want)
		}
		if a := r.action(); a.State != engine.StateError {
			t.Errorf("action %s", a.State)
		}
	})
}

// TestLadderVoteAndTimeoutRace: a vote and the timeout arriving together
// decide the approval once: either the vote (and the timeout fires
// nothing) or the timeout (and the vote is refused as too late), never
// both, on either store.
func TestLadderVoteAndTimeoutRace(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, store string) {
		t.Parallel()
		for i := range 8 {
			r := newLadder(t, store, `        title: Race
        timeout: 1h
        on_timeout: {state: ERROR, output: timed out}
`)
			r.clock.advance(time.Hour)
			var wg sync.WaitGroup
			var voteErr, jobErr error
			start := make(chan struct{})
			wg.Add(2)
			go func() {
				defer wg.Done()
				<-start
				_, _, voteErr = r.e.DeliverResult(context.Background(), r.a.ID, step{who: "bob", state: approve, output: noOutput}.completion())
			}()
			go func() { defer wg.Done(); <-start; _, jobErr = engine.RunDueJobs(context.Background(), r.e) }()
			close(start)
			wg.Wait()
			if jobErr != nil {
				t.Fatalf("round %d: rung: %v", i, jobErr)
			}
			recs, err := r.e.AuditRecords(context.Background(), r.a.ID)
			if err != nil {
				t.Fatal(err)
			}
			deciding := 0
			for _, rec := range recs {
				if rec.Outcome == engine.AuditAccepted && (rec.Kind == engine.AuditTimeout || rec.Kind == engine.AuditDecision) {
					deciding++
				}
			}
			a := r.action()
			switch {
			case deciding != 1:
				t.Errorf("round %d: %d accepted decisions, want 1", i, deciding)
			case a.State == engine.StateSuccess && voteErr != nil:
				t.Errorf("round %d: the vote decided but answered %v", i, voteErr)
			case a.State == engine.StateError && fault.Code(voteErr) != fault.ECONFLICT:
				t.Errorf("round %d: the timeout decided; the vote answered %v", i, voteErr)
			case a.State != engine.StateSuccess && a.State != engine.StateError:
				t.Errorf("round %d: action %s", i, a.State)
			}
		}
	})
}

// TestLadderChecked: the ladder's inputs are refused, with the field,
// when a workflow that writes them literally is created.
func TestLadderChecked(t *testing.T) {
	t.Parallel()
	e := newEngine(t, engine.Config{})
	for _, c := range []struct{ input, want string }{
		{"remind_after: soon", `remind_after: "soon" is not a duration`},
		{"escalate_after: 1h", "escalate_after needs escalate_to"},
		{"timeout: 1h\n        escalate_after: 2h\n        escalate_to: [user:sec]", "escalate_after must come before timeout"},
		{"schema: {type: object, required: [n]}\n        timeout: 1h\n        on_timeout: {state: SUCCESS, output: {}}", "on_timeout.output does not match the schema"},
	} {
		def := "version: '2.0'\nwf:\n  tasks:\n    ask:\n      action: std.approval\n      input:\n        title: T\n        " + c.input + "\n"
		_, err := e.CreateWorkflows(context.Background(), nil, def, "", "")
		if fault.Code(err) != fault.EINVALID || !strings.Contains(fault.Message(err), c.want) {
			t.Errorf("%q: %v, want %q", c.input, err, c.want)
		}
	}
}
