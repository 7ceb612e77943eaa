package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// testTimeRoundTrip: times read back equal to the microsecond whatever
// zone they were written in, and optional times stay unset.
func testTimeRoundTrip(t *testing.T, h Harness) {
	s, _ := h.Open(t)
	ctx := context.Background()
	at := time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.FixedZone("UTC-7:30", -(7*3600+30*60)))
	later := at.Add(36*time.Hour + time.Microsecond).In(time.FixedZone("UTC+13", 13*3600))
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		ex := execution("ex", at)
		ex.UpdatedAt = later
		if err := tx.CreateExecution(ctx, ex); err != nil {
			return err
		}
		k := task("started", "ex", at)
		k.StartedAt = &later
		if err := tx.CreateTask(ctx, k); err != nil {
			return err
		}
		if err := tx.CreateTask(ctx, task("unstarted", "ex", at)); err != nil {
			return err
		}
		return tx.CreateActionExecution(ctx, &engine.ActionExecution{ID: "a", Name: "std.noop", State: engine.StateSuccess,
			ProjectID: "p", InputJSON: "{}", CompletedAt: &later, CreatedAt: at, UpdatedAt: at})
	})
	ex, err := s.GetExecution(ctx, "ex")
	if err != nil || !ex.CreatedAt.Equal(at) || !ex.UpdatedAt.Equal(later) {
		t.Errorf("execution times: %v, %v (%v); want %v, %v", ex.CreatedAt, ex.UpdatedAt, err, at, later)
	}
	k, err := s.GetTask(ctx, "started")
	if err != nil || !k.CreatedAt.Equal(at) || k.StartedAt == nil || !k.StartedAt.Equal(later) || k.FinishedAt != nil {
		t.Errorf("started task: created %v, started %v, finished %v (%v); want %v, %v, nil", k.CreatedAt, k.StartedAt, k.FinishedAt, err, at, later)
	}
	if k, err := s.GetTask(ctx, "unstarted"); err != nil || k.StartedAt != nil {
		t.Errorf("unstarted task: started %v (%v), want nil", k.StartedAt, err)
	}
	if a, err := s.GetActionExecution(ctx, "a"); err != nil || a.CompletedAt == nil || !a.CompletedAt.Equal(later) {
		t.Errorf("action completed at %v (%v), want %v", a.CompletedAt, err, later)
	}
}

// testJSONVerbatim: JSON text comes back byte for byte: key order,
// spacing, number spelling and escapes, \u0000 included (a jsonb column
// would rewrite the first three and refuse the last).
func testJSONVerbatim(t *testing.T, h Harness) {
	s, _ := h.Open(t)
	ctx := context.Background()
	const doc = `{"z": 1,  "a": "x\u0000y\n", "n": 1.50, "e": "\u00e9", "nested": {"b": [true, null], "a": {}}}`
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		ex := execution("ex", t0)
		ex.ParamsJSON, ex.InputJSON, ex.ContextJSON = doc, doc, doc
		if err := tx.CreateExecution(ctx, ex); err != nil {
			return err
		}
		k := task("task", "ex", t0)
		k.PublishedJSON, k.ResultJSON, k.InContextJSON = doc, doc, doc
		if err := tx.CreateTask(ctx, k); err != nil {
			return err
		}
		out := `{"result": ` + doc + `}`
		return tx.CreateActionExecution(ctx, &engine.ActionExecution{ID: "a", Name: "std.noop", State: engine.StateSuccess,
			ProjectID: "p", InputJSON: doc, OutputJSON: &out, CreatedAt: t0, UpdatedAt: t0})
	})
	// And through an update.
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		ex, err := tx.GetExecution(ctx, "ex")
		if err != nil {
			return err
		}
		ex.OutputJSON = doc
		return tx.UpdateExecution(ctx, ex)
	})
	ex, err := s.GetExecution(ctx, "ex")
	if err != nil {
		t.Fatal(err)
	}
	k, err := s.GetTask(ctx, "task")
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.GetActionExecution(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	out := "<nil>"
	if a.OutputJSON != nil {
		out = *a.OutputJSON
	}
	for _, c := range []struct{ what, got, want string }{
		{"execution params", ex.ParamsJSON, doc}, {"execution input", ex.InputJSON, doc},
		{"execution context", ex.ContextJSON, doc}, {"execution output", ex.OutputJSON, doc},
		{"task published", k.PublishedJSON, doc}, {"task result", k.ResultJSON, doc}, {"task in-context", k.InContextJSON, doc},
		{"action input", a.InputJSON, doc}, {"action output", out, `{"result": ` + doc + `}`},
	} {
		if c.got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.what, c.got, c.want)
		}
	}
}
