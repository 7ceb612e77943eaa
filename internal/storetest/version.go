package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// testVersionGuard: every mutable row has a version. Create stores 0; each
// update writes only if the stored version is the one the caller read
// (else fault.ErrConflict, nothing changed) and increments it, in the store
// and in the caller's copy, which can then be written again. Two writers
// that read the same row cannot both write it: the second one fails instead
// of overwriting the first one's change (a lost update), whatever fields
// either changed and with or without a state guard.
func testVersionGuard(t *testing.T, h Harness) {
	s, _ := h.Open(t)
	seed(t, s, 1) // ex, task, a00
	ctx := context.Background()
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		if err := tx.CreateWorkflow(ctx, &engine.Workflow{ID: "wf", Name: "wf", Definition: "d", InterfaceJSON: "{}",
			Scope: "private", ProjectID: "p", CreatedAt: t0}); err != nil {
			return err
		}
		if err := tx.CreateActionDefinition(ctx, &engine.ActionDefinition{ID: "ad", Name: "ad", Definition: "d",
			Scope: "private", ProjectID: "p", CreatedAt: t0}); err != nil {
			return err
		}
		return tx.CreateWorkbook(ctx, &engine.Workbook{ID: "wb", Name: "wb", Definition: "d", Scope: "private", ProjectID: "p", CreatedAt: t0})
	})

	// kind is one kind of row: how to read it, change a field of a copy,
	// write it, and see the field and version stored.
	type kind struct {
		name  string
		read  func() (any, error)
		set   func(copy any, v string)
		write func(tx engine.Tx, copy any) error
		field func(copy any) string
		ver   func(copy any) int64
	}
	kinds := []kind{
		{"workflow", func() (any, error) { return s.GetWorkflow(ctx, "wf", "") },
			func(c any, v string) { c.(*engine.Workflow).Definition = v },
			func(tx engine.Tx, c any) error { return tx.UpdateWorkflow(ctx, c.(*engine.Workflow)) },
			func(c any) string { return c.(*engine.Workflow).Definition },
			func(c any) int64 { return c.(*engine.Workflow).Version }},
		{"action definition", func() (any, error) { return s.GetActionDefinition(ctx, "ad", "") },
			func(c any, v string) { c.(*engine.ActionDefinition).Definition = v },
			func(tx engine.Tx, c any) error { return tx.UpdateActionDefinition(ctx, c.(*engine.ActionDefinition)) },
			func(c any) string { return c.(*engine.ActionDefinition).Definition },
			func(c any) int64 { return c.(*engine.ActionDefinition).Version }},
		{"workbook", func() (any, error) { return s.GetWorkbook(ctx, "wb", "") },
			func(c any, v string) { c.(*engine.Workbook).Definition = v },
			func(tx engine.Tx, c any) error { return tx.UpdateWorkbook(ctx, c.(*engine.Workbook)) },
			func(c any) string { return c.(*engine.Workbook).Definition },
			func(c any) int64 { return c.(*engine.Workbook).Version }},
		{"execution", func() (any, error) { return s.GetExecution(ctx, "ex") },
			func(c any, v string) { c.(*engine.Execution).PublishedGlobalJSON = `{"v": "` + v + `"}` },
			func(tx engine.Tx, c any) error {
				return tx.UpdateExecution(ctx, c.(*engine.Execution), engine.StateRunning)
			},
			func(c any) string { return c.(*engine.Execution).PublishedGlobalJSON },
			func(c any) int64 { return c.(*engine.Execution).Version }},
		{"task", func() (any, error) { return s.GetTask(ctx, "task") },
			func(c any, v string) { c.(*engine.Task).PublishedJSON = `{"v": "` + v + `"}` },
			func(tx engine.Tx, c any) error { return tx.UpdateTask(ctx, c.(*engine.Task)) },
			func(c any) string { return c.(*engine.Task).PublishedJSON },
			func(c any) int64 { return c.(*engine.Task).Version }},
		{"action execution", func() (any, error) { return s.GetActionExecution(ctx, "a00") },
			func(c any, v string) { c.(*engine.ActionExecution).OutputJSON = &v },
			func(tx engine.Tx, c any) error { return tx.UpdateActionExecution(ctx, c.(*engine.ActionExecution)) },
			func(c any) string { return *c.(*engine.ActionExecution).OutputJSON },
			func(c any) int64 { return c.(*engine.ActionExecution).Version }},
	}
	for _, k := range kinds {
		first, err := k.read()
		if err != nil {
			t.Fatalf("%s: %v", k.name, err)
		}
		second, _ := k.read()
		if v := k.ver(first); v != 0 {
			t.Errorf("%s: version of a new row = %d, want 0", k.name, v)
		}
		k.set(first, "first")
		if err := s.Update(ctx, func(tx engine.Tx) error { return k.write(tx, first) }); err != nil {
			t.Fatalf("%s: first update: %v", k.name, err)
		}
		if v := k.ver(first); v != 1 {
			t.Errorf("%s: the writer's copy has version %d after its update, want 1", k.name, v)
		}
		k.set(second, "second")
		if err := s.Update(ctx, func(tx engine.Tx) error { return k.write(tx, second) }); !errors.Is(err, fault.ErrConflict) {
			t.Errorf("%s: update of a copy read before another update: err = %v, want ErrConflict", k.name, err)
		}
		if v := k.ver(second); v != 0 {
			t.Errorf("%s: a failed update changed its copy's version to %d", k.name, v)
		}
		stored, _ := k.read()
		if got, want := k.field(stored), k.field(first); got != want || k.ver(stored) != 1 {
			t.Errorf("%s: stored %q version %d, want the first update's %q version 1", k.name, got, k.ver(stored), want)
		}
		// The first writer's copy, current again, is written twice in one
		// transaction (the engine does so).
		if err := s.Update(ctx, func(tx engine.Tx) error {
			k.set(first, "third")
			if err := k.write(tx, first); err != nil {
				return err
			}
			k.set(first, "fourth")
			return k.write(tx, first)
		}); err != nil {
			t.Errorf("%s: two updates of a current copy in one transaction: %v", k.name, err)
		}
		if stored, _ := k.read(); k.ver(stored) != 3 || k.field(stored) != k.field(first) {
			t.Errorf("%s: stored %q version %d, want %q version 3", k.name, k.field(stored), k.ver(stored), k.field(first))
		}
	}
}
