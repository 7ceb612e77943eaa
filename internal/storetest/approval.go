package storetest

import (
	"context"
	"testing"

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
