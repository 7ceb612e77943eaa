package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// testListQueries: filters, sort keys and keyset markers of the API's lists;
// names the store does not know are EINVALID, an unknown marker ENOTFOUND.
func testListQueries(t *testing.T, h Harness) {
	s, _ := h.Open(t)
	seed(t, s, 10)
	ctx := context.Background()
	q := func(lq engine.ListQuery) []string {
		t.Helper()
		list, err := s.ListActionExecutions(ctx, lq)
		if err != nil {
			t.Fatalf("%+v: %v", lq, err)
		}
		return ids(list)
	}
	f := func(field, op string, v ...string) engine.Filter {
		return engine.Filter{Field: field, Op: op, Values: v}
	}
	tests := []struct {
		name string
		q    engine.ListQuery
		want string
	}{
		{"default order", engine.ListQuery{Limit: 3}, "[a00 a01 a02]"},
		{"desc", engine.ListQuery{Limit: 3, SortKeys: []string{"created_at"}, SortDirs: []string{"desc"}}, "[a09 a08 a07]"},
		{"marker", engine.ListQuery{Limit: 3, Marker: "a02"}, "[a03 a04 a05]"},
		{"marker desc", engine.ListQuery{Limit: 3, Marker: "a07", SortKeys: []string{"created_at"}, SortDirs: []string{"desc"}}, "[a06 a05 a04]"},
		{"eq", engine.ListQuery{Filters: []engine.Filter{f("state", engine.OpEq, "SUCCESS")}}, "[a00 a03 a06 a09]"},
		{"in", engine.ListQuery{Limit: 2, Filters: []engine.Filter{f("state", engine.OpIn, "RUNNING", "PAUSED")}}, "[a01 a02]"},
		{"neq with marker", engine.ListQuery{Marker: "a05", Filters: []engine.Filter{f("state", engine.OpNeq, "SUCCESS")}}, "[a07 a08]"},
		{"time gte", engine.ListQuery{Filters: []engine.Filter{f("created_at", engine.OpGte, "2026-11-27 21:00:08")}}, "[a08 a09]"},
		{"time eq", engine.ListQuery{Filters: []engine.Filter{f("created_at", engine.OpEq, "2026-11-27 21:00:04")}}, "[a04]"},
		{"bool", engine.ListQuery{Filters: []engine.Filter{f("accepted", engine.OpEq, "false"), f("id", engine.OpLt, "a02")}}, "[a00 a01]"},
		{"has", engine.ListQuery{Filters: []engine.Filter{f("id", engine.OpHas, "9")}}, "[a09]"},
	}
	for _, tt := range tests {
		if got := fmt.Sprint(q(tt.q)); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}

	bad := []engine.ListQuery{
		{SortKeys: []string{"created_at; DROP TABLE jobs"}},
		{SortKeys: []string{"definition"}},
		{SortDirs: []string{"sideways"}},
		{Filters: []engine.Filter{f("1=1 OR state", engine.OpEq, "x")}},
		{Filters: []engine.Filter{f("state", "like", "x")}},
		{Filters: []engine.Filter{f("accepted", engine.OpEq, "maybe")}},
		{Nulls: []string{"nope"}},
	}
	for _, lq := range bad {
		if _, err := s.ListActionExecutions(ctx, lq); fault.Code(err) != fault.EINVALID {
			t.Errorf("%+v: err = %v, want EINVALID", lq, err)
		}
	}
	if _, err := s.ListActionExecutions(ctx, engine.ListQuery{Marker: "nope"}); fault.Code(err) != fault.ENOTFOUND {
		t.Errorf("unknown marker: err = %v, want ENOTFOUND", err)
	}

	// Fields: what is named comes back as in the whole row; input and
	// output may be left out only when not named.
	out := `{"result": 2}`
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		tk := "task"
		return tx.CreateActionExecution(ctx, &engine.ActionExecution{ID: "a99", Name: "std.echo", TaskExecutionID: &tk,
			State: engine.StateSuccess, ProjectID: "p", InputJSON: `{"output": 2}`, OutputJSON: &out, CreatedAt: t0.Add(time.Hour), UpdatedAt: t0.Add(time.Hour)})
	})
	full, err := s.ListActionExecutions(ctx, engine.ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, fields := range [][]string{{"id", "state", "name"}, {"input", "output", "created_at"}} {
		light, err := s.ListActionExecutions(ctx, engine.ListQuery{Fields: fields})
		if err != nil {
			t.Fatalf("fields %v: %v", fields, err)
		}
		if len(light) != len(full) {
			t.Fatalf("fields %v: %d rows, want %d", fields, len(light), len(full))
		}
		for i, a := range light {
			b := full[i]
			same := a.ID == b.ID && a.State == b.State && a.Name == b.Name && a.CreatedAt.Equal(b.CreatedAt)
			if slices.Contains(fields, "input") {
				same = same && a.InputJSON == b.InputJSON && (a.OutputJSON == nil) == (b.OutputJSON == nil) &&
					(a.OutputJSON == nil || *a.OutputJSON == *b.OutputJSON)
			}
			if !same {
				t.Errorf("fields %v, row %d: %+v, want as %+v", fields, i, a, b)
			}
		}
	}

	// Paging through with markers gives the whole list, in its order,
	// whichever form the keyset takes: one row-value comparison (keys
	// sorted one way, no NULL in the marker) or the general one (mixed
	// directions; workflow_name is NULL on every seeded action).
	for _, sort := range []struct{ keys, dirs []string }{
		{nil, nil},
		{[]string{"created_at", "id"}, []string{"desc", "desc"}},
		{[]string{"state", "created_at"}, []string{"asc", "asc"}},
		{[]string{"state", "created_at"}, []string{"desc", "asc"}},
		{[]string{"state"}, []string{"desc"}},
		{[]string{"workflow_name", "created_at"}, []string{"asc", "asc"}},
	} {
		all := q(engine.ListQuery{SortKeys: sort.keys, SortDirs: sort.dirs})
		var paged []string
		for marker := ""; ; {
			page := q(engine.ListQuery{SortKeys: sort.keys, SortDirs: sort.dirs, Limit: 3, Marker: marker})
			paged = append(paged, page...)
			if len(page) < 3 || len(paged) > len(all) {
				break
			}
			marker = page[len(page)-1]
		}
		if !slices.Equal(paged, all) || len(all) != 11 { // a00-a09 and a99
			t.Errorf("sorted by %v %v: paged %v, whole list %v", sort.keys, sort.dirs, paged, all)
		}
	}
}

// testOldestFirst: lists default to creation order, ties broken by id (so
// that pages are stable), markers included; a task's and an execution's
// children come oldest first whatever their ids.
func testOldestFirst(t *testing.T, h Harness) {
	s, _ := h.Open(t)
	ctx := context.Background()
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		for id, at := range map[string]time.Duration{"x-c": 0, "x-a": time.Second, "x-b": time.Second, "x-0": 2 * time.Second} {
			if err := tx.CreateExecution(ctx, execution(id, t0.Add(at))); err != nil {
				return err
			}
		}
		for i, id := range []string{"t1", "t2", "t3"} { // t3 oldest
			if err := tx.CreateTask(ctx, task(id, "x-a", t0.Add(time.Duration(3-i)*time.Second))); err != nil {
				return err
			}
		}
		tk := "t1"
		for i, id := range []string{"b1", "b2", "b3"} { // b3 oldest
			at := t0.Add(time.Duration(3-i) * time.Second)
			if err := tx.CreateActionExecution(ctx, &engine.ActionExecution{ID: id, Name: "std.noop", TaskExecutionID: &tk,
				State: engine.StateRunning, ProjectID: "p", InputJSON: "{}", CreatedAt: at, UpdatedAt: at}); err != nil {
				return err
			}
		}
		return nil
	})
	desc := engine.ListQuery{SortKeys: []string{"created_at"}, SortDirs: []string{"desc"}}
	for _, tc := range []struct {
		name string
		q    engine.ListQuery
		want []string
	}{
		{"default", engine.ListQuery{}, []string{"x-c", "x-a", "x-b", "x-0"}},
		{"marker in a tie", engine.ListQuery{Marker: "x-a", Limit: 2}, []string{"x-b", "x-0"}},
		{"desc", desc, []string{"x-0", "x-a", "x-b", "x-c"}},
		{"desc, marker in a tie", engine.ListQuery{SortKeys: desc.SortKeys, SortDirs: desc.SortDirs, Marker: "x-a"}, []string{"x-b", "x-c"}},
		{"both keys desc, marker in a tie", engine.ListQuery{SortKeys: []string{"created_at", "id"}, SortDirs: []string{"desc", "desc"}, Marker: "x-b"}, []string{"x-a", "x-c"}},
	} {
		list, err := s.ListExecutions(ctx, tc.q)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var got []string
		for _, e := range list {
			got = append(got, e.ID)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("ListExecutions, %s: %v, want %v", tc.name, got, tc.want)
		}
	}
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		tasks, err := tx.TasksOf(ctx, "x-a")
		if err != nil {
			return err
		}
		var got []string
		for _, k := range tasks {
			got = append(got, k.ID)
		}
		if want := []string{"t3", "t2", "t1"}; !slices.Equal(got, want) {
			t.Errorf("TasksOf = %v, want %v", got, want)
		}
		actions, err := tx.ActionExecutionsOf(ctx, "t1")
		if err != nil {
			return err
		}
		if got, want := ids(actions), []string{"b3", "b2", "b1"}; !slices.Equal(got, want) {
			t.Errorf("ActionExecutionsOf = %v, want %v", got, want)
		}
		return nil
	})
}

// testCountTasks: the engine ends a workflow when none of its tasks is
// busy: running, or finished with its transitions not yet run (processed
// false); WAITING ones (a join not reached) are not.
func testCountTasks(t *testing.T, h Harness) {
	s, _ := h.Open(t)
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		for _, id := range []string{"ex", "other"} {
			if err := tx.CreateExecution(ctx, execution(id, t0)); err != nil {
				return err
			}
		}
		for i, tc := range []struct {
			state     engine.State
			processed bool
		}{
			{engine.StateRunning, false},   // busy
			{engine.StateIdle, false},      // busy
			{engine.StateWaiting, false},   // not
			{engine.StateSuccess, false},   // busy
			{engine.StateSuccess, true},    // not
			{engine.StateError, true},      // not
			{engine.StateCancelled, false}, // busy
			{engine.StateCancelled, true},  // not
		} {
			k := task(fmt.Sprint("t", i), "ex", t0)
			k.State, k.Processed = tc.state, tc.processed
			if err := tx.CreateTask(ctx, k); err != nil {
				return err
			}
		}
		return tx.CreateTask(ctx, task("elsewhere", "other", t0))
	})
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		busy, total, err := tx.CountTasks(ctx, "ex")
		if err != nil || busy != 4 || total != 8 {
			t.Errorf("CountTasks = %d busy of %d, %v; want 4 of 8", busy, total, err)
		}
		if n, err := tx.TaskCount(ctx, "ex"); err != nil || n != 8 {
			t.Errorf("TaskCount = %d, %v; want 8", n, err)
		}
		if busy, total, err := tx.CountTasks(ctx, "none"); err != nil || busy != 0 || total != 0 {
			t.Errorf("CountTasks of an execution without tasks = %d of %d, %v", busy, total, err)
		}
		return nil
	})
}
