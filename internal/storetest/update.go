package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// testGuardedUpdate: an update guarded by from-states that no longer hold
// is ErrConflict and changes nothing; one whose guard holds goes through.
// This is how a callback, a timeout and a person racing each other resolve
// to one winner.
func testGuardedUpdate(t *testing.T, h Harness) {
	s, _ := h.Open(t)
	seed(t, s, 2) // ex and task RUNNING, a00 SUCCESS, a01 RUNNING
	ctx := context.Background()
	a, err := s.GetActionExecution(ctx, "a00")
	if err != nil {
		t.Fatal(err)
	}
	ex, err := s.GetExecution(ctx, "ex")
	if err != nil {
		t.Fatal(err)
	}
	tk, err := s.GetTask(ctx, "task")
	if err != nil {
		t.Fatal(err)
	}
	a.State, ex.State, tk.State = engine.StateError, engine.StateSuccess, engine.StateSuccess
	for what, fn := range map[string]func(tx engine.Tx) error{
		"action": func(tx engine.Tx) error {
			return tx.UpdateActionExecution(ctx, a, engine.StateRunning, engine.StatePaused)
		},
		"execution": func(tx engine.Tx) error { return tx.UpdateExecution(ctx, ex, engine.StatePaused) },
		"task":      func(tx engine.Tx) error { return tx.UpdateTask(ctx, tk, engine.StateIdle, engine.StateWaiting) },
	} {
		if err := s.Update(ctx, fn); !errors.Is(err, fault.ErrConflict) {
			t.Errorf("guarded update of the %s from a state it is not in: err = %v, want ErrConflict", what, err)
		}
	}
	if got, _ := s.GetActionExecution(ctx, "a00"); got.State != engine.StateSuccess {
		t.Errorf("action state changed to %s despite the guard", got.State)
	}
	if got, _ := s.GetExecution(ctx, "ex"); got.State != engine.StateRunning {
		t.Errorf("execution state changed to %s despite the guard", got.State)
	}
	if got, _ := s.GetTask(ctx, "task"); got.State != engine.StateRunning {
		t.Errorf("task state changed to %s despite the guard", got.State)
	}

	// The guards that hold, and no guard at all.
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		if err := tx.UpdateExecution(ctx, ex, engine.StateRunning, engine.StatePaused); err != nil {
			return fmt.Errorf("execution: %w", err)
		}
		if err := tx.UpdateTask(ctx, tk, engine.StateRunning); err != nil {
			return fmt.Errorf("task: %w", err)
		}
		return tx.UpdateActionExecution(ctx, a)
	})
	if got, _ := s.GetActionExecution(ctx, "a00"); got.State != engine.StateError {
		t.Errorf("unguarded update: action state %s, want ERROR", got.State)
	}
	if got, _ := s.GetExecution(ctx, "ex"); got.State != engine.StateSuccess {
		t.Errorf("guarded update that holds: execution state %s, want SUCCESS", got.State)
	}
	if got, _ := s.GetTask(ctx, "task"); got.State != engine.StateSuccess {
		t.Errorf("guarded update that holds: task state %s, want SUCCESS", got.State)
	}
}

// testFailedUpdateLeavesNothing: an update that fails after writing leaves
// none of its writes (rows, updates, jobs, timeline) and what was committed
// before is intact.
func testFailedUpdateLeavesNothing(t *testing.T, h Harness) {
	s, _ := h.Open(t)
	seed(t, s, 2)
	ctx := context.Background()
	boom := errors.New("boom")
	err := s.Update(ctx, func(tx engine.Tx) error {
		a, err := tx.GetActionExecution(ctx, "a01")
		if err != nil {
			return err
		}
		a.State = engine.StateSuccess
		if err := tx.UpdateActionExecution(ctx, a); err != nil {
			return err
		}
		if err := tx.CreateExecution(ctx, execution("e2", t0)); err != nil {
			return err
		}
		if err := tx.AddJob(ctx, &engine.Job{Kind: "k", Ref: "a01", DueAt: t0}); err != nil {
			return err
		}
		if err := tx.AddStateChanges(ctx, []engine.Event{{Kind: "action_execution", ID: "a01", ExecutionID: "ex", State: engine.StateSuccess, At: t0}}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the update's own", err)
	}
	if a, err := s.GetActionExecution(ctx, "a01"); err != nil || a.State != engine.StateRunning {
		t.Errorf("a01 after the failed update: %+v, %v; want it RUNNING", a, err)
	}
	if _, err := s.GetExecution(ctx, "e2"); fault.Code(err) != fault.ENOTFOUND {
		t.Errorf("execution created by the failed update: %v, want ENOTFOUND", err)
	}
	if jobs := claim(t, s, t0); len(jobs) != 0 {
		t.Errorf("jobs of the failed update: %+v", jobs)
	}
	if evs, err := s.StateChanges(ctx, "a01"); err != nil || len(evs) != 0 {
		t.Errorf("timeline of the failed update: %+v, %v", evs, err)
	}
}

// testConcurrentUpdates: updates running at the same time each succeed or
// fail alone, and a failing one leaves no trace, its timeline included.
func testConcurrentUpdates(t *testing.T, h Harness) {
	s, _ := h.Open(t)
	ctx := context.Background()
	const n = 200
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func(i int) {
			errs <- s.Update(ctx, func(tx engine.Tx) error {
				if err := tx.AddJob(ctx, &engine.Job{Kind: "k", Ref: fmt.Sprint(i), DueAt: t0}); err != nil {
					return err
				}
				if err := tx.AddStateChanges(ctx, []engine.Event{
					{Kind: "action_execution", ID: fmt.Sprint(i), State: engine.StateRunning, At: t0},
					{Kind: "action_execution", ID: fmt.Sprint(i), State: engine.StateSuccess, At: t0},
				}); err != nil {
					return err
				}
				if i%10 == 0 {
					return fmt.Errorf("fail %d", i)
				}
				return nil
			})
		}(i)
	}
	failed := 0
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			failed++
		}
	}
	if want := n / 10; failed != want {
		t.Errorf("%d updates failed, want %d", failed, want)
	}
	jobs := claim(t, s, t0)
	if len(jobs) != n-n/10 {
		t.Errorf("%d jobs committed, want %d", len(jobs), n-n/10)
	}
	for _, j := range jobs {
		var i int
		fmt.Sscan(j.Ref, &i)
		if i%10 == 0 {
			t.Errorf("job %d of a failed update was committed", i)
		}
	}
	for i := 0; i < n; i++ {
		evs, err := s.StateChanges(ctx, fmt.Sprint(i))
		if err != nil {
			t.Fatal(err)
		}
		var states []engine.State
		for _, ev := range evs {
			states = append(states, ev.State)
		}
		want := []engine.State{engine.StateRunning, engine.StateSuccess}
		if i%10 == 0 {
			want = nil
		}
		if fmt.Sprint(states) != fmt.Sprint(want) {
			t.Errorf("timeline of update %d: %v, want %v", i, states, want)
		}
	}
}

func testUpdateAfterClose(t *testing.T, h Harness) {
	s, _ := h.Open(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(context.Background(), func(engine.Tx) error { return nil }); err == nil {
		t.Error("Update after Close succeeded")
	}
}
