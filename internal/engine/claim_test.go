package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// TestClaims: an approver claims an approval ("ann is handling this");
// another's claim is refused naming her while hers holds, yet he may
// still decide it (a soft lock); she renews it; it expires after
// ClaimTTL on the engine's clock, and then anyone may claim; only the
// holder or an admin releases a live claim; a decided approval is not
// claimed. On both stores.
func TestClaims(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, store string) {
		t.Parallel()
		ctx := context.Background()
		clock := &manualClock{now: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)}
		e := newEngineOn(t, store, engine.Config{Clock: clock})
		def := "version: '2.0'\nwf:\n  tasks:\n    a:\n      action: std.approval\n      input: {title: A}\n    b:\n      action: std.approval\n      input: {title: B}\n"
		if _, err := e.CreateWorkflows(ctx, nil, def, "", ""); err != nil {
			t.Fatal(err)
		}
		ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf", CreatedBy: "rita"})
		if err != nil {
			t.Fatal(err)
		}
		settle(t, e, ex.ID, "a")
		settle(t, e, ex.ID, "b")
		a, b := pendingAction(t, e, ex.ID, "a").ID, pendingAction(t, e, ex.ID, "b").ID
		ann := engine.Claimant{User: "ann", MayDecide: true}
		bob := engine.Claimant{User: "bob", MayDecide: true}

		c, err := e.ClaimApproval(ctx, a, ann)
		if err != nil || c.User != "ann" || !c.ExpiresAt.Equal(clock.Now().Add(engine.ClaimTTL)) {
			t.Fatalf("ann claims: %+v %v", c, err)
		}
		if _, err := e.ClaimApproval(ctx, a, bob); fault.Code(err) != fault.ECONFLICT || !strings.Contains(fault.Message(err), "ann is handling this") {
			t.Errorf("bob claims ann's: %v, want a conflict naming ann", err)
		}
		if _, err := e.ClaimApproval(ctx, a, engine.Claimant{User: "vera"}); err != engine.ErrClaimNeedsPerson {
			t.Errorf("a viewer claims: %v", err)
		}
		if err := e.ReleaseApproval(ctx, a, bob); fault.Code(err) != fault.EFORBIDDEN {
			t.Errorf("bob releases ann's claim: %v, want EFORBIDDEN", err)
		}
		got, err := e.Claims(ctx, []string{a, b})
		if err != nil || len(got) != 1 || got[a].User != "ann" {
			t.Fatalf("claims: %v %v", got, err)
		}
		// She renews it later: it lasts ClaimTTL from then.
		clock.advance(20 * time.Minute)
		if c, err = e.ClaimApproval(ctx, a, ann); err != nil || !c.ExpiresAt.Equal(clock.Now().Add(engine.ClaimTTL)) || c.Version != 1 {
			t.Fatalf("ann renews: %+v %v", c, err)
		}
		// Past it, the claim is gone and bob may take it.
		clock.advance(engine.ClaimTTL)
		if got, _ := e.Claims(ctx, []string{a}); len(got) != 0 {
			t.Errorf("claims after they expired: %v", got)
		}
		if c, err = e.ClaimApproval(ctx, a, bob); err != nil || c.User != "bob" {
			t.Fatalf("bob claims the expired claim: %+v %v", c, err)
		}
		// An admin releases anyone's; the holder his own.
		if err := e.ReleaseApproval(ctx, a, engine.Claimant{Admin: true}); err != nil {
			t.Errorf("an admin releases bob's claim: %v", err)
		}
		if got, _ := e.Claims(ctx, []string{a}); len(got) != 0 {
			t.Errorf("claims after the release: %v", got)
		}
		if err := e.ReleaseApproval(ctx, a, bob); err != nil {
			t.Errorf("releasing no claim: %v, want nil", err)
		}
		// A soft lock: ann's claim on b stops nobody from deciding it.
		if _, err := e.ClaimApproval(ctx, b, ann); err != nil {
			t.Fatal(err)
		}
		olga := *people["olga"]
		if done, err := e.UpdateActionExecution(ctx, b, engine.Completion{State: engine.StateSuccess, Decider: &olga}); err != nil || done.State != engine.StateSuccess {
			t.Fatalf("olga decides ann's claimed approval: %v %v", done, err)
		}
		if _, err := e.ClaimApproval(ctx, b, ann); fault.Code(err) != fault.ECONFLICT || !strings.Contains(fault.Message(err), "decided already") {
			t.Errorf("claiming a decided approval: %v", err)
		}
		// The timeline says who claimed.
		evs, err := e.Timeline(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		var notes []string
		for _, ev := range evs {
			notes = append(notes, ev.Note)
		}
		if all := strings.Join(notes, "|"); !strings.Contains(all, "claimed by ann") || !strings.Contains(all, "claim of bob released by an admin") {
			t.Errorf("timeline notes %q", all)
		}
	})
}
