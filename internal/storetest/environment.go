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

// testEnvironments: environments read back as written (variables' JSON
// text verbatim, times to the microsecond, updated_at null until an
// update), by name; a name taken is ECONFLICT; an update is guarded by the
// version read and increments it; unknown names and ids are ENOTFOUND;
// lists follow the query (order, filters, keyset pages, EINVALID for an
// unknown field).
func testEnvironments(t *testing.T, h Harness) {
	s, _ := h.Open(t)
	ctx := context.Background()
	at := t0.Add(123456 * time.Microsecond)
	mk := func(id, name string, created time.Time) *engine.Environment {
		return &engine.Environment{ID: id, Name: name, Description: "d " + name, VariablesJSON: `{"z": 1,  "a": "\u00e9"}`,
			Scope: "private", ProjectID: "p", CreatedAt: created}
	}
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		for _, e := range []*engine.Environment{mk("e2", "second", at.Add(time.Second)), mk("e1", "first", at), mk("e3", "third", at.Add(2*time.Second))} {
			if err := tx.CreateEnvironment(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
	got, err := s.GetEnvironment(ctx, "first")
	if err != nil {
		t.Fatal(err)
	}
	want := mk("e1", "first", at)
	if !got.CreatedAt.Equal(want.CreatedAt) || got.UpdatedAt != nil {
		t.Errorf("times read back: created %v updated %v, want %v and nil", got.CreatedAt, got.UpdatedAt, want.CreatedAt)
	}
	got.CreatedAt = want.CreatedAt
	if !reflect.DeepEqual(got, want) {
		t.Errorf("GetEnvironment(first) = %+v, want %+v", got, want)
	}

	// A name taken.
	err = s.Update(ctx, func(tx engine.Tx) error { return tx.CreateEnvironment(ctx, mk("e9", "first", at)) })
	if fault.Code(err) != fault.ECONFLICT {
		t.Errorf("a second environment named first: %v, want ECONFLICT", err)
	}

	// Versions: two writers read version 0; the second write fails.
	a, _ := s.GetEnvironment(ctx, "second")
	b, _ := s.GetEnvironment(ctx, "second")
	now := at.Add(time.Hour)
	a.VariablesJSON, a.Description, a.Scope, a.UpdatedAt = `{"k": [1, 2]}`, "", "public", &now
	update(t, s, func(ctx context.Context, tx engine.Tx) error { return tx.UpdateEnvironment(ctx, a) })
	if a.Version != 1 {
		t.Errorf("version after an update: %d, want 1", a.Version)
	}
	b.VariablesJSON = `{"lost": true}`
	if err := s.Update(ctx, func(tx engine.Tx) error { return tx.UpdateEnvironment(ctx, b) }); !errors.Is(err, fault.ErrConflict) {
		t.Errorf("an update from a stale version: %v, want ErrConflict", err)
	}
	got, _ = s.GetEnvironment(ctx, "second")
	if got.VariablesJSON != `{"k": [1, 2]}` || got.Description != "" || got.Scope != "public" || got.Version != 1 ||
		got.UpdatedAt == nil || !got.UpdatedAt.Equal(now) {
		t.Errorf("after the updates: %+v, want the first writer's change at version 1", got)
	}

	// Lists: created_at order by default, filters, keyset pages.
	names := func(q engine.ListQuery) []string {
		t.Helper()
		l, err := s.ListEnvironments(ctx, q)
		if err != nil {
			t.Fatalf("ListEnvironments(%+v): %v", q, err)
		}
		out := []string{}
		for _, e := range l {
			out = append(out, e.Name)
		}
		return out
	}
	for _, c := range []struct {
		q    engine.ListQuery
		want []string
	}{
		{engine.ListQuery{}, []string{"first", "second", "third"}},
		{engine.ListQuery{SortKeys: []string{"name"}, SortDirs: []string{"desc"}}, []string{"third", "second", "first"}},
		{engine.ListQuery{Filters: []engine.Filter{{Field: "scope", Op: engine.OpEq, Values: []string{"public"}}}}, []string{"second"}},
		{engine.ListQuery{Limit: 1, Marker: "e1"}, []string{"second"}},
	} {
		if got := names(c.q); !reflect.DeepEqual(got, c.want) {
			t.Errorf("ListEnvironments(%+v) = %v, want %v", c.q, got, c.want)
		}
	}
	if _, err := s.ListEnvironments(ctx, engine.ListQuery{Filters: []engine.Filter{{Field: "nope", Op: engine.OpEq, Values: []string{"x"}}}}); fault.Code(err) != fault.EINVALID {
		t.Errorf("a filter on an unknown field: %v, want EINVALID", err)
	}

	// Delete; unknown names and ids.
	update(t, s, func(ctx context.Context, tx engine.Tx) error { return tx.DeleteEnvironment(ctx, "e1") })
	if _, err := s.GetEnvironment(ctx, "first"); fault.Code(err) != fault.ENOTFOUND {
		t.Errorf("GetEnvironment after its delete: %v, want ENOTFOUND", err)
	}
	if err := s.Update(ctx, func(tx engine.Tx) error { return tx.DeleteEnvironment(ctx, "e1") }); fault.Code(err) != fault.ENOTFOUND {
		t.Errorf("DeleteEnvironment of an unknown id: %v, want ENOTFOUND", err)
	}
	if got := names(engine.ListQuery{}); !reflect.DeepEqual(got, []string{"second", "third"}) {
		t.Errorf("after the delete: %v", got)
	}
}
