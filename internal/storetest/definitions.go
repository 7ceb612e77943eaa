package storetest

import (
	"context"
	"testing"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// testNotFound: an unknown id is ENOTFOUND, to read or to delete (the API
// answers 404 on it) — also one no record could have, holding a NUL
// character or bytes that are not UTF-8 (PostgreSQL's text refuses both).
func testNotFound(t *testing.T, h Harness) {
	s, _ := h.Open(t)
	seed(t, s, 1)
	ctx := context.Background()
	for _, id := range []string{"nope", "no\x00pe", "no\xffpe"} {
		for what, err := range map[string]error{
			"GetExecution":        errOf(s.GetExecution(ctx, id)),
			"GetTask":             errOf(s.GetTask(ctx, id)),
			"GetActionExecution":  errOf(s.GetActionExecution(ctx, id)),
			"GetWorkflow":         errOf(s.GetWorkflow(ctx, id, "")),
			"GetActionDefinition": errOf(s.GetActionDefinition(ctx, id, "")),
			"GetWorkbook":         errOf(s.GetWorkbook(ctx, id, "")),
			"DeleteExecution":     s.Update(ctx, func(tx engine.Tx) error { return tx.DeleteExecution(ctx, id) }),
			"DeleteWorkflow":      s.Update(ctx, func(tx engine.Tx) error { return tx.DeleteWorkflow(ctx, id) }),
			"DeleteActionDefinition": s.Update(ctx, func(tx engine.Tx) error {
				return tx.DeleteActionDefinition(ctx, id)
			}),
			"DeleteWorkbook": s.Update(ctx, func(tx engine.Tx) error { return tx.DeleteWorkbook(ctx, id) }),
		} {
			if fault.Code(err) != fault.ENOTFOUND {
				t.Errorf("%s of the unknown id %q: err = %v, want ENOTFOUND", what, id, err)
			}
		}
	}
	// The failed deletes undid nothing else.
	if _, err := s.GetExecution(ctx, "ex"); err != nil {
		t.Errorf("GetExecution(ex) after the failed deletes: %v", err)
	}
	// Looking such an id up in a transaction leaves it usable.
	err := s.Update(ctx, func(tx engine.Tx) error {
		if _, err := tx.GetExecution(ctx, "no\x00pe"); fault.Code(err) != fault.ENOTFOUND {
			t.Errorf("GetExecution of an id holding NUL in a transaction: err = %v, want ENOTFOUND", err)
		}
		ex, err := tx.GetExecution(ctx, "ex")
		if err != nil {
			return err
		}
		ex.Description = "after a lookup of what no row holds"
		return tx.UpdateExecution(ctx, ex)
	})
	if err != nil {
		t.Errorf("a transaction that looked up an id holding NUL: %v", err)
	}
	if ex, err := s.GetExecution(ctx, "ex"); err != nil || ex.Description != "after a lookup of what no row holds" {
		t.Errorf("after that transaction: %v, %v", ex, err)
	}
}

// errOf returns the error of a (value, error) pair.
func errOf[T any](_ T, err error) error { return err }

// testDefinitions: workflows, ad-hoc actions and workbooks are found by id
// (first) or by name within a namespace; a second one of the same name in the same
// namespace is ECONFLICT (the API answers 409), in another namespace it is
// another definition.
func testDefinitions(t *testing.T, h Harness) {
	s, _ := h.Open(t)
	ctx := context.Background()
	create := func(id, name, ns string) func(tx engine.Tx) error {
		return func(tx engine.Tx) error {
			if err := tx.CreateWorkflow(ctx, &engine.Workflow{ID: "wf-" + id, Name: name, Namespace: ns, Definition: "d " + id,
				InterfaceJSON: "{}", Scope: "private", ProjectID: "p", CreatedAt: t0}); err != nil {
				return err
			}
			if err := tx.CreateActionDefinition(ctx, &engine.ActionDefinition{ID: "ad-" + id, Name: name, Namespace: ns,
				Definition: "d " + id, Scope: "private", ProjectID: "p", CreatedAt: t0}); err != nil {
				return err
			}
			return tx.CreateWorkbook(ctx, &engine.Workbook{ID: "wb-" + id, Name: name, Namespace: ns, Definition: "d " + id,
				Scope: "private", ProjectID: "p", CreatedAt: t0})
		}
	}
	if err := s.Update(ctx, create("1", "flow", "")); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, create("2", "flow", "ns")); err != nil {
		t.Fatalf("the same names in another namespace: %v", err)
	}
	for _, dup := range []func(tx engine.Tx) error{
		func(tx engine.Tx) error {
			return tx.CreateWorkflow(ctx, &engine.Workflow{ID: "wf-3", Name: "flow", Namespace: "ns", Definition: "d",
				InterfaceJSON: "{}", Scope: "private", ProjectID: "p", CreatedAt: t0})
		},
		func(tx engine.Tx) error {
			return tx.CreateActionDefinition(ctx, &engine.ActionDefinition{ID: "ad-3", Name: "flow", Namespace: "ns", Definition: "d",
				Scope: "private", ProjectID: "p", CreatedAt: t0})
		},
		func(tx engine.Tx) error {
			return tx.CreateWorkbook(ctx, &engine.Workbook{ID: "wb-3", Name: "flow", Namespace: "ns", Definition: "d",
				Scope: "private", ProjectID: "p", CreatedAt: t0})
		},
	} {
		if err := s.Update(ctx, dup); fault.Code(err) != fault.ECONFLICT {
			t.Errorf("a second definition of a name in one namespace: err = %v, want ECONFLICT", err)
		}
	}
	// Named like another's id: the id wins.
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		if err := tx.CreateWorkflow(ctx, &engine.Workflow{ID: "wf-4", Name: "wf-1", Namespace: "ns", Definition: "d 4",
			InterfaceJSON: "{}", Scope: "private", ProjectID: "p", CreatedAt: t0}); err != nil {
			return err
		}
		return tx.CreateActionDefinition(ctx, &engine.ActionDefinition{ID: "ad-4", Name: "ad-1", Namespace: "ns",
			Definition: "d 4", Scope: "private", ProjectID: "p", CreatedAt: t0})
	})
	// By name within a namespace, or by id whatever the namespace.
	type lookup struct{ idOrName, ns, want string }
	for _, tc := range []lookup{{"flow", "", "d 1"}, {"flow", "ns", "d 2"}, {"wf-2", "", "d 2"}, {"wf-1", "ns", "d 1"}} {
		if w, err := s.GetWorkflow(ctx, tc.idOrName, tc.ns); err != nil || w.Definition != tc.want {
			t.Errorf("GetWorkflow(%q, %q) = %+v, %v; want definition %q", tc.idOrName, tc.ns, w, err, tc.want)
		}
	}
	for _, tc := range []lookup{{"flow", "", "d 1"}, {"flow", "ns", "d 2"}, {"ad-2", "", "d 2"}, {"ad-1", "ns", "d 1"}} {
		if d, err := s.GetActionDefinition(ctx, tc.idOrName, tc.ns); err != nil || d.Definition != tc.want {
			t.Errorf("GetActionDefinition(%q, %q) = %+v, %v; want definition %q", tc.idOrName, tc.ns, d, err, tc.want)
		}
	}
	for _, tc := range []lookup{{"flow", "", "d 1"}, {"flow", "ns", "d 2"}} {
		if b, err := s.GetWorkbook(ctx, tc.idOrName, tc.ns); err != nil || b.Definition != tc.want {
			t.Errorf("GetWorkbook(%q, %q) = %+v, %v; want definition %q", tc.idOrName, tc.ns, b, err, tc.want)
		}
	}
}
