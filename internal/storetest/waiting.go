package storetest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// seedApprovals writes, in execution ex, one pending approval per entry
// (its action's id is the entry's, created a second apart in the order
// given) and one pending std.async_noop, "noop", between them.
func seedApprovals(t *testing.T, s engine.Store, entries ...*engine.ApprovalEntry) {
	t.Helper()
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		if err := tx.CreateExecution(ctx, execution("ex", t0)); err != nil {
			return err
		}
		if err := tx.CreateTask(ctx, task("task", "ex", t0)); err != nil {
			return err
		}
		request := `{"title": "x"}`
		for i, e := range entries {
			e.CreatedAt = t0.Add(time.Duration(i) * time.Second)
			a := &engine.ActionExecution{ID: e.ActionExecutionID, Name: "std.approval", TaskExecutionID: strp("task"),
				WorkflowExecutionID: strp("ex"), State: engine.StateRunning, ProjectID: "p", InputJSON: "{}", Async: true,
				ApprovalJSON: &request, CreatedAt: e.CreatedAt, UpdatedAt: e.CreatedAt}
			if err := tx.CreateActionExecution(ctx, a); err != nil {
				return err
			}
			if err := tx.PutApprovalEntry(ctx, e); err != nil {
				return err
			}
		}
		at := t0.Add(1500 * time.Millisecond)
		return tx.CreateActionExecution(ctx, &engine.ActionExecution{ID: "noop", Name: "std.async_noop", TaskExecutionID: strp("task"),
			WorkflowExecutionID: strp("ex"), State: engine.StateRunning, ProjectID: "p", InputJSON: "{}", Async: true, CreatedAt: at, UpdatedAt: at})
	})
}

// testWaiting: the approvals waiting for a person are those whose
// deciders name them, one of their groups or anyone; not those that
// exclude them (they asked for it, started it, or voted). Counts stop at
// their limit;
// "waiting for me" pages both ways in either order and takes the inbox's
// filters; every row of the inbox says whether it waits for its viewer
// and what it still lacks. An entry put again replaces the first; an
// approval that leaves RUNNING and PAUSED waits for nobody, a paused one
// still waits.
func testWaiting(t *testing.T, h Harness) {
	s, _ := h.Open(t)
	ctx := context.Background()
	entry := func(id string, deciders []string, notSelf [2]string) *engine.ApprovalEntry {
		e := &engine.ApprovalEntry{ActionExecutionID: id, Title: "Title of " + id, RequestedBy: notSelf[0], Deciders: deciders,
			Missing: "1 more approval"}
		for _, u := range notSelf {
			if u != "" {
				e.Excluded = append(e.Excluded, u)
			}
		}
		return e
	}
	seedApprovals(t, s,
		entry("any", []string{engine.DecidersAny}, [2]string{"rita", "sam"}),
		// ann by name and by her group: listed once.
		entry("fin", []string{"group:finance", "user:ann"}, [2]string{"rita", ""}),
		entry("sec", []string{"group:security"}, [2]string{"rita", ""}),
		// ann asked for it: someone else decides.
		entry("own", []string{"group:finance"}, [2]string{"ann", "rita"}),
		entry("self", []string{"group:finance"}, [2]string{}), // ann asked, self-approval allowed
		entry("bob", []string{"user:bob"}, [2]string{}),
	)
	ann := engine.Viewer{User: "ann", Groups: []string{"finance", "ops"}}
	sec := engine.Viewer{User: "sid", Groups: []string{"security"}}

	count := func(v engine.Viewer, limit int) int {
		t.Helper()
		n, err := s.CountWaiting(ctx, v, limit)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	mine := func(q engine.InboxQuery) *engine.InboxPage {
		t.Helper()
		q.Viewer, q.Mine = &ann, true
		if q.Limit == 0 {
			q.Limit = 10
		}
		p, err := s.Inbox(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	if n := count(ann, 100); n != 3 {
		t.Errorf("CountWaiting(ann) = %d, want 3 (any, fin, self)", n)
	}
	if n := count(ann, 2); n != 2 {
		t.Errorf("CountWaiting(ann, limit 2) = %d, want 2", n)
	}
	if n := count(sec, 100); n != 2 {
		t.Errorf("CountWaiting(sid) = %d, want 2 (any, sec)", n)
	}
	if n := count(engine.Viewer{User: "rita", Groups: []string{"finance", "security"}}, 100); n != 1 {
		t.Errorf("CountWaiting(rita) = %d, want 1 (self): she asked for the others", n)
	}
	p := mine(engine.InboxQuery{})
	if got, want := inboxIDs(p), []string{"any", "fin", "self"}; !reflect.DeepEqual(got, want) {
		t.Errorf("waiting for ann: %v, want %v", got, want)
	}
	if p.Matching != 3 || p.MatchingCapped {
		t.Errorf("waiting for ann: matching %d (capped %v), want 3", p.Matching, p.MatchingCapped)
	}
	if a := p.Items[1].Approval; a == nil || *a != (engine.InboxApproval{Title: "Title of fin", RequestedBy: "rita", Missing: "1 more approval", MayDecide: true}) {
		t.Errorf("the row of fin: %+v", a)
	}

	// Pages both ways, in either order.
	p1 := mine(engine.InboxQuery{Limit: 2})
	if got := inboxIDs(p1); !reflect.DeepEqual(got, []string{"any", "fin"}) || p1.Next == nil || p1.Prev != nil {
		t.Fatalf("first page of 2: %v next %v prev %v", got, p1.Next, p1.Prev)
	}
	p2 := mine(engine.InboxQuery{Limit: 2, After: p1.Next})
	if got := inboxIDs(p2); !reflect.DeepEqual(got, []string{"self"}) || p2.Next != nil || p2.Prev == nil {
		t.Fatalf("second page: %v next %v prev %v", got, p2.Next, p2.Prev)
	}
	if got := inboxIDs(mine(engine.InboxQuery{Limit: 2, Before: p2.Prev})); !reflect.DeepEqual(got, []string{"any", "fin"}) {
		t.Errorf("back from the second page: %v", got)
	}
	if got := inboxIDs(mine(engine.InboxQuery{Newest: true})); !reflect.DeepEqual(got, []string{"self", "fin", "any"}) {
		t.Errorf("newest first: %v", got)
	}
	// The inbox's filters narrow it, and its count.
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		a, err := tx.GetActionExecution(ctx, "fin")
		if err != nil {
			return err
		}
		a.State = engine.StatePaused // a paused approval still waits
		return tx.UpdateActionExecution(ctx, a)
	})
	if p := mine(engine.InboxQuery{Search: "no such text"}); len(p.Items) != 0 || p.Matching != 0 {
		t.Errorf("a search nothing matches: %v, matching %d", inboxIDs(p), p.Matching)
	}
	if p := mine(engine.InboxQuery{Action: "std.approval"}); len(p.Items) != 3 || p.Matching != 3 {
		t.Errorf("filtered by action: %v, matching %d; want 3 (one paused)", inboxIDs(p), p.Matching)
	}

	// The whole inbox marks the rows that wait for its viewer.
	all, err := s.Inbox(ctx, engine.InboxQuery{Viewer: &ann, Limit: 20})
	if err != nil {
		t.Fatal(err)
	}
	marks := map[string]string{}
	for _, it := range all.Items {
		switch {
		case it.Approval == nil:
			marks[it.ID] = "not an approval"
		case it.Approval.MayDecide:
			marks[it.ID] = "waits"
		default:
			marks[it.ID] = "read-only"
		}
	}
	want := map[string]string{"any": "waits", "fin": "waits", "sec": "read-only", "own": "read-only", "self": "waits", "bob": "read-only", "noop": "not an approval"}
	if !reflect.DeepEqual(marks, want) {
		t.Errorf("rows for ann: %v, want %v", marks, want)
	}
	if all.Pending != 7 {
		t.Errorf("pending %d, want 7", all.Pending)
	}

	// An entry put again replaces the first: who may decide, who not
	// (ann voted on any), what is missing.
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		e := entry("any", []string{engine.DecidersAny}, [2]string{"rita", "sam"})
		e.CreatedAt, e.Excluded = t0, append(e.Excluded, "ann")
		if err := tx.PutApprovalEntry(ctx, e); err != nil {
			return err
		}
		e = entry("fin", []string{"group:security"}, [2]string{"rita", ""})
		e.CreatedAt, e.Missing = t0.Add(time.Second), "1 more from security"
		return tx.PutApprovalEntry(ctx, e)
	})
	if got := inboxIDs(mine(engine.InboxQuery{})); !reflect.DeepEqual(got, []string{"self"}) {
		t.Errorf("after ann's vote on any and fin given to security: %v, want [self]", got)
	}
	if p := mine(engine.InboxQuery{}); p.Matching != 1 {
		t.Errorf("counted waiting for ann: %d, want 1", p.Matching)
	}
	if n := count(sec, 100); n != 3 {
		t.Errorf("CountWaiting(sid) = %d, want 3 (any, fin, sec)", n)
	}
	if p, err := s.Inbox(ctx, engine.InboxQuery{Viewer: &sec, Mine: true, Limit: 10}); err != nil || len(p.Items) != 3 || p.Items[1].Approval.Missing != "1 more from security" {
		t.Errorf("waiting for sid: %+v (%v), want fin second, missing 1 more from security", p, err)
	}

	// Decided, cancelled: waiting for nobody.
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		for id, state := range map[string]engine.State{"sec": engine.StateSuccess, "any": engine.StateCancelled} {
			a, err := tx.GetActionExecution(ctx, id)
			if err != nil {
				return err
			}
			a.State = state
			if err := tx.UpdateActionExecution(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})
	if n := count(sec, 100); n != 1 {
		t.Errorf("CountWaiting(sid) after sec and any ended = %d, want 1 (fin)", n)
	}
	if n := count(engine.Viewer{User: "zoe"}, 100); n != 0 {
		t.Errorf("CountWaiting(zoe) after any ended = %d, want 0", n)
	}
	// Deleting the execution takes its approvals' entries.
	update(t, s, func(ctx context.Context, tx engine.Tx) error { return tx.DeleteExecution(ctx, "ex") })
	if n := count(ann, 100) + count(sec, 100) + count(engine.Viewer{User: "bob"}, 100); n != 0 {
		t.Errorf("after the execution was deleted %d approvals wait", n)
	}
}
