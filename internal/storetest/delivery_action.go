package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// testActionDeliveries: a delivery's action id reads back as written
// ("" for a workflow event); an action's list holds the deliveries about
// it, oldest first, those about no action ("") never; an approval's
// deliveries in a workflow go with the execution's tree.
func testActionDeliveries(t *testing.T, h Harness) {
	s, _ := h.Open(t)
	ctx := context.Background()
	mk := func(id, ex, action string, at time.Time) *engine.Delivery {
		return &engine.Delivery{ID: id, EventID: "ev-" + id, Event: engine.ApprovalRequested, ExecutionID: ex, RootExecutionID: ex,
			ActionID: action, URL: "https://hooks.example.com/" + id, HeadersJSON: "{}", Body: "{}", State: engine.DeliveryPending,
			CreatedAt: at, UpdatedAt: at}
	}
	list := []*engine.Delivery{
		mk("a2", "ex", "act", t0.Add(2*time.Second)), mk("a1", "ex", "act", t0.Add(time.Second)),
		mk("w1", "ex", "", t0), mk("o1", "", "other", t0),
	}
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		if err := tx.CreateExecution(ctx, execution("ex", t0)); err != nil {
			return err
		}
		for _, d := range list {
			if err := tx.AddDelivery(ctx, d); err != nil {
				return err
			}
		}
		return nil
	})
	ids := func(action string) []string {
		t.Helper()
		got, err := s.ActionDeliveries(ctx, action)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, d := range got {
			if d.ActionID != action {
				t.Errorf("delivery %s of action %q reads back with action %q", d.ID, action, d.ActionID)
			}
			out = append(out, d.ID)
		}
		return out
	}
	if got := ids("act"); !equal(got, []string{"a1", "a2"}) {
		t.Errorf("deliveries of act = %v; want [a1 a2] (oldest first, its own only)", got)
	}
	if got := ids(""); len(got) != 0 {
		t.Errorf("deliveries of no action = %v; want none", got)
	}
	if d, err := s.GetDelivery(ctx, "w1"); err != nil || d.ActionID != "" {
		t.Errorf("a workflow event's delivery: %+v %v; want no action id", d, err)
	}
	update(t, s, func(ctx context.Context, tx engine.Tx) error { return tx.DeleteExecution(ctx, "ex") })
	if got := ids("act"); len(got) != 0 {
		t.Errorf("deliveries of act after its execution was deleted: %v", got)
	}
	if got := ids("other"); !equal(got, []string{"o1"}) {
		t.Errorf("deliveries of an action on its own = %v; want [o1]", got)
	}
}
