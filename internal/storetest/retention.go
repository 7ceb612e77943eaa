package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// purgeTree writes a root execution id in state, last updated at, with a
// task id-t and an action id-a; with a subState, also a sub-execution
// id-sub of that task in subState, with its own task id-sub-t and action
// id-sub-a. Each execution gets one timeline row: 4 records a tree, 8
// with the sub-execution.
func purgeTree(t *testing.T, s engine.Store, id string, state engine.State, at time.Time, subState engine.State) {
	t.Helper()
	write := func(ctx context.Context, tx engine.Tx, exID string, st engine.State, parentTask, root *string) error {
		ex := execution(exID, at)
		ex.State, ex.TaskExecutionID, ex.RootExecutionID = st, parentTask, root
		if err := tx.CreateExecution(ctx, ex); err != nil {
			return err
		}
		tk := task(exID+"-t", exID, at)
		tk.State = st
		if err := tx.CreateTask(ctx, tk); err != nil {
			return err
		}
		return tx.CreateActionExecution(ctx, &engine.ActionExecution{ID: exID + "-a", Name: "std.async_noop", TaskExecutionID: &tk.ID,
			WorkflowExecutionID: &ex.ID, State: engine.StateSuccess, ProjectID: "p", InputJSON: "{}", CreatedAt: at, UpdatedAt: at})
	}
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		if err := write(ctx, tx, id, state, nil, nil); err != nil {
			return err
		}
		if subState == "" {
			return nil
		}
		return write(ctx, tx, id+"-sub", subState, strp(id+"-t"), strp(id))
	})
	// One update per execution's events: one timeline row each.
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		return tx.AddStateChanges(ctx, []engine.Event{{Kind: "execution", ID: id, ExecutionID: id, State: state, At: at}})
	})
	if subState != "" {
		update(t, s, func(ctx context.Context, tx engine.Tx) error {
			return tx.AddStateChanges(ctx, []engine.Event{{Kind: "execution", ID: id + "-sub", ExecutionID: id + "-sub", State: subState, At: at}})
		})
	}
}

func purge(t *testing.T, s engine.Store, q engine.PurgeQuery) engine.PurgeResult {
	t.Helper()
	var res engine.PurgeResult
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		var err error
		res, err = tx.PurgeExecutions(ctx, q)
		return err
	})
	return res
}

// exists reports whether execution id is stored.
func exists(t *testing.T, s engine.Store, id string) bool {
	t.Helper()
	_, err := s.GetExecution(context.Background(), id)
	if err != nil && fault.Code(err) != fault.ENOTFOUND {
		t.Fatal(err)
	}
	return err == nil
}

// testPurgeExecutions: a purge deletes the finished root executions
// before its bound, in its states, with their sub-executions, tasks,
// action executions, timeline, jobs, callback tokens, idempotency answers
// and approval votes; it keeps the audit records (the trail still
// verifies), a tree still running or with a running sub-execution, a
// root of a state not purged, one finished after the bound, and
// everything unrelated.
func testPurgeExecutions(t *testing.T, h Harness) {
	s, a := h.Open(t)
	ctx := context.Background()
	before := t0.Add(time.Hour)
	purgeTree(t, s, "old", engine.StateSuccess, t0, engine.StateSuccess)
	purgeTree(t, s, "failed", engine.StateError, t0.Add(time.Minute), "")
	purgeTree(t, s, "fresh", engine.StateSuccess, before.Add(time.Second), "")
	purgeTree(t, s, "running", engine.StateRunning, t0, "")
	purgeTree(t, s, "subrunning", engine.StateError, t0, engine.StateRunning)
	purgeTree(t, s, "subpaused", engine.StateCancelled, t0, engine.StatePaused)
	purgeTree(t, s, "ignored", engine.StateCancelled, t0, engine.StateCancelled)
	// Started before the bound, finished after it: not due yet.
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		ex := execution("longrun", t0)
		ex.State, ex.UpdatedAt = engine.StateSuccess, before.Add(time.Second)
		return tx.CreateExecution(ctx, ex)
	})
	request := `{"title":"go?"}`
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		for _, id := range []string{"old-sub-a", "fresh-a"} {
			ap := &engine.ActionExecution{ID: id + "p", Name: "std.approval", TaskExecutionID: strp(id[:len(id)-2] + "-t"),
				WorkflowExecutionID: strp(id[:len(id)-2]), State: engine.StateRunning, ProjectID: "p", InputJSON: "{}",
				Async: true, ApprovalJSON: &request, CreatedAt: t0, UpdatedAt: t0}
			if err := tx.CreateActionExecution(ctx, ap); err != nil {
				return err
			}
			if err := tx.PutApprovalEntry(ctx, &engine.ApprovalEntry{ActionExecutionID: ap.ID, CreatedAt: t0, Title: "go?",
				Deciders: []string{engine.DecidersAny}}); err != nil {
				return err
			}
			if err := tx.PutApprovalVote(ctx, &engine.ApprovalVote{ActionExecutionID: ap.ID, User: "ann", Approve: true,
				Channel: "api", Rule: -1, CreatedAt: t0}); err != nil {
				return err
			}
			if err := tx.AppendAudit(ctx, &engine.AuditRecord{At: t0, Actor: "ann", Channel: "api", Kind: engine.AuditDecision,
				ActionExecutionID: ap.ID, State: engine.StateSuccess, Outcome: engine.AuditAccepted}); err != nil {
				return err
			}
		}
		// A notification of the purged tree goes, with its delivery job;
		// one of a kept tree stays.
		for _, d := range []struct{ id, ex, root string }{{"dv-old", "old-sub", "old"}, {"dv-fresh", "fresh", "fresh"}} {
			if err := tx.AddDelivery(ctx, &engine.Delivery{ID: d.id, EventID: "ev-" + d.id, Event: engine.WorkflowLaunched,
				ExecutionID: d.ex, RootExecutionID: d.root, URL: "https://hooks.example.com/", HeadersJSON: "{}", Body: "{}",
				State: engine.DeliveryPending, NextAttemptAt: &t0, CreatedAt: t0, UpdatedAt: t0}); err != nil {
				return err
			}
			if err := tx.AddJob(ctx, &engine.Job{Kind: engine.JobDeliver, Ref: d.id, DueAt: t0}); err != nil {
				return err
			}
		}
		for _, ref := range []string{"old-a", "old-sub-t", "fresh-a", "unrelated"} {
			if err := tx.AddJob(ctx, &engine.Job{Kind: "k", Ref: ref, DueAt: t0}); err != nil {
				return err
			}
		}
		for _, res := range []string{"old-a", "old-sub-a", "fresh-a", "adhoc"} {
			if err := tx.PutIdempotentAnswer(ctx, &engine.IdempotentAnswer{Scope: engine.IdempotencyScope{Credential: "c",
				Route: "PUT /v2/action_executions/:id", Resource: res, Key: "k"}, RequestHash: "h", Status: 200, CreatedAt: t0}); err != nil {
				return err
			}
		}
		return nil
	})
	for _, id := range []string{"old-a", "old-sub-a", "fresh-a", "adhoc"} {
		if err := updateAccounts(a, func(tx auth.Tx) error { return tx.PutCallbackToken(ctx, id, "hash of "+id, t0) }); err != nil {
			t.Fatal(err)
		}
	}

	q := engine.PurgeQuery{Before: before, States: []engine.State{engine.StateSuccess, engine.StateError}, Limit: 1000}
	// old: 2 executions, 2 tasks, 3 actions, 2 timeline rows, 1 delivery;
	// failed: 4.
	if res := purge(t, s, q); res != (engine.PurgeResult{Executions: 2, Records: 14}) {
		t.Errorf("purge: %+v, want 2 executions, 14 records", res)
	}
	if _, err := s.GetDelivery(ctx, "dv-old"); fault.Code(err) != fault.ENOTFOUND {
		t.Errorf("the notification of a purged tree: %v, want not found", err)
	}
	if _, err := s.GetDelivery(ctx, "dv-fresh"); err != nil {
		t.Errorf("the notification of a kept tree: %v", err)
	}
	if res := purge(t, s, q); res != (engine.PurgeResult{}) {
		t.Errorf("purge again: %+v, want nothing", res)
	}
	for _, id := range []string{"old", "old-sub", "failed"} {
		if exists(t, s, id) {
			t.Errorf("execution %s was kept", id)
		}
		if evs, err := s.StateChanges(ctx, id); err != nil || len(evs) != 0 {
			t.Errorf("the timeline of %s: %+v, %v; want none", id, evs, err)
		}
	}
	for _, id := range []string{"old-t", "old-sub-t", "failed-t"} {
		if _, err := s.GetTask(ctx, id); fault.Code(err) != fault.ENOTFOUND {
			t.Errorf("task %s: %v, want not found", id, err)
		}
	}
	for _, id := range []string{"old-a", "old-sub-a", "old-sub-ap", "failed-a"} {
		if _, err := s.GetActionExecution(ctx, id); fault.Code(err) != fault.ENOTFOUND {
			t.Errorf("action %s: %v, want not found", id, err)
		}
	}
	if !exists(t, s, "longrun") {
		t.Error("an execution created before the bound and finished after it was purged")
	}
	for _, id := range []string{"fresh", "running", "subrunning", "subrunning-sub", "subpaused", "subpaused-sub", "ignored", "ignored-sub"} {
		if !exists(t, s, id) {
			t.Errorf("execution %s was purged", id)
		}
		if evs, err := s.StateChanges(ctx, id); err != nil || len(evs) != 1 {
			t.Errorf("the timeline of %s: %+v, %v; want its event", id, evs, err)
		}
	}
	for _, id := range []string{"fresh-a", "fresh-ap", "running-a", "subrunning-sub-a", "ignored-sub-a"} {
		if _, err := s.GetActionExecution(ctx, id); err != nil {
			t.Errorf("action %s: %v", id, err)
		}
	}
	if v, err := s.ApprovalVotes(ctx, "old-sub-ap"); err != nil || len(v) != 0 {
		t.Errorf("votes of a purged approval: %+v, %v; want none", v, err)
	}
	if v, err := s.ApprovalVotes(ctx, "fresh-ap"); err != nil || len(v) != 1 {
		t.Errorf("votes of a kept approval: %+v, %v; want 1", v, err)
	}
	if recs, err := s.AuditRecords(ctx, "old-sub-ap"); err != nil || len(recs) != 1 || recs[0].Actor != "ann" {
		t.Errorf("the audit record of a purged approval: %+v, %v; want it kept", recs, err)
	}
	if p, err := s.Inbox(ctx, engine.InboxQuery{Limit: 10}); err != nil || p.Pending != 1 || len(p.Items) != 1 || p.Items[0].ID != "fresh-ap" {
		t.Errorf("the inbox after the purge: %+v, %v; want fresh-ap alone", p, err)
	}
	if n, err := s.CountWaiting(ctx, engine.Viewer{User: "bob"}, 10); err != nil || n != 1 {
		t.Errorf("approvals waiting after the purge: %d, %v; want 1", n, err)
	}
	verifyTrail(t, s)
	var jobs []string
	for _, j := range claim(t, s, t0) {
		jobs = append(jobs, j.Ref)
	}
	slices.Sort(jobs)
	if !slices.Equal(jobs, []string{"dv-fresh", "fresh-a", "unrelated"}) {
		t.Errorf("jobs left: %v, want those of dv-fresh, fresh-a and unrelated", jobs)
	}
	for id, kept := range map[string]bool{"old-a": false, "old-sub-a": false, "fresh-a": true, "adhoc": true} {
		_, err := a.CallbackTokenHash(ctx, id)
		if kept != (err == nil) {
			t.Errorf("callback token of %s: %v, want kept %v", id, err, kept)
		}
		err = s.Update(ctx, func(tx engine.Tx) error {
			_, err := tx.GetIdempotentAnswer(ctx, engine.IdempotencyScope{Credential: "c", Route: "PUT /v2/action_executions/:id", Resource: id, Key: "k"})
			return err
		})
		if kept != (err == nil) {
			t.Errorf("idempotency answer for %s: %v, want kept %v", id, err, kept)
		}
	}
	// Without a bound nothing is due.
	if res := purge(t, s, engine.PurgeQuery{Limit: 1000}); res != (engine.PurgeResult{}) {
		t.Errorf("a purge without bounds: %+v, want nothing", res)
	}
}

// testPurgeKeep: past the Keep newest finished roots of the purged states
// (by creation) the older ones go, oldest first; roots of other states neither count
// nor go; with an age bound too, whichever reaches further wins.
func testPurgeKeep(t *testing.T, h Harness) {
	s, _ := h.Open(t)
	for i := range 6 {
		purgeTree(t, s, fmt.Sprintf("e%d", i), engine.StateSuccess, t0.Add(time.Duration(i)*time.Minute), "")
	}
	// Newer than all of them, but not counted: CANCELLED is not purged.
	purgeTree(t, s, "cancelled", engine.StateCancelled, t0.Add(time.Hour), "")
	ok := []engine.State{engine.StateSuccess, engine.StateError}
	if res := purge(t, s, engine.PurgeQuery{Keep: 4, States: ok, Limit: 1000}); res.Executions != 2 {
		t.Errorf("keep 4 of 6: purged %+v, want 2", res)
	}
	// The age bound reaches further than keeping 3 (e2 to e5): e2 and e3 go.
	if res := purge(t, s, engine.PurgeQuery{Keep: 3, Before: t0.Add(4 * time.Minute), States: ok, Limit: 1000}); res.Executions != 2 {
		t.Errorf("keep 3, or older than e4: purged %+v, want 2", res)
	}
	// Keeping 1 reaches further than the age bound.
	if res := purge(t, s, engine.PurgeQuery{Keep: 1, Before: t0, States: ok, Limit: 1000}); res.Executions != 1 {
		t.Errorf("keep 1 of 2: purged %+v, want 1", res)
	}
	for id, kept := range map[string]bool{"e0": false, "e1": false, "e2": false, "e3": false, "e4": false, "e5": true, "cancelled": true} {
		if got := exists(t, s, id); got != kept {
			t.Errorf("execution %s kept: %v, want %v", id, got, kept)
		}
	}
	if res := purge(t, s, engine.PurgeQuery{Keep: 1, States: ok, Limit: 1000}); res != (engine.PurgeResult{}) {
		t.Errorf("keep 1 of 1: %+v, want nothing", res)
	}
}

// testPurgeBatches: a call deletes at most Limit records; a tree larger
// than that goes over several calls, its records first and its root last
// (counted once, by the call that deletes it); small trees go several to
// a call, oldest first.
func testPurgeBatches(t *testing.T, h Harness) {
	s, _ := h.Open(t)
	purgeTree(t, s, "big", engine.StateSuccess, t0, engine.StateSuccess)    // 8 records
	purgeTree(t, s, "next", engine.StateSuccess, t0.Add(time.Second), "")   // 4
	purgeTree(t, s, "last", engine.StateSuccess, t0.Add(2*time.Second), "") // 4
	purgeTree(t, s, "kept", engine.StateSuccess, t0.Add(time.Hour), "")     // after the bound
	update(t, s, func(ctx context.Context, tx engine.Tx) error {            // 5 more actions: 13 records in big
		for i := range 5 {
			if err := tx.CreateActionExecution(ctx, &engine.ActionExecution{ID: fmt.Sprintf("big-x%d", i), Name: "std.noop",
				TaskExecutionID: strp("big-t"), WorkflowExecutionID: strp("big"), State: engine.StateSuccess, ProjectID: "p",
				InputJSON: "{}", CreatedAt: t0, UpdatedAt: t0}); err != nil {
				return err
			}
		}
		return nil
	})
	q := engine.PurgeQuery{Before: t0.Add(time.Minute), Limit: 5}
	var calls []engine.PurgeResult
	total := 0
	for range 20 {
		res := purge(t, s, q)
		calls = append(calls, res)
		total += res.Executions
		if res.Records > q.Limit {
			t.Errorf("call %d deleted %d records, more than %d", len(calls), res.Records, q.Limit)
		}
		if exists(t, s, "big") && total > 0 {
			t.Errorf("call %d counted an execution while big, the oldest, is still there", len(calls))
		}
		if !exists(t, s, "big") && total == 0 {
			t.Errorf("call %d deleted big without counting it", len(calls))
		}
		if res.Records == 0 {
			break
		}
	}
	records := 0
	for _, c := range calls {
		records += c.Records
	}
	if total != 3 || records != 13+4+4 || calls[len(calls)-1] != (engine.PurgeResult{}) {
		t.Errorf("calls %+v: want 3 executions and 21 records in all, then nothing", calls)
	}
	if !exists(t, s, "kept") {
		t.Error("the execution after the bound was purged")
	}
	// Three roots of one record each, two to a call.
	for i := range 3 {
		update(t, s, func(ctx context.Context, tx engine.Tx) error {
			ex := execution(fmt.Sprintf("bare%d", i), t0.Add(time.Duration(i)*time.Second))
			ex.State = engine.StateError
			return tx.CreateExecution(ctx, ex)
		})
	}
	q.Limit = 2
	if res := purge(t, s, q); res != (engine.PurgeResult{Executions: 2, Records: 2}) || exists(t, s, "bare0") || exists(t, s, "bare1") || !exists(t, s, "bare2") {
		t.Errorf("two bare roots a call: %+v", res)
	}
}

// testEnsureJob: EnsureJob adds a job once per kind and ref, brings a
// waiting one forward (never back), and leaves a leased one alone.
func testEnsureJob(t *testing.T, h Harness) {
	s, _ := h.Open(t)
	ensure := func(kind, ref string, due time.Time) {
		t.Helper()
		update(t, s, func(ctx context.Context, tx engine.Tx) error {
			return tx.EnsureJob(ctx, &engine.Job{Kind: kind, Ref: ref, DueAt: due})
		})
	}
	ensure("retention", "executions", t0.Add(time.Hour))
	ensure("retention", "executions", t0.Add(2*time.Hour)) // later: no change
	ensure("other", "executions", t0.Add(time.Hour))
	if due, ok, err := s.NextJobDue(context.Background()); err != nil || !ok || !due.Equal(t0.Add(time.Hour)) {
		t.Errorf("next job due %v, %v, %v; want %v", due, ok, err, t0.Add(time.Hour))
	}
	ensure("retention", "executions", t0) // sooner: brought forward
	jobs := claim(t, s, t0)
	if len(jobs) != 1 || jobs[0].Kind != "retention" || !jobs[0].DueAt.Equal(t0) {
		t.Fatalf("due at t0: %+v, want the one retention job", jobs)
	}
	ensure("retention", "executions", t0.Add(-time.Hour)) // leased: left alone, no second job
	if more := claim(t, s, t0.Add(30*time.Second)); len(more) != 0 {
		t.Errorf("while leased: %+v, want no job due", more)
	}
	if left := claim(t, s, t0.Add(90*time.Minute)); len(left) != 2 {
		t.Errorf("after the lease and the hour: %+v, want the two jobs", left)
	}
}
