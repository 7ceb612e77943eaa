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

// testClaims: claims on approvals read back as written (times in UTC to
// the microsecond), one per action (a second AddClaim is ErrConflict),
// version-guarded updates and deletes, only live claims listed by
// ClaimsOn, and a claim goes with its execution.
func testClaims(t *testing.T, h Harness) {
	s, _ := h.Open(t)
	ctx := context.Background()
	seed(t, s, 4) // a01, a02 run
	zone := time.FixedZone("UTC-5", -5*3600)
	at := t0.Add(3 * time.Microsecond).In(zone)
	c1 := &engine.Claim{ActionExecutionID: "a01", User: "alice", ClaimedAt: at, ExpiresAt: at.Add(30 * time.Minute)}
	c2 := &engine.Claim{ActionExecutionID: "a02", User: "bob", ClaimedAt: at, ExpiresAt: at.Add(time.Minute)}
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		for _, c := range []*engine.Claim{c1, c2} {
			if err := tx.AddClaim(ctx, c); err != nil {
				return err
			}
		}
		// A transaction reads its own writes.
		if got, err := tx.GetClaim(ctx, "a01"); err != nil || got.User != "alice" {
			t.Errorf("GetClaim inside the transaction: %v %v", got, err)
		}
		return nil
	})
	err := s.Update(ctx, func(tx engine.Tx) error {
		return tx.AddClaim(ctx, &engine.Claim{ActionExecutionID: "a01", User: "carol", ClaimedAt: at, ExpiresAt: at.Add(time.Hour)})
	})
	if !errors.Is(err, fault.ErrConflict) {
		t.Errorf("a second claim on a01: %v, want ErrConflict", err)
	}
	err = s.Update(ctx, func(tx engine.Tx) error {
		_, err := tx.GetClaim(ctx, "a03")
		return err
	})
	if fault.Code(err) != fault.ENOTFOUND {
		t.Errorf("GetClaim of an action without one: %v, want ENOTFOUND", err)
	}

	// ClaimsOn lists the live ones: at t0+2m, a02's has expired.
	live, err := s.ClaimsOn(ctx, []string{"a01", "a02", "a03", "nope"}, t0.Add(2*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	want := engine.Claim{ActionExecutionID: "a01", User: "alice", ClaimedAt: at.UTC(), ExpiresAt: at.Add(30 * time.Minute).UTC()}
	if len(live) != 1 || !reflect.DeepEqual(*live[0], want) || live[0].ClaimedAt.Location() != time.UTC {
		t.Fatalf("live claims %+v, want only %+v (UTC)", live, want)
	}
	if live, err := s.ClaimsOn(ctx, []string{"a01", "a02"}, t0); err != nil || len(live) != 2 {
		t.Errorf("claims at t0: %v %v, want both", live, err)
	}
	if live, err := s.ClaimsOn(ctx, nil, t0); err != nil || len(live) != 0 {
		t.Errorf("claims of no action: %v %v", live, err)
	}

	// Versions: an update at the version read increments it; a stale one
	// is ErrConflict and changes nothing.
	var read *engine.Claim
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		var err error
		read, err = tx.GetClaim(ctx, "a02")
		return err
	})
	stale := *read
	read.User, read.ExpiresAt = "carol", at.Add(time.Hour)
	update(t, s, func(ctx context.Context, tx engine.Tx) error { return tx.UpdateClaim(ctx, read) })
	if read.Version != 1 {
		t.Errorf("version after an update: %d, want 1", read.Version)
	}
	stale.User = "dave"
	if err := s.Update(ctx, func(tx engine.Tx) error { return tx.UpdateClaim(ctx, &stale) }); !errors.Is(err, fault.ErrConflict) {
		t.Errorf("a stale update: %v, want ErrConflict", err)
	}
	if err := s.Update(ctx, func(tx engine.Tx) error { return tx.DeleteClaim(ctx, "a02", 0) }); !errors.Is(err, fault.ErrConflict) {
		t.Errorf("a stale delete: %v, want ErrConflict", err)
	}
	if live, _ := s.ClaimsOn(ctx, []string{"a02"}, t0.Add(2*time.Minute)); len(live) != 1 || live[0].User != "carol" || live[0].Version != 1 {
		t.Errorf("a02 after the stale writes: %+v, want carol's at version 1", live)
	}
	update(t, s, func(ctx context.Context, tx engine.Tx) error { return tx.DeleteClaim(ctx, "a02", 1) })
	if err := s.Update(ctx, func(tx engine.Tx) error { return tx.DeleteClaim(ctx, "a02", 1) }); fault.Code(err) != fault.ENOTFOUND {
		t.Errorf("deleting a claim twice: %v, want ENOTFOUND", err)
	}

	// A claim goes with its execution.
	update(t, s, func(ctx context.Context, tx engine.Tx) error { return tx.DeleteExecution(ctx, "ex") })
	if live, err := s.ClaimsOn(ctx, []string{"a01"}, t0); err != nil || len(live) != 0 {
		t.Errorf("claims after the execution was deleted: %v %v", live, err)
	}
}
