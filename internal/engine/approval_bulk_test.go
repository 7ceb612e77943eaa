package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// bulkFlow is four approvals waiting side by side, as rita's: vm answers
// vmSchema, plain has no schema, solo does not allow bulk decisions, and
// pair needs two approvers.
const bulkFlow = `version: '2.0'
wf:
  tasks:
    vm:
      action: std.approval
      input:
        title: A VM
        allow_bulk: true
` + `        schema: {type: object, required: [cores], properties: {cores: {type: integer, minimum: 1}}}
    plain:
      action: std.approval
      input: {title: Plain, allow_bulk: true}
    solo:
      action: std.approval
      input: {title: Solo}
    pair:
      action: std.approval
      input: {title: Pair, allow_bulk: true, required: 2}
`

func TestDecideBulk(t *testing.T) {
	ctx := context.Background()
	e := newEngineOn(t, "sqlite", engine.Config{})
	if _, err := e.CreateWorkflows(ctx, nil, bulkFlow, "", ""); err != nil {
		t.Fatal(err)
	}
	ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf", CreatedBy: "rita"})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, task := range []string{"vm", "plain", "solo", "pair"} {
		settle(t, e, ex.ID, task)
		ids[task] = pendingAction(t, e, ex.ID, task).ID
	}
	choices, err := e.BulkChoices(ctx, []string{ids["vm"], ids["plain"], ids["solo"], ids["pair"], "nope"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := choices[ids["solo"]]; ok || len(choices) != 3 {
		t.Fatalf("bulk choices = %v, want vm, plain and pair (solo does not allow bulk)", choices)
	}
	ann := *people["ann"]
	ann.Channel = engine.ViaDashboard
	items := []engine.BulkItem{
		{ID: ids["vm"], Shown: choices[ids["vm"]].Shown},
		{ID: ids["plain"], Shown: choices[ids["plain"]].Shown},
		{ID: ids["solo"]},
		{ID: ids["pair"], Shown: choices[ids["plain"]].Shown}, // another row's digest
		{ID: "no-such-action"},
		{ID: ids["plain"]}, // named twice: decided once
	}
	res, err := e.DecideBulk(ctx, items, engine.Completion{State: engine.StateSuccess, Via: engine.ViaDashboard, Comment: "fine", Decider: &ann})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		id, code, msg string
		state         engine.State
	}{
		{ids["vm"], fault.EINVALID, "cores", ""},
		{ids["plain"], "", "", engine.StateSuccess},
		{ids["solo"], fault.EFORBIDDEN, "allow_bulk", ""},
		{ids["pair"], fault.ECONFLICT, "digest", ""},
		{"no-such-action", fault.ENOTFOUND, "", ""},
	}
	if len(res) != len(want) {
		t.Fatalf("%d results, want %d: %+v", len(res), len(want), res)
	}
	for i, w := range want {
		r := res[i]
		if r.ID != w.id || fault.Code(r.Err) != w.code && !(w.code == "" && r.Err == nil) || !strings.Contains(fault.Message(r.Err), w.msg) || r.State != w.state {
			t.Errorf("item %d: %+v (%s), want %+v", i, r, fault.Code(r.Err), w)
		}
	}
	if res[1].Title != "Plain" {
		t.Errorf("title = %q, want Plain", res[1].Title)
	}

	// One answer for all: vm's schema takes it, pair's (none) refuses it.
	res, err = e.DecideBulk(ctx, []engine.BulkItem{{ID: ids["vm"]}, {ID: ids["pair"]}},
		engine.Completion{State: engine.StateSuccess, Via: engine.ViaAPI, Output: map[string]any{"cores": int64(2)}, HasOutput: true, Decider: &ann})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || res[0].State != engine.StateSuccess || fault.Code(res[1].Err) != fault.EINVALID {
		t.Fatalf("second bulk: %+v", res)
	}
	// Without an answer, pair counts ann's approval and waits for one more.
	res, err = e.DecideBulk(ctx, []engine.BulkItem{{ID: ids["pair"]}}, engine.Completion{State: engine.StateSuccess, Via: engine.ViaAPI, Decider: &ann})
	if err != nil || res[0].Err != nil || res[0].State != engine.StateRunning {
		t.Fatalf("third bulk: %+v %v", res, err)
	}

	// The trail marks each item as bulk, with the digest of the row.
	recs, err := e.AuditRecords(ctx, ids["plain"])
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].Outcome != engine.AuditAccepted || !strings.HasPrefix(recs[0].Reason, "bulk decision of 6: ") ||
		recs[0].ShownDigest != choices[ids["plain"]].Shown || recs[0].Channel != engine.ViaDashboard {
		t.Fatalf("audit of plain: %+v", recs)
	}
	recs, _ = e.AuditRecords(ctx, ids["solo"])
	if len(recs) != 1 || recs[0].Outcome != engine.AuditRefused || !strings.Contains(recs[0].Reason, "bulk decision of 6: This approval does not allow") {
		t.Fatalf("audit of solo: %+v", recs)
	}
	if a, _ := e.GetActionExecution(ctx, ids["solo"]); a.State != engine.StateRunning {
		t.Errorf("solo is %s, want RUNNING (not decided in bulk)", a.State)
	}
}

func TestDecideBulkRefusesWhole(t *testing.T) {
	e := newEngineOn(t, "sqlite", engine.Config{})
	ann := people["ann"]
	many := make([]engine.BulkItem, engine.MaxBulkItems+1)
	for _, tc := range []struct {
		items []engine.BulkItem
		c     engine.Completion
		msg   string
	}{
		{nil, engine.Completion{State: engine.StateSuccess, Decider: ann}, "at least one"},
		{many, engine.Completion{State: engine.StateSuccess, Decider: ann}, "at most 100"},
		{[]engine.BulkItem{{ID: "x"}}, engine.Completion{State: engine.StateCancelled, Decider: ann}, "approves (SUCCESS) or rejects"},
		{[]engine.BulkItem{{ID: "x"}}, engine.Completion{State: engine.StateSuccess, Decider: ann, Override: true, Reason: "r"}, "override"},
	} {
		if _, err := e.DecideBulk(context.Background(), tc.items, tc.c); fault.Code(err) != fault.EINVALID || !strings.Contains(fault.Message(err), tc.msg) {
			t.Errorf("%q: %v, want EINVALID", tc.msg, err)
		}
	}
}

// A bulk completion of an action that is no approval is refused: only
// approvals that allow it are decided in bulk.
func TestBulkCompletionOfNoApproval(t *testing.T) {
	ctx := context.Background()
	e := newEngineOn(t, "sqlite", engine.Config{})
	if _, err := e.CreateWorkflows(ctx, nil, "version: '2.0'\nwf:\n  tasks:\n    t:\n      action: std.async_noop\n", "", ""); err != nil {
		t.Fatal(err)
	}
	ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf"})
	if err != nil {
		t.Fatal(err)
	}
	settle(t, e, ex.ID, "t")
	a := pendingAction(t, e, ex.ID, "t")
	res, err := e.DecideBulk(ctx, []engine.BulkItem{{ID: a.ID}}, engine.Completion{State: engine.StateSuccess, Decider: people["ann"]})
	if err != nil || len(res) != 1 || fault.Code(res[0].Err) != fault.EINVALID || !strings.Contains(fault.Message(res[0].Err), "not an approval") {
		t.Fatalf("%+v %v", res, err)
	}
	if now, _ := e.GetActionExecution(ctx, a.ID); now.State.Completed() {
		t.Fatalf("std.async_noop was completed in bulk: %s", now.State)
	}
}
