package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// testLadderRecords: the rungs of an approval's timeout ladder are audit
// records of their own kinds (reminder, escalation): the store keeps them
// in the chain, reads them back with the approval's records, and filters
// the trail by them. Its rungs to come are jobs of kind approval_rung.
func testLadderRecords(t *testing.T, h Harness) {
	s, _ := h.Open(t)
	ctx := context.Background()
	kinds := []string{engine.AuditReminder, engine.AuditEscalation, engine.AuditTimeout}
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		for i, k := range kinds {
			r := &engine.AuditRecord{At: t0.Add(time.Duration(i) * time.Hour), Channel: engine.ViaTimeout, Kind: k,
				ActionExecutionID: "ap", Outcome: engine.AuditAccepted, Reason: k + " rung"}
			if err := tx.AppendAudit(ctx, r); err != nil {
				return err
			}
		}
		return tx.AddJob(ctx, &engine.Job{Kind: engine.JobApprovalRung, Ref: "ap", DueAt: t0.Add(5 * time.Hour)})
	})
	recs, err := s.AuditRecords(ctx, "ap")
	if err != nil || len(recs) != len(kinds) {
		t.Fatalf("records of the approval: %d (%v), want %d", len(recs), err, len(kinds))
	}
	for i, r := range recs {
		if r.Kind != kinds[i] || r.Channel != engine.ViaTimeout || r.Reason != kinds[i]+" rung" || !r.At.Equal(t0.Add(time.Duration(i)*time.Hour)) {
			t.Errorf("record %d: %+v", i, r)
		}
	}
	for _, k := range kinds[:2] {
		got, err := s.ListAudit(ctx, engine.AuditQuery{Kind: k})
		if err != nil || len(got) != 1 || got[0].Kind != k {
			t.Errorf("the trail filtered by %s: %v (%v)", k, got, err)
		}
	}
	verifyTrail(t, s)
	if due, ok, err := s.NextJobDue(ctx); err != nil || !ok || !due.Equal(t0.Add(5*time.Hour)) {
		t.Errorf("the rung's job: due %v %v (%v)", due, ok, err)
	}
}
