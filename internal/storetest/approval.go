package storetest

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// testCreatedBy: who started an execution is stored with it, read back by
// Get and List (and filtered on), and an update of the execution leaves
// it as it was.
func testCreatedBy(t *testing.T, h Harness) {
	s, _ := h.Open(t)
	ctx := context.Background()
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		ex := execution("ex", t0)
		ex.CreatedBy = "alice"
		if err := tx.CreateExecution(ctx, ex); err != nil {
			return err
		}
		return tx.CreateExecution(ctx, execution("anon", t0.Add(1)))
	})
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		ex, err := tx.GetExecution(ctx, "ex")
		if err != nil {
			return err
		}
		ex.CreatedBy, ex.State = "mallory", engine.StateSuccess
		return tx.UpdateExecution(ctx, ex)
	})
	ex, err := s.GetExecution(ctx, "ex")
	if err != nil || ex.CreatedBy != "alice" || ex.State != engine.StateSuccess {
		t.Errorf("GetExecution(ex): created by %q, state %s (%v); want alice, SUCCESS", ex.CreatedBy, ex.State, err)
	}
	if anon, err := s.GetExecution(ctx, "anon"); err != nil || anon.CreatedBy != "" {
		t.Errorf("GetExecution(anon): created by %q (%v), want \"\"", anon.CreatedBy, err)
	}
	list, err := s.ListExecutions(ctx, engine.ListQuery{Filters: []engine.Filter{{Field: "created_by", Op: engine.OpEq, Values: []string{"alice"}}}})
	if err != nil || len(list) != 1 || list[0].ID != "ex" || list[0].CreatedBy != "alice" {
		t.Errorf("executions created by alice: %+v, %v; want ex", list, err)
	}
}

// testApprovalVotes: votes come back in the order first cast, with every
// field; putting a person's vote again replaces it in place; an action's
// approval request is stored with it; deleting the execution takes its
// votes.
func testApprovalVotes(t *testing.T, h Harness) {
	s, _ := h.Open(t)
	seed(t, s, 2) // a00 SUCCESS, a01 RUNNING
	ctx := context.Background()
	request := `{"title": "A VM", "approvers": ["group:ops"]}`
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		return tx.CreateActionExecution(ctx, &engine.ActionExecution{ID: "ap", Name: "std.approval", TaskExecutionID: strp("task"),
			WorkflowExecutionID: strp("ex"), State: engine.StateRunning, ProjectID: "p", InputJSON: "{}", Async: true,
			ApprovalJSON: &request, CreatedAt: t0, UpdatedAt: t0})
	})
	if a, err := s.GetActionExecution(ctx, "ap"); err != nil || a.ApprovalJSON == nil || *a.ApprovalJSON != request {
		t.Errorf("the approval request read back: %v (%v), want %s", a.ApprovalJSON, err, request)
	}
	if a, err := s.GetActionExecution(ctx, "a01"); err != nil || a.ApprovalJSON != nil {
		t.Errorf("another action's approval request: %v (%v), want nil", a.ApprovalJSON, err)
	}
	answer := `{"cores":4}`
	bob := &engine.ApprovalVote{ActionExecutionID: "ap", User: "bob", Approve: true, AnswerJSON: &answer, Comment: "ok",
		Channel: "api", Rule: 1, Groups: []string{"ops", "finance"}, CreatedAt: t0.Add(time.Second)}
	ann := &engine.ApprovalVote{ActionExecutionID: "ap", User: "ann", Approve: false, Comment: "too big",
		Channel: "dashboard", Rule: -1, CreatedAt: t0.Add(2 * time.Second)}
	other := &engine.ApprovalVote{ActionExecutionID: "a01", User: "bob", Approve: true, Channel: "cli", Rule: 0, CreatedAt: t0}
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		for _, v := range []*engine.ApprovalVote{bob, ann, other} {
			if err := tx.PutApprovalVote(ctx, v); err != nil {
				return err
			}
		}
		return nil
	})
	votes, err := s.ApprovalVotes(ctx, "ap")
	if err != nil || len(votes) != 2 {
		t.Fatalf("ApprovalVotes(ap) = %d votes, %v; want 2", len(votes), err)
	}
	if !reflect.DeepEqual(votes[0], bob) || !reflect.DeepEqual(votes[1], ann) {
		t.Errorf("votes read back:\n%+v\n%+v\nwant\n%+v\n%+v", votes[0], votes[1], bob, ann)
	}
	// bob's vote replaced (an override): same place, new content.
	reason := `"no"`
	over := &engine.ApprovalVote{ActionExecutionID: "ap", User: "bob", Approve: false, Override: true, AnswerJSON: &reason,
		Channel: "cli", Rule: -1, CreatedAt: t0.Add(3 * time.Second)}
	update(t, s, func(ctx context.Context, tx engine.Tx) error { return tx.PutApprovalVote(ctx, over) })
	votes, err = s.ApprovalVotes(ctx, "ap")
	if err != nil || len(votes) != 2 || !reflect.DeepEqual(votes[0], over) || votes[1].User != "ann" {
		t.Errorf("after replacing bob's vote: %+v, %v", votes, err)
	}
	if none, err := s.ApprovalVotes(ctx, "nope"); err != nil || len(none) != 0 {
		t.Errorf("votes of an unknown action: %v, %v; want none", none, err)
	}
	update(t, s, func(ctx context.Context, tx engine.Tx) error { return tx.DeleteExecution(ctx, "ex") })
	if left, err := s.ApprovalVotes(ctx, "ap"); err != nil || len(left) != 0 {
		t.Errorf("votes after deleting their execution: %+v, %v", left, err)
	}
}

// testAudit: records are appended in order with seqs from 1, read back
// whole, per action or all together, and outlive the execution they are
// about. A record appended by an update that fails is not kept.
func testAudit(t *testing.T, h Harness) {
	s, _ := h.Open(t)
	seed(t, s, 1)
	ctx := context.Background()
	first := &engine.AuditRecord{At: t0, Actor: "ann", Channel: "dashboard", Addr: "192.0.2.1", Kind: engine.AuditDecision,
		ActionExecutionID: "a00", State: engine.StateSuccess, Outcome: engine.AuditRefused, Reason: "You started this execution",
		Comment: "mine", AnswerJSON: `{"cores":4}`, Groups: []string{"ops"}, ShownDigest: strings.Repeat("ab", 32)}
	second := &engine.AuditRecord{At: t0.Add(time.Second), Actor: "", Channel: "api", Kind: engine.AuditOverride,
		ActionExecutionID: "a00", State: engine.StateError, Outcome: engine.AuditAccepted, Reason: "broken"}
	elsewhere := &engine.AuditRecord{At: t0, Actor: "root", Channel: "cli", Kind: engine.AuditAdmin, Outcome: engine.AuditAccepted}
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		for _, r := range []*engine.AuditRecord{first, second, elsewhere} {
			if err := tx.AppendAudit(ctx, r); err != nil {
				return err
			}
		}
		return nil
	})
	if first.Seq != 1 || second.Seq != 2 || elsewhere.Seq != 3 || second.Prev != first.Hash || elsewhere.Prev != second.Hash {
		t.Errorf("seqs %d, %d, %d: want 1, 2, 3, each naming the hash before it", first.Seq, second.Seq, elsewhere.Seq)
	}
	err := s.Update(ctx, func(tx engine.Tx) error {
		if err := tx.AppendAudit(ctx, &engine.AuditRecord{At: t0, Actor: "ghost", Channel: "api", Kind: engine.AuditDecision, Outcome: engine.AuditAccepted}); err != nil {
			return err
		}
		return errors.New("undo")
	})
	if err == nil {
		t.Fatal("the failing update succeeded")
	}
	update(t, s, func(ctx context.Context, tx engine.Tx) error { return tx.DeleteExecution(ctx, "ex") })
	got, err := s.AuditRecords(ctx, "a00")
	if err != nil || len(got) != 2 || !reflect.DeepEqual(got[0], first) || !reflect.DeepEqual(got[1], second) {
		t.Errorf("AuditRecords(a00) = %+v, %v;\nwant %+v and %+v", got, err, first, second)
	}
	all, err := s.AuditRecords(ctx, "")
	if err != nil || len(all) != 3 || all[2].Actor != "root" {
		t.Errorf("AuditRecords() = %d records, %v; want 3, the failed update's not among them", len(all), err)
	}
}

func strp(s string) *string { return &s }
