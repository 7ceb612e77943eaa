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

// testCronTriggers: a cron trigger reads back as written, by id or by
// name (times to the microsecond, a NULL first time, state_info and
// remaining_executions); a duplicate name is ECONFLICT; the list is
// oldest first, then by id; an update writes the mutable fields only if
// the version read still holds, and increments it (ErrConflict, with
// nothing written, otherwise); a delete is guarded by the version the
// same way, and a delete of a trigger that is gone is ENOTFOUND.
func testCronTriggers(t *testing.T, h Harness) {
	s, _ := h.Open(t)
	ctx := context.Background()
	us := time.Microsecond
	first := t0.Add(time.Hour + 7*us)
	two := 2
	a := &engine.CronTrigger{ID: "id-a", Name: "every_minute", Pattern: "* * * * *", FirstExecutionTime: &first,
		NextExecutionTime: t0.Add(time.Minute + 3*us), RemainingExecutions: &two, WorkflowID: "wf", WorkflowName: "wf",
		WorkflowNamespace: "ns", WorkflowInputJSON: `{"b": 1, "a": [true]}`, WorkflowParamsJSON: `{"env": "e1"}`, Scope: "private",
		ProjectID: "p", CreatedBy: "alice", State: engine.CronActive, LastExecutionsJSON: "[]", CreatedAt: t0.Add(us)}
	b := &engine.CronTrigger{ID: "id-b", Name: "hourly", Pattern: "0 * * * *", NextExecutionTime: t0.Add(time.Hour),
		WorkflowID: "wf", WorkflowName: "wf", WorkflowInputJSON: "{}", WorkflowParamsJSON: "{}", Scope: "public",
		ProjectID: "p", State: engine.CronActive, LastExecutionsJSON: "[]", CreatedAt: t0}
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		if err := tx.CreateCronTrigger(ctx, a); err != nil {
			return err
		}
		return tx.CreateCronTrigger(ctx, b)
	})
	if a.Version != 0 {
		t.Errorf("created trigger version %d, want 0", a.Version)
	}
	get := func(idOrName string) *engine.CronTrigger {
		t.Helper()
		c, err := s.GetCronTrigger(ctx, idOrName)
		if err != nil {
			t.Fatalf("get %s: %v", idOrName, err)
		}
		return c
	}
	for _, key := range []string{"id-a", "every_minute"} {
		if got := get(key); !reflect.DeepEqual(got, a) {
			t.Errorf("get %s:\n got %+v\nwant %+v", key, got, a)
		}
	}
	if got := get("hourly"); got.FirstExecutionTime != nil || got.RemainingExecutions != nil || got.StateInfo != nil || got.UpdatedAt != nil {
		t.Errorf("unset fields read back as %v, %v, %v, %v; want nil", got.FirstExecutionTime, got.RemainingExecutions, got.StateInfo, got.UpdatedAt)
	}
	if _, err := s.GetCronTrigger(ctx, "nope"); fault.Code(err) != fault.ENOTFOUND {
		t.Errorf("get an unknown trigger: %v, want ENOTFOUND", err)
	}
	dup := *b
	dup.ID = "id-c"
	err := s.Update(ctx, func(tx engine.Tx) error { return tx.CreateCronTrigger(ctx, &dup) })
	if fault.Code(err) != fault.ECONFLICT {
		t.Errorf("a duplicate name: %v, want ECONFLICT", err)
	}
	list, err := s.ListCronTriggers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != "id-b" || list[1].ID != "id-a" {
		t.Errorf("list %v, want id-b then id-a (oldest first)", list)
	}

	// Two writers read version 0; the second's update is refused.
	stale := get("id-a")
	moved := get("id-a")
	one := 1
	info := "stopped: because"
	at := t0.Add(2*time.Minute + 9*us)
	moved.NextExecutionTime, moved.RemainingExecutions, moved.State, moved.StateInfo = at, &one, engine.CronStopped, &info
	moved.LastExecutionsJSON, moved.UpdatedAt = `[{"id": "ex1", "at": "2026-11-27T21:01:00Z"}]`, &at
	update(t, s, func(ctx context.Context, tx engine.Tx) error { return tx.UpdateCronTrigger(ctx, moved) })
	if moved.Version != 1 {
		t.Errorf("version after an update %d, want 1", moved.Version)
	}
	if got := get("id-a"); !reflect.DeepEqual(got, moved) {
		t.Errorf("after update:\n got %+v\nwant %+v", got, moved)
	}
	stale.State = engine.CronPaused
	err = s.Update(ctx, func(tx engine.Tx) error { return tx.UpdateCronTrigger(ctx, stale) })
	if !errors.Is(err, fault.ErrConflict) {
		t.Errorf("update with a stale version: %v, want ErrConflict", err)
	}
	if got := get("id-a"); got.State != engine.CronStopped || got.Version != 1 {
		t.Errorf("a refused update wrote: state %s version %d", got.State, got.Version)
	}
	err = s.Update(ctx, func(tx engine.Tx) error { return tx.DeleteCronTrigger(ctx, "id-a", 0) })
	if !errors.Is(err, fault.ErrConflict) {
		t.Errorf("delete with a stale version: %v, want ErrConflict", err)
	}
	update(t, s, func(ctx context.Context, tx engine.Tx) error { return tx.DeleteCronTrigger(ctx, "id-a", 1) })
	err = s.Update(ctx, func(tx engine.Tx) error { return tx.DeleteCronTrigger(ctx, "id-a", 1) })
	if fault.Code(err) != fault.ENOTFOUND {
		t.Errorf("delete a deleted trigger: %v, want ENOTFOUND", err)
	}
	if list, _ := s.ListCronTriggers(ctx); len(list) != 1 || list[0].ID != "id-b" {
		t.Errorf("list after delete %v, want only id-b", list)
	}
}
