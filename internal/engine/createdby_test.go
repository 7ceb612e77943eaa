package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// TestCreatedByInherited: an execution records who started it, and a
// sub-workflow started by one of its tasks records the same person.
func TestCreatedByInherited(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, store string) {
		t.Parallel()
		ctx := context.Background()
		events := make(eventChan, 64)
		e := newEngineOn(t, store, engine.Config{Publisher: events})
		if _, err := e.CreateWorkflows(ctx, nil, `version: '2.0'
parent:
  tasks:
    call:
      workflow: child
child:
  tasks:
    wait:
      action: std.async_noop
`, "", ""); err != nil {
			t.Fatal(err)
		}
		ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "parent", CreatedBy: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		if ex.CreatedBy != "alice" {
			t.Errorf("StartExecution returned created by %q, want alice", ex.CreatedBy)
		}
		// The job worker starts the sub-workflow after the parent's commit.
		ev := events.next(t, func(ev engine.Event) bool { return ev.Kind == "execution" && ev.ID != ex.ID })
		child, err := e.GetExecution(ctx, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		if child.CreatedBy != "alice" {
			t.Errorf("the sub-workflow is created by %q, want alice (inherited)", child.CreatedBy)
		}
		if got, err := e.GetExecution(ctx, ex.ID); err != nil || got.CreatedBy != "alice" {
			t.Errorf("GetExecution: created by %q (%v), want alice", got.CreatedBy, err)
		}
	})
}

// eventChan is a Publisher that hands the engine's events to a test.
type eventChan chan engine.Event

func (c eventChan) Publish(ev engine.Event) {
	select {
	case c <- ev:
	default: // a test that stopped listening must not block the engine
	}
}

// next returns the first event that match accepts, waiting for it.
func (c eventChan) next(t *testing.T, match func(engine.Event) bool) engine.Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-c:
			if match(ev) {
				return ev
			}
		case <-timeout:
			t.Fatal("the awaited event did not come")
		}
	}
}
