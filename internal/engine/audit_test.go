package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// admin is the person of the administrative tests, as guard.Decider makes
// them from an API request.
var admin = &engine.Decider{User: "root", Groups: []string{"ops"}, Role: "admin", MayDecide: true, Admin: true,
	Channel: engine.ViaCLI, Addr: "192.0.2.7"}

// adminRecords returns the audit trail's admin records, oldest first.
func adminRecords(t *testing.T, e *engine.Engine) []*engine.AuditRecord {
	t.Helper()
	recs, err := e.ListAudit(context.Background(), engine.AuditQuery{Kind: engine.AuditAdmin, Limit: engine.MaxAuditPage})
	if err != nil {
		t.Fatal(err)
	}
	for i, j := 0, len(recs)-1; i < j; i, j = i+1, j-1 {
		recs[i], recs[j] = recs[j], recs[i]
	}
	return recs
}

// TestAuditDefinitions: creating, updating and deleting workflows, ad-hoc
// actions and workbooks each leave one admin record naming who, through
// what, from where, and what was done (with the definition's digest).
func TestAuditDefinitions(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, store string) {
		t.Parallel()
		ctx := context.Background()
		e := newEngineOn(t, store, engine.Config{})
		wf := "version: '2.0'\nflow:\n  tasks:\n    t:\n      action: std.noop\n"
		act := "version: '2.0'\nmy_echo:\n  base: std.echo\n  base-input:\n    output: hi\n"
		wb := "version: '2.0'\nname: book\nworkflows:\n  inner:\n    tasks:\n      t:\n        action: std.noop\n"
		steps := []struct {
			name string
			do   func() error
			want string
		}{
			{"create workflows", func() error { _, err := e.CreateWorkflows(ctx, admin, wf, "ns", ""); return err },
				`create workflows flow (namespace "ns", scope private), definition sha256:`},
			{"update workflows", func() error { _, err := e.UpdateWorkflows(ctx, admin, wf, "ns", "public"); return err },
				`update workflows flow (namespace "ns", scope public), definition sha256:`},
			{"delete workflow", func() error { return e.DeleteWorkflow(ctx, admin, "flow", "ns") }, `delete workflow flow (id `},
			{"create actions", func() error { _, err := e.CreateActions(ctx, admin, act, "", ""); return err },
				`create actions my_echo (namespace "", scope private)`},
			{"update actions", func() error { _, err := e.UpdateActions(ctx, admin, act, "", ""); return err }, `update actions my_echo`},
			{"delete action", func() error { return e.DeleteAction(ctx, admin, "my_echo", "") }, `delete action my_echo (id `},
			{"create workbook", func() error { _, err := e.CreateWorkbook(ctx, admin, wb, "", ""); return err }, `create workbook book`},
			{"update workbook", func() error { _, err := e.UpdateWorkbook(ctx, admin, wb, "", ""); return err }, `update workbook book`},
			{"delete workbook", func() error { return e.DeleteWorkbook(ctx, admin, "book", "") }, `delete workbook book (id `},
		}
		for i, s := range steps {
			if err := s.do(); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			recs := adminRecords(t, e)
			if len(recs) != i+1 {
				t.Fatalf("after %s: %d admin records, want %d", s.name, len(recs), i+1)
			}
			r := recs[i]
			if !strings.HasPrefix(r.Reason, s.want) || r.Actor != "root" || r.Channel != engine.ViaCLI || r.Addr != "192.0.2.7" ||
				strings.Join(r.Groups, ",") != "ops" || r.Outcome != engine.AuditAccepted {
				t.Errorf("%s: recorded %+v, want reason starting %q by root via cli", s.name, r, s.want)
			}
		}
		// A refused change (a duplicate) leaves nothing: it did not happen.
		if _, err := e.CreateActions(ctx, admin, act, "", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := e.CreateActions(ctx, admin, act, "", ""); fault.Code(err) != fault.ECONFLICT {
			t.Fatalf("duplicate: %v", err)
		}
		if n := len(adminRecords(t, e)); n != len(steps)+1 {
			t.Errorf("%d admin records after a refused duplicate, want %d", n, len(steps)+1)
		}
		// What the server does of itself is recorded too, with no person.
		if _, err := e.CreateWorkflows(ctx, nil, wf, "", ""); err != nil {
			t.Fatal(err)
		}
		recs := adminRecords(t, e)
		if r := recs[len(recs)-1]; r.Actor != "" || r.Channel != engine.ViaServer {
			t.Errorf("a change by the server itself: %+v, want no actor, channel server", r)
		}
	})
}

// TestAuditExecutions: cancelling, pausing and deleting an execution are
// recorded, and the records outlive the execution.
func TestAuditExecutions(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, store string) {
		t.Parallel()
		ctx := context.Background()
		e := newEngineOn(t, store, engine.Config{})
		ex := startOne(t, e, "std.async_noop")
		if _, err := e.UpdateExecution(ctx, ex.ID, engine.ExecutionUpdate{State: engine.StatePaused, By: admin}); err != nil {
			t.Fatal(err)
		}
		info := "not needed"
		if _, err := e.UpdateExecution(ctx, ex.ID, engine.ExecutionUpdate{State: engine.StateCancelled, StateInfo: &info, By: admin}); err != nil {
			t.Fatal(err)
		}
		if err := e.DeleteExecution(ctx, admin, ex.ID, false); err != nil {
			t.Fatal(err)
		}
		recs := adminRecords(t, e)[1:] // after the workflow's creation
		want := []struct {
			state  engine.State
			reason string
		}{
			{engine.StatePaused, "pause execution " + ex.ID + " (workflow wf, state RUNNING)"},
			{engine.StateCancelled, "set execution " + ex.ID + " to CANCELLED (workflow wf, state PAUSED): not needed"},
			{"", "delete execution " + ex.ID + " (workflow wf, state CANCELLED)"},
		}
		if len(recs) != len(want) {
			t.Fatalf("records %+v, want %d", recs, len(want))
		}
		for i, w := range want {
			if recs[i].State != w.state || recs[i].Reason != w.reason || recs[i].Actor != "root" {
				t.Errorf("record %d: %s %q by %q, want %s %q by root", i, recs[i].State, recs[i].Reason, recs[i].Actor, w.state, w.reason)
			}
		}
	})
}

// TestAuditPersonCompletions: a person pausing, resuming or cancelling an
// action, or completing it, is recorded, and so is a refused attempt
// (with its reason, the error still returned); a machine's completion
// (no person: a callback token) is not.
func TestAuditPersonCompletions(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, store string) {
		t.Parallel()
		ctx := context.Background()
		e := newEngineOn(t, store, engine.Config{})
		ex := startOne(t, e, "std.async_noop")
		a := pendingAction(t, e, ex.ID, "t")
		by := *admin
		by.Channel = engine.ViaDashboard
		for _, s := range []engine.State{engine.StatePaused, engine.StateRunning} {
			if _, err := e.UpdateActionExecution(ctx, a.ID, engine.Completion{State: s, Via: engine.ViaDashboard, Decider: &by}); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
		if _, err := e.UpdateActionExecution(ctx, a.ID, engine.Completion{State: engine.StateCancelled, Via: engine.ViaDashboard,
			Decider: &by, Comment: "wrong request"}); err != nil {
			t.Fatal(err)
		}
		_, err := e.UpdateActionExecution(ctx, a.ID, engine.Completion{State: engine.StateSuccess, Output: "late", HasOutput: true,
			Via: engine.ViaDashboard, Decider: &by})
		if fault.Code(err) != fault.ECONFLICT {
			t.Fatalf("completing a cancelled action: %v, want ECONFLICT", err)
		}
		recs, err := e.AuditRecords(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := []struct {
			kind, outcome string
			state         engine.State
		}{
			{engine.AuditAdmin, engine.AuditAccepted, engine.StatePaused},
			{engine.AuditAdmin, engine.AuditAccepted, engine.StateRunning},
			{engine.AuditAdmin, engine.AuditAccepted, engine.StateCancelled},
			{engine.AuditDecision, engine.AuditRefused, engine.StateSuccess},
		}
		if len(recs) != len(want) {
			t.Fatalf("records %+v, want %d", recs, len(want))
		}
		for i, w := range want {
			r := recs[i]
			if r.Kind != w.kind || r.Outcome != w.outcome || r.State != w.state || r.Actor != "root" || r.Channel != engine.ViaDashboard {
				t.Errorf("record %d: %s %s %s by %s via %s, want %s %s %s by root via dashboard", i, r.Kind, r.Outcome, r.State, r.Actor, r.Channel, w.kind, w.outcome, w.state)
			}
		}
		if recs[2].Comment != "wrong request" || recs[3].AnswerJSON != `"late"` || !strings.Contains(recs[3].Reason, "already completed") {
			t.Errorf("the cancel's comment %q; the refusal's answer %s and reason %q", recs[2].Comment, recs[3].AnswerJSON, recs[3].Reason)
		}

		// A machine's completion leaves no record.
		ex2, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf"})
		if err != nil {
			t.Fatal(err)
		}
		b := pendingAction(t, e, ex2.ID, "t")
		if _, err := e.UpdateActionExecution(ctx, b.ID, engine.Completion{State: engine.StateSuccess, Via: engine.ViaAPI}); err != nil {
			t.Fatal(err)
		}
		if recs, _ := e.AuditRecords(ctx, b.ID); len(recs) != 0 {
			t.Errorf("a machine's completion was recorded: %+v", recs)
		}
	})
}

// TestListAuditRefusesBadQueries names the field at fault.
func TestListAuditRefusesBadQueries(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, store string) {
		t.Parallel()
		e := newEngineOn(t, store, engine.Config{})
		t1 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		for _, tc := range []struct {
			q    engine.AuditQuery
			want string
		}{
			{engine.AuditQuery{Outcome: "maybe"}, "outcome"},
			{engine.AuditQuery{Kind: "vote"}, "kind"},
			{engine.AuditQuery{Limit: engine.MaxAuditPage + 1}, "limit"},
			{engine.AuditQuery{Since: t1, Until: t1}, "since"},
		} {
			if _, err := e.ListAudit(context.Background(), tc.q); fault.Code(err) != fault.EINVALID || !strings.HasPrefix(fault.Message(err), tc.want) {
				t.Errorf("ListAudit(%+v) = %v, want EINVALID naming %s", tc.q, err, tc.want)
			}
		}
	})
}
