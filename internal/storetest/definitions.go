package storetest

import (
	"context"
	"testing"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// testNotFound: an unknown id is ENOTFOUND, to read or to delete (the API
// answers 404 on it).
func testNotFound(t *testing.T, h Harness) {
	s, _ := h.Open(t)
	seed(t, s, 1)
	ctx := context.Background()
	for what, err := range map[string]error{
		"GetExecution":        errOf(s.GetExecution(ctx, "nope")),
		"GetTask":             errOf(s.GetTask(ctx, "nope")),
		"GetActionExecution":  errOf(s.GetActionExecution(ctx, "nope")),
		"GetWorkflow":         errOf(s.GetWorkflow(ctx, "nope", "")),
		"GetActionDefinition": errOf(s.GetActionDefinition(ctx, "nope", "")),
		"GetWorkbook":         errOf(s.GetWorkbook(ctx, "nope", "")),
		"DeleteExecution":     s.Update(ctx, func(tx engine.Tx) error { return tx.DeleteExecution(ctx, "nope") }),
		"DeleteWorkflow":      s.Update(ctx, func(tx engine.Tx) error { return tx.DeleteWorkflow(ctx, "nope") }),
		"DeleteActionDefinition": s.Update(ctx, func(tx engine.Tx) error {
			return tx.DeleteActionDefinition(ctx, "nope")
		}),
		"DeleteWorkbook": s.Update(ctx, func(tx engine.Tx) error { return tx.DeleteWorkbook(ctx, "nope") }),
	} {
		if fault.Code(err) != fault.ENOTFOUND {
			t.Errorf("%s of an unknown id: err = %v, want ENOTFOUND", what, err)
		}
	}
	// The failed deletes undid nothing else.
	if _, err := s.GetExecution(ctx, "ex"); err != nil {
		t.Errorf("GetExecution(ex) after the failed deletes: %v", err)
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
