package engine_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

var allStates = []engine.State{engine.StateIdle, engine.StateWaiting, engine.StateRunning, engine.StateDelayed,
	engine.StatePaused, engine.StateSuccess, engine.StateError, engine.StateCancelled}

// mistralTable reads Mistral's transition table (testdata/mistral_states.txt,
// copied from the reference's §6).
func mistralTable(t *testing.T) map[[2]engine.State]bool {
	t.Helper()
	b, err := os.ReadFile("testdata/mistral_states.txt")
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[[2]engine.State]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		from, tos, ok := strings.Cut(line, "→")
		if !ok {
			t.Fatalf("bad line %q", line)
		}
		f := engine.State(strings.TrimSpace(from))
		if !f.Valid() {
			t.Fatalf("unknown state %q", f)
		}
		for _, to := range strings.Split(tos, ",") {
			if to = strings.TrimSpace(to); to != "" {
				allowed[[2]engine.State{f, engine.State(to)}] = true
			}
		}
	}
	return allowed
}

// TestStateTable checks CanTransition, per kind of record, against
// Mistral's table: every move of the table is allowed for every kind, X→X
// too; beyond it exactly the moves listed here are (the engine makes them,
// as Mistral's engine does; see beyondTable), and every other is refused.
func TestStateTable(t *testing.T) {
	mistral := mistralTable(t)
	const (
		I, W, R, D = engine.StateIdle, engine.StateWaiting, engine.StateRunning, engine.StateDelayed
		P, S, E, C = engine.StatePaused, engine.StateSuccess, engine.StateError, engine.StateCancelled
	)
	beyond := map[string][][2]engine.State{
		engine.KindExecution: nil,
		engine.KindTask:      {{R, I}, {W, D}, {W, I}, {W, E}, {W, C}, {D, I}, {D, S}, {P, S}, {S, E}},
		engine.KindAction:    {{P, S}},
	}
	for kind, extra := range beyond {
		more := map[[2]engine.State]bool{}
		for _, m := range extra {
			if mistral[m] {
				t.Errorf("%s: %s → %s is in Mistral's table already", kind, m[0], m[1])
			}
			more[m] = true
		}
		for _, from := range allStates {
			for _, to := range allStates {
				m := [2]engine.State{from, to}
				want := from == to || mistral[m] || more[m]
				if got := engine.CanTransition(kind, from, to); got != want {
					t.Errorf("CanTransition(%s, %s, %s) = %v, want %v", kind, from, to, got, want)
				}
			}
		}
	}
	// Whatever the kind: SUCCESS of a workflow or an action is final, and
	// nothing returns to WAITING or leaves CANCELLED but to RUNNING.
	for _, kind := range []string{engine.KindExecution, engine.KindTask, engine.KindAction} {
		for _, to := range allStates {
			if to != S && kind != engine.KindTask && engine.CanTransition(kind, S, to) {
				t.Errorf("%s: SUCCESS must be final, but → %s is allowed", kind, to)
			}
			if to != W && engine.CanTransition(kind, to, W) {
				t.Errorf("%s: %s → WAITING is allowed", kind, to)
			}
			if to != C && to != R && engine.CanTransition(kind, C, to) {
				t.Errorf("%s: CANCELLED → %s is allowed", kind, to)
			}
		}
	}
	for _, s := range allStates {
		if !s.Valid() {
			t.Errorf("state %s is not Valid", s)
		}
	}
	if engine.State("DONE").Valid() {
		t.Error("DONE is not a Mistral state")
	}
}

// TestStateChangesCheckTheTable: every state change goes through the
// table; a paused workflow stopped with SUCCESS is refused as Mistral
// refuses it (PAUSED → SUCCESS is not in the table for executions), and
// nothing changes.
func TestStateChangesCheckTheTable(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, store string) {
		t.Parallel()
		ctx := context.Background()
		e := newEngineOn(t, store, engine.Config{})
		if _, err := e.CreateWorkflows(ctx, nil, "version: '2.0'\nwf:\n  tasks:\n    t:\n      action: std.async_noop\n", "", ""); err != nil {
			t.Fatal(err)
		}
		ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.UpdateExecution(ctx, ex.ID, engine.ExecutionUpdate{State: engine.StatePaused}); err != nil {
			t.Fatal(err)
		}
		_, err = e.UpdateExecution(ctx, ex.ID, engine.ExecutionUpdate{State: engine.StateSuccess})
		if fault.Code(err) != fault.EINVALID || fault.Message(err) != "Invalid state transition from PAUSED to SUCCESS." {
			t.Errorf("stop a paused workflow with SUCCESS: err = %v, want EINVALID Invalid state transition from PAUSED to SUCCESS.", err)
		}
		if got, _ := e.GetExecution(ctx, ex.ID); got.State != engine.StatePaused {
			t.Errorf("state after the refusal: %s, want PAUSED", got.State)
		}
		// ERROR is in the table: the stop goes through.
		if got, err := e.UpdateExecution(ctx, ex.ID, engine.ExecutionUpdate{State: engine.StateError}); err != nil || got.State != engine.StateError {
			t.Errorf("stop a paused workflow with ERROR: %v, %v", got, err)
		}
	})
}
