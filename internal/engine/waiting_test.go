package engine_test

import (
	"context"
	"testing"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// TestApprovalWaiting: an approval waits for its deciders from the moment
// it starts (not for who asked or started it); a vote takes it out of the
// voter's "waiting for me", says what is still missing in every decider's
// inbox row, and is published as an approval's event, as are the start
// and the end; once decided it waits for nobody.
func TestApprovalWaiting(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, store string) {
		t.Parallel()
		ctx := context.Background()
		events := make(eventChan, 256)
		e := newEngineOn(t, store, engine.Config{Publisher: events})
		def := "version: '2.0'\nwf:\n  input: [who]\n  tasks:\n    ask:\n      action: std.approval\n      input:\n" + `        title: A VM for <% $.who %>
        requested_by: <% $.who %>
        approvers: [group:finance, group:security]
        required: [{group: finance, count: 2}, {group: security, count: 1}]
`
		if _, err := e.CreateWorkflows(ctx, nil, def, "", ""); err != nil {
			t.Fatal(err)
		}
		ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf", Input: map[string]any{"who": "olga"}, CreatedBy: "rita"})
		if err != nil {
			t.Fatal(err)
		}
		a := pendingAction(t, e, ex.ID, "ask")
		isApproval := func(state engine.State, via string) func(engine.Event) bool {
			return func(ev engine.Event) bool {
				return ev.Kind == "action_execution" && ev.ID == a.ID && ev.State == state && ev.Via == via
			}
		}
		if ev := events.next(t, isApproval(engine.StateRunning, "")); !ev.Approval {
			t.Errorf("the start of an approval is published as %+v, want Approval", ev)
		}
		viewer := func(name string) engine.Viewer {
			return engine.Viewer{User: name, Groups: people[name].Groups}
		}
		waiting := func(name string) int {
			t.Helper()
			n, capped, err := e.WaitingCount(ctx, viewer(name))
			if err != nil || capped {
				t.Fatalf("WaitingCount(%s): %d, %v, %v", name, n, capped, err)
			}
			return n
		}
		row := func(name string) *engine.InboxApproval {
			t.Helper()
			v := viewer(name)
			p, err := e.Inbox(ctx, engine.InboxQuery{Viewer: &v, ID: a.ID})
			if err != nil || len(p.Items) != 1 || p.Items[0].Approval == nil {
				t.Fatalf("the inbox row of %s for %s: %+v, %v", a.ID, name, p, err)
			}
			return p.Items[0].Approval
		}
		for name, want := range map[string]int{"bob": 1, "ann": 1, "sec": 1, "olga": 0, "rita": 0} {
			if got := waiting(name); got != want {
				t.Errorf("waiting for %s: %d, want %d", name, got, want)
			}
		}
		if got, want := *row("bob"), (engine.InboxApproval{Title: "A VM for olga", RequestedBy: "olga",
			Missing: "2 more from finance and 1 more from security", MayDecide: true}); got != want {
			t.Errorf("bob's row: %+v, want %+v", got, want)
		}

		if _, _, err := e.DeliverResult(ctx, a.ID, step{who: "bob", state: approve, output: noOutput}.completion()); err != nil {
			t.Fatal(err)
		}
		if ev := events.next(t, isApproval(engine.StateRunning, engine.ViaAPI)); !ev.Approval {
			t.Errorf("bob's vote is published as %+v, want Approval", ev)
		}
		if n := waiting("bob"); n != 0 {
			t.Errorf("after his vote %d approvals wait for bob", n)
		}
		if r := row("bob"); r.MayDecide {
			t.Error("bob's row says it waits for him after his vote")
		}
		if r := row("sec"); !r.MayDecide || r.Missing != "1 more from finance and 1 more from security" {
			t.Errorf("sec's row after bob's vote: %+v", r)
		}

		for _, who := range []string{"ann", "sec"} {
			if _, _, err := e.DeliverResult(ctx, a.ID, step{who: who, state: approve, output: noOutput}.completion()); err != nil {
				t.Fatal(err)
			}
		}
		if ev := events.next(t, isApproval(engine.StateSuccess, engine.ViaAPI)); !ev.Approval {
			t.Errorf("the decision is published as %+v, want Approval", ev)
		}
		for _, name := range []string{"bob", "ann", "sec", "olga"} {
			if n := waiting(name); n != 0 {
				t.Errorf("after the decision %d approvals wait for %s", n, name)
			}
		}

		// Run alone, an approval waits for anyone with the approver role but
		// who ran it.
		run, err := e.RunAction(ctx, engine.RunRequest{Name: "approval", Input: map[string]any{"title": "Ad hoc"}, CreatedBy: "bob"})
		if err != nil {
			t.Fatal(err)
		}
		if n, m := waiting("olga"), waiting("bob"); n != 1 || m != 0 {
			t.Errorf("an ad-hoc approval run by bob waits for olga %d time(s), for bob %d; want 1 and 0", n, m)
		}
		if _, _, err := e.DeliverResult(ctx, run.ID, step{who: "root", state: reject, comment: "no", override: true, reason: "test"}.completion()); err != nil {
			t.Fatal(err)
		}
		if n := waiting("olga"); n != 0 {
			t.Errorf("after the override %d approvals wait for olga", n)
		}
	})
}
