package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
)

func ev(kind, id, exID string, state engine.State, at int) engine.Event {
	return engine.Event{Kind: kind, ID: id, ExecutionID: exID, State: state, At: t0.Add(time.Duration(at) * time.Second)}
}

// testTimeline: the events of one update for several executions, read
// back per execution and per record in the order they happened, with notes
// of any bytes: NUL and control characters as given, invalid UTF-8 as
// U+FFFD.
func testTimeline(t *testing.T, h Harness) {
	s, _ := h.Open(t)
	seed(t, s, 2) // execution ex, its task, actions a00 and a01
	ctx := context.Background()
	note := "approved by \"ann\" \\ \n\t\x00\x01 — ünïcode \xff end"
	batches := [][]engine.Event{
		{
			ev("execution", "ex", "ex", engine.StateRunning, 0),
			ev("execution", "e2", "e2", engine.StateRunning, 1),
			ev("task", "task", "ex", engine.StateRunning, 2),
			ev("action_execution", "adhoc", "", engine.StateRunning, 3),
			ev("task", "t2", "e2", engine.StateRunning, 4),
		},
		{
			{Kind: "action_execution", ID: "a01", ExecutionID: "ex", State: engine.StateSuccess, Via: "dashboard", Note: note, At: t0.Add(5 * time.Second)},
			ev("task", "task", "ex", engine.StateSuccess, 6),
			ev("execution", "ex", "ex", engine.StateSuccess, 7),
		},
	}
	for _, b := range batches {
		if err := s.Update(ctx, func(tx engine.Tx) error { return tx.AddStateChanges(ctx, b) }); err != nil {
			t.Fatal(err)
		}
	}
	got := func(ref string) []string {
		t.Helper()
		evs, err := s.StateChanges(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range evs {
			out = append(out, e.Kind+" "+e.ID+" "+e.ExecutionID+" "+string(e.State)+" "+e.At.Format("05"))
			if e.ID == "a01" && (e.Note != "approved by \"ann\" \\ \n\t\x00\x01 — ünïcode \uFFFD end" || e.Via != "dashboard") {
				t.Errorf("a01: via %q, note %q", e.Via, e.Note)
			}
		}
		return out
	}
	for ref, want := range map[string][]string{
		"ex":    {"execution ex ex RUNNING 00", "task task ex RUNNING 02", "action_execution a01 ex SUCCESS 05", "task task ex SUCCESS 06", "execution ex ex SUCCESS 07"},
		"e2":    {"execution e2 e2 RUNNING 01", "task t2 e2 RUNNING 04"},
		"task":  {"task task ex RUNNING 02", "task task ex SUCCESS 06"},
		"a01":   {"action_execution a01 ex SUCCESS 05"},
		"adhoc": {"action_execution adhoc  RUNNING 03"},
		"none":  nil,
	} {
		if g := got(ref); !slices.Equal(g, want) {
			t.Errorf("timeline of %s:\n got %q\nwant %q", ref, g, want)
		}
	}
}
