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

// testDecisionLinks: decision links read back as written (times to the
// microsecond in UTC whatever their zone, absent use and revocation as
// nil); an approval's list holds its own, oldest first; an update is
// guarded by the version read (a stale one is fault.ErrConflict and
// changes nothing) and increments it; unknown ids are fault.ENOTFOUND;
// deleting the execution takes its links.
func testDecisionLinks(t *testing.T, h Harness) {
	s, _ := h.Open(t)
	seed(t, s, 3)
	ctx := context.Background()
	us := time.Microsecond
	zone := time.FixedZone("UTC+2", 2*3600)
	mk := func(id, action, user string, at time.Time) *engine.DecisionLink {
		return &engine.DecisionLink{ID: id, ActionExecutionID: action, User: user, Event: engine.ApprovalRequested,
			CreatedAt: at.In(zone), ExpiresAt: at.Add(7 * 24 * time.Hour).In(zone)}
	}
	l1, l2, other := mk("l1", "a01", "ann", t0.Add(7*us)), mk("l2", "a01", "bob", t0.Add(5*us)), mk("l3", "a02", "ann", t0)
	l2.Event = engine.ApprovalEscalated
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		for _, l := range []*engine.DecisionLink{l1, l2, other} {
			if err := tx.AddDecisionLink(ctx, l); err != nil {
				return err
			}
		}
		// A transaction reads its own writes.
		if got, err := tx.GetDecisionLink(ctx, "l1"); err != nil || got.User != "ann" {
			t.Errorf("GetDecisionLink inside the transaction: %+v %v", got, err)
		}
		return nil
	})
	got, err := s.GetDecisionLink(ctx, "l2")
	if err != nil {
		t.Fatal(err)
	}
	want := *l2
	want.CreatedAt, want.ExpiresAt = l2.CreatedAt.UTC(), l2.ExpiresAt.UTC()
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("read back\n %+v\nwant\n %+v", *got, want)
	}
	list, err := s.DecisionLinks(ctx, "a01")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, l := range list {
		ids = append(ids, l.ID)
	}
	if !equal(ids, []string{"l2", "l1"}) {
		t.Errorf("links of a01 = %v; want [l2 l1] (oldest first, its own only)", ids)
	}
	if _, err := s.GetDecisionLink(ctx, "nope"); fault.Code(err) != fault.ENOTFOUND {
		t.Errorf("unknown link: %v; want ENOTFOUND", err)
	}

	// Used, then a stale write (the version read before) changes nothing.
	used := t0.Add(time.Hour + 3*us).In(zone)
	stale := *got
	got.UsedAt = &used
	update(t, s, func(ctx context.Context, tx engine.Tx) error { return tx.UpdateDecisionLink(ctx, got) })
	if got.Version != 1 {
		t.Errorf("version after an update = %d; want 1", got.Version)
	}
	revoked := t0.Add(2 * time.Hour)
	stale.RevokedAt, stale.RevokedBy = &revoked, "admin"
	err = s.Update(ctx, func(tx engine.Tx) error { return tx.UpdateDecisionLink(ctx, &stale) })
	if !errors.Is(err, fault.ErrConflict) {
		t.Errorf("an update with a stale version: %v; want fault.ErrConflict", err)
	}
	back, err := s.GetDecisionLink(ctx, "l2")
	if err != nil || back.UsedAt == nil || !back.UsedAt.Equal(used) || back.UsedAt.Location() != time.UTC ||
		back.RevokedAt != nil || back.RevokedBy != "" || back.Version != 1 {
		t.Errorf("after the use and a stale revocation: %+v (%v); want used at %v in UTC, not revoked, version 1", back, err, used)
	}
	back.RevokedAt, back.RevokedBy = &revoked, "admin"
	update(t, s, func(ctx context.Context, tx engine.Tx) error { return tx.UpdateDecisionLink(ctx, back) })
	if again, err := s.GetDecisionLink(ctx, "l2"); err != nil || again.RevokedAt == nil || !again.RevokedAt.Equal(revoked) ||
		again.RevokedBy != "admin" || again.Version != 2 {
		t.Errorf("after a revocation: %+v (%v); want revoked by admin, version 2", again, err)
	}

	update(t, s, func(ctx context.Context, tx engine.Tx) error { return tx.DeleteExecution(ctx, "ex") })
	if left, err := s.DecisionLinks(ctx, "a01"); err != nil || len(left) != 0 {
		t.Errorf("links after deleting their execution: %+v, %v", left, err)
	}
	if _, err := s.GetDecisionLink(ctx, "l3"); fault.Code(err) != fault.ENOTFOUND {
		t.Errorf("a link of a deleted execution: %v; want ENOTFOUND", err)
	}
}
