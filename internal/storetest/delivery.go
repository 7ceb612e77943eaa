package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// testDeliveries: the notifier's deliveries read back as written (times to
// the microsecond whatever their zone, absent error and next attempt as
// nil, the body's text verbatim); an execution's list holds its own,
// oldest first; an update is guarded by the version read (a stale one is
// fault.ErrConflict and changes nothing) and increments it; unknown ids
// are fault.ENOTFOUND; deleting a root execution takes the deliveries of
// its tree and leaves the others.
func testDeliveries(t *testing.T, h Harness) {
	s, _ := h.Open(t)
	ctx := context.Background()
	us := time.Microsecond
	zone := time.FixedZone("UTC+2", 2*3600)
	next := t0.Add(2*time.Second + 3*us)
	mk := func(id, ex, root string, at time.Time) *engine.Delivery {
		return &engine.Delivery{ID: id, EventID: "ev-" + id, Event: engine.WorkflowLaunched, ExecutionID: ex, RootExecutionID: root,
			URL: "https://hooks.example.com/" + id, HeadersJSON: `{"X-Token": "s3cret"}`,
			Body: `{"id": "` + ex + `", "z": 1, "a": "\u00e9"}`, State: engine.DeliveryPending, NextAttemptAt: &next,
			CreatedAt: at.In(zone), UpdatedAt: at.In(zone)}
	}
	d1, d2 := mk("d1", "ex", "ex", t0.Add(7*us)), mk("d2", "ex", "ex", t0.Add(5*us))
	child, other := mk("d3", "child", "ex", t0), mk("d4", "e2", "e2", t0)
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		if err := tx.CreateExecution(ctx, execution("ex", t0)); err != nil {
			return err
		}
		if err := tx.CreateExecution(ctx, execution("e2", t0)); err != nil {
			return err
		}
		for _, d := range []*engine.Delivery{d1, d2, child, other} {
			if err := tx.AddDelivery(ctx, d); err != nil {
				return err
			}
		}
		// A transaction reads its own writes.
		if got, err := tx.GetDelivery(ctx, "d1"); err != nil || got.Body != d1.Body {
			t.Errorf("GetDelivery inside the transaction: %v %v", got, err)
		}
		return nil
	})
	got, err := s.GetDelivery(ctx, "d1")
	if err != nil {
		t.Fatal(err)
	}
	want := *d1
	want.CreatedAt, want.UpdatedAt = d1.CreatedAt.UTC(), d1.UpdatedAt.UTC()
	if got.NextAttemptAt == nil || !got.NextAttemptAt.Equal(next) || got.NextAttemptAt.Location() != time.UTC {
		t.Errorf("next attempt %v; want %v in UTC", got.NextAttemptAt, next)
	}
	got.NextAttemptAt, want.NextAttemptAt = nil, nil
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("read back\n %+v\nwant\n %+v", *got, want)
	}
	list, err := s.Deliveries(ctx, "ex")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range list {
		ids = append(ids, d.ID)
	}
	if !equal(ids, []string{"d2", "d1"}) {
		t.Errorf("deliveries of ex = %v; want [d2 d1] (oldest first, its own only)", ids)
	}
	if _, err := s.GetDelivery(ctx, "nope"); fault.Code(err) != fault.ENOTFOUND {
		t.Errorf("unknown delivery: %v; want ENOTFOUND", err)
	}

	// Two writers read d1; the first one's update wins, the second fails.
	a, _ := s.GetDelivery(ctx, "d1")
	b, _ := s.GetDelivery(ctx, "d1")
	msg := "the receiver answered 503"
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		a.State, a.Attempts, a.LastError, a.UpdatedAt = engine.DeliveryPending, 1, &msg, t0.Add(time.Second)
		if err := tx.UpdateDelivery(ctx, a); err != nil {
			return err
		}
		if a.Version != 1 {
			t.Errorf("version after the update = %d; want 1", a.Version)
		}
		a.State, a.Attempts, a.NextAttemptAt = engine.DeliveryDelivered, 2, nil
		return tx.UpdateDelivery(ctx, a) // the caller's copy can be written again
	})
	err = s.Update(ctx, func(tx engine.Tx) error {
		b.State = engine.DeliveryFailed
		return tx.UpdateDelivery(ctx, b)
	})
	if !errors.Is(err, fault.ErrConflict) {
		t.Errorf("stale update: %v; want ErrConflict", err)
	}
	got, _ = s.GetDelivery(ctx, "d1")
	if got.State != engine.DeliveryDelivered || got.Attempts != 2 || got.LastError == nil || *got.LastError != msg ||
		got.NextAttemptAt != nil || got.Version != 2 || !got.UpdatedAt.Equal(t0.Add(time.Second)) {
		t.Errorf("after the updates: %+v", got)
	}

	update(t, s, func(ctx context.Context, tx engine.Tx) error { return tx.DeleteExecution(ctx, "ex") })
	for _, id := range []string{"d1", "d2", "d3"} {
		if _, err := s.GetDelivery(ctx, id); fault.Code(err) != fault.ENOTFOUND {
			t.Errorf("delivery %s after its execution's tree was deleted: %v; want ENOTFOUND", id, err)
		}
	}
	if _, err := s.GetDelivery(ctx, "d4"); err != nil {
		t.Errorf("another execution's delivery: %v", err)
	}
}
