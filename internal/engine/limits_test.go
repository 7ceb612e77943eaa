package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// TestMaxOutputCountsTheOutput: -max-output bounds the output as encoded,
// not the {"result": …} the engine stores it in: an output of exactly the
// limit is accepted, one byte more is refused naming both sizes.
func TestMaxOutputCountsTheOutput(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const limit = 100
	e := newEngine(t, engine.Config{MaxOutputBytes: limit})
	if _, err := e.CreateWorkflows(ctx, "version: '2.0'\nwf:\n  tasks:\n    t:\n      action: std.async_noop\n", "", ""); err != nil {
		t.Fatal(err)
	}
	pending := func() *engine.ActionExecution {
		ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf"})
		if err != nil {
			t.Fatal(err)
		}
		return pendingAction(t, e, ex.ID, "t")
	}
	output := func(n int) string { return strings.Repeat("x", n-2) } // "xx…x": n bytes encoded

	a := pending()
	if _, err := e.UpdateActionExecution(ctx, a.ID, engine.Completion{State: engine.StateSuccess, Output: output(limit), HasOutput: true}); err != nil {
		t.Errorf("an output of exactly %d bytes: %v", limit, err)
	}
	a = pending()
	_, err := e.UpdateActionExecution(ctx, a.ID, engine.Completion{State: engine.StateSuccess, Output: output(limit + 1), HasOutput: true})
	if engine.ErrorCode(err) != engine.ETOOLARGE || !strings.Contains(err.Error(), "101 bytes") || !strings.Contains(err.Error(), "limit is 100 bytes") {
		t.Errorf("an output of %d bytes: %v, want too large naming 101 and 100 bytes", limit+1, err)
	}
}
