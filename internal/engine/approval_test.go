package engine_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/jsonvalue"
	"github.com/sirocco-project/sirocco/internal/schemaform"
)

// People of the approval tests. ann is in finance and security, bob in
// finance, sec in security, olga in ops; rita asks; root is an admin.
var people = map[string]*engine.Decider{
	"ann":   {User: "ann", Groups: []string{"finance", "security"}, Role: "approver", MayDecide: true},
	"bob":   {User: "bob", Groups: []string{"finance"}, Role: "approver", MayDecide: true},
	"sec":   {User: "sec", Groups: []string{"security"}, Role: "approver", MayDecide: true},
	"olga":  {User: "olga", Groups: []string{"ops"}, Role: "approver", MayDecide: true},
	"vera":  {User: "vera", Role: "viewer"},
	"rita":  {User: "rita", Groups: []string{"finance"}, Role: "approver", MayDecide: true},
	"root":  {User: "root", Role: "admin", MayDecide: true, Admin: true},
	"local": {Role: "admin", MayDecide: true, Admin: true}, // -auth off
}

// vm is the README's schema: a VM request's answer.
const vmSchema = `
        schema:
          type: object
          required: [cores, zone]
          properties:
            cores: {type: integer, minimum: 1, maximum: 64}
            zone: {type: string, enum: [eu-west, eu-north]}
            backup: {type: boolean, default: true}
            note: {type: string}
`

// step is one completion of an approval and what must come of it.
type step struct {
	who      string // a key of people; "" for no person (a callback token)
	state    engine.State
	output   any // noOutput for none
	comment  string
	override bool
	reason   string
	// wantCode is the fault code of the refusal, "" for accepted.
	wantCode string
	// wantMsg is a fragment of the refusal's message.
	wantMsg string
	// wantState is the action's state after the step (accepted steps).
	wantState engine.State
	// repeated: the step repeats a vote and changes nothing.
	repeated bool
}

type absent struct{}

var noOutput = absent{}

func (s step) completion() engine.Completion {
	c := engine.Completion{State: s.state, Via: engine.ViaAPI, Comment: s.comment, Override: s.override, Reason: s.reason}
	if s.output != noOutput {
		c.Output, c.HasOutput = s.output, true
	}
	if d, ok := people[s.who]; ok {
		copy := *d
		copy.Channel = engine.ViaAPI
		c.Decider = &copy
	}
	return c
}

// approvalFlow starts a workflow whose one task is std.approval with the
// given input (YAML, indented for the task), as rita, on the named store
// of stores, then runs steps.
func approvalFlow(t *testing.T, store, input string, steps []step) (*engine.Engine, *engine.ActionExecution) {
	t.Helper()
	ctx := context.Background()
	e := newEngineOn(t, store, engine.Config{})
	def := "version: '2.0'\nwf:\n  tasks:\n    ask:\n      action: std.approval\n      input:\n" + input
	if _, err := e.CreateWorkflows(ctx, nil, def, "", ""); err != nil {
		t.Fatalf("create workflow: %v\n%s", err, def)
	}
	ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf", CreatedBy: "rita"})
	if err != nil {
		t.Fatal(err)
	}
	a := pendingAction(t, e, ex.ID, "ask")
	if a == nil {
		got, _ := e.GetExecution(ctx, ex.ID)
		t.Fatalf("no pending approval; execution %s %v", got.State, deref(got.StateInfo))
	}
	for i, s := range steps {
		got, repeated, err := e.DeliverResult(ctx, a.ID, s.completion())
		desc := fmt.Sprintf("step %d (%s %s %v)", i, s.who, s.state, s.output)
		if s.wantCode != "" {
			if fault.Code(err) != s.wantCode || !strings.Contains(fault.Message(err), s.wantMsg) {
				t.Fatalf("%s: %v (%s), want %s containing %q", desc, err, fault.Code(err), s.wantCode, s.wantMsg)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", desc, err)
		}
		if repeated != s.repeated {
			t.Errorf("%s: repeated = %v, want %v", desc, repeated, s.repeated)
		}
		now, err := e.GetActionExecution(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if now.State != s.wantState || got.State != s.wantState {
			t.Fatalf("%s: action %s (answer %s), want %s", desc, now.State, got.State, s.wantState)
		}
	}
	a, err = e.GetActionExecution(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	return e, a
}

// result decodes an action's result.
func result(t *testing.T, a *engine.ActionExecution) any {
	t.Helper()
	if a.OutputJSON == nil {
		t.Fatalf("action %s has no output", a.ID)
	}
	v, err := jsonvalue.Decode([]byte(*a.OutputJSON))
	if err != nil {
		t.Fatal(err)
	}
	return jsonvalue.Unordered(v).(map[string]any)["result"] // looked up by key
}

// voteRules maps each voter in an approved result to the rule it counted for.
func voteRules(t *testing.T, a *engine.ActionExecution) map[string]any {
	t.Helper()
	r, _ := result(t, a).(map[string]any)
	votes, _ := r["votes"].([]any)
	out := map[string]any{}
	for _, v := range votes {
		m := v.(map[string]any)
		out[m["user"].(string)] = m["rule"]
	}
	return out
}

const approve, reject = engine.StateSuccess, engine.StateError

// TestApprovalVotes walks the rules of votes, case by case.
func TestApprovalVotes(t *testing.T) {
	t.Parallel()
	running, success, failed := engine.StateRunning, engine.StateSuccess, engine.StateError
	groups := `        title: Two groups
        approvers: [group:finance, group:security]
        required: [{group: finance, count: 1}, {group: security, count: 1}]
`
	tests := []struct {
		name  string
		input string
		steps []step
		check func(t *testing.T, e *engine.Engine, a *engine.ActionExecution)
	}{
		{
			name: "one approver by default", input: "        title: Just one\n",
			steps: []step{{who: "bob", state: approve, output: noOutput, wantState: success}},
			check: func(t *testing.T, e *engine.Engine, a *engine.ActionExecution) {
				r := result(t, a).(map[string]any)
				if r["approved"] != true || !reflect.DeepEqual(r["output"], map[string]any{}) || voteRules(t, a)["bob"] != "any" {
					t.Errorf("result = %v", r)
				}
			},
		},
		{
			// ann, in both groups, approves first; bob, finance only,
			// second: ann must count for security so that bob can count.
			name: "overlapping membership: the matching", input: groups,
			steps: []step{
				{who: "ann", state: approve, output: noOutput, wantState: running},
				{who: "bob", state: approve, output: noOutput, wantState: success},
			},
			check: func(t *testing.T, e *engine.Engine, a *engine.ActionExecution) {
				if got, want := voteRules(t, a), map[string]any{"ann": "group:security", "bob": "group:finance"}; !reflect.DeepEqual(got, want) {
					t.Errorf("rules = %v, want %v", got, want)
				}
			},
		},
		{
			name: "two from one group do not make a security vote", input: groups,
			steps: []step{
				{who: "bob", state: approve, output: noOutput, wantState: running},
				{who: "rita", state: approve, output: noOutput, wantCode: fault.EFORBIDDEN, wantMsg: "someone else must decide"},
				{who: "sec", state: approve, output: noOutput, wantState: success},
			},
		},
		{
			name: "N distinct people", input: "        title: Three\n        required: 3\n",
			steps: []step{
				{who: "ann", state: approve, output: noOutput, wantState: running},
				{who: "bob", state: approve, output: noOutput, wantState: running},
				{who: "sec", state: approve, output: noOutput, wantState: success},
			},
		},
		{
			name: "outsiders", input: "        title: Finance only\n        approvers: [group:finance, user:olga]\n",
			steps: []step{
				{who: "sec", state: approve, output: noOutput, wantCode: fault.EFORBIDDEN, wantMsg: "Only the approvers may decide"},
				{who: "sec", state: reject, output: "no", wantCode: fault.EFORBIDDEN, wantMsg: "Only the approvers"},
				{who: "root", state: approve, output: noOutput, wantCode: fault.EFORBIDDEN, wantMsg: "Only the approvers"},
				{who: "", state: approve, output: noOutput, wantCode: fault.EFORBIDDEN, wantMsg: "Approvals need a person"},
				{who: "olga", state: approve, output: noOutput, wantState: success},
			},
		},
		{
			name: "no approvers named: the approver role", input: "        title: Anyone\n",
			steps: []step{
				{who: "vera", state: approve, output: noOutput, wantCode: fault.EFORBIDDEN, wantMsg: "needs the approver role"},
				{who: "root", state: approve, output: noOutput, wantState: success},
			},
		},
		{
			name: "self-approval: the starter and the requester", input: "        title: Mine\n        requested_by: bob\n",
			steps: []step{
				{who: "rita", state: approve, output: noOutput, wantCode: fault.EFORBIDDEN, wantMsg: "You started this execution"},
				{who: "bob", state: approve, output: noOutput, wantCode: fault.EFORBIDDEN, wantMsg: "You requested this approval"},
				{who: "bob", state: reject, output: "changed my mind", wantCode: fault.EFORBIDDEN, wantMsg: "You requested"},
				{who: "ann", state: approve, output: noOutput, wantState: success},
			},
		},
		{
			name: "self-approval allowed", input: "        title: Mine\n        allow_self_approval: true\n",
			steps: []step{{who: "rita", state: approve, output: noOutput, wantState: success}},
		},
		{
			name: "repeated and changed votes", input: "        title: Two\n        required: 2\n",
			steps: []step{
				{who: "ann", state: approve, output: map[string]any{}, comment: "fine", wantState: running},
				{who: "ann", state: approve, output: noOutput, wantState: running, repeated: true},
				{who: "ann", state: approve, output: map[string]any{}, comment: "again", wantState: running, repeated: true},
				{who: "ann", state: reject, output: "no", wantCode: fault.ECONFLICT, wantMsg: "You already approved"},
				{who: "bob", state: approve, output: noOutput, wantState: success},
				// A retry of the vote that decided it is still its vote.
				{who: "bob", state: approve, output: noOutput, wantState: success, repeated: true},
				{who: "sec", state: approve, output: noOutput, wantCode: fault.ECONFLICT, wantMsg: "already decided: state SUCCESS"},
			},
			check: func(t *testing.T, e *engine.Engine, a *engine.ActionExecution) {
				st, err := e.ApprovalStatus(context.Background(), a.ID)
				if err != nil || len(st.Votes) != 2 || st.Votes[0].Comment != "fine" || !st.Tally.Met {
					t.Errorf("votes after repeats: %+v, %v; want ann's first and bob's", st, err)
				}
			},
		},
		{
			name: "conflicting proposals", input: "        title: VM\n        required: 2\n" + vmSchema,
			steps: []step{
				{who: "ann", state: approve, output: map[string]any{"cores": int64(4), "zone": "eu-west"}, wantState: running},
				{who: "bob", state: approve, output: map[string]any{"cores": int64(8), "zone": "eu-west"}, wantCode: fault.ECONFLICT, wantMsg: `A different answer is proposed: {"cores":4,"zone":"eu-west"}, by ann`},
				// The same answer, keys in another order, confirms it.
				{who: "bob", state: approve, output: map[string]any{"zone": "eu-west", "cores": int64(4)}, wantState: success},
			},
			check: func(t *testing.T, e *engine.Engine, a *engine.ActionExecution) {
				r := result(t, a).(map[string]any)
				if want := map[string]any{"cores": int64(4), "zone": "eu-west"}; !reflect.DeepEqual(r["output"], want) {
					t.Errorf("output = %v, want %v", r["output"], want)
				}
			},
		},
		{
			name: "confirming with no output", input: "        title: VM\n        required: 2\n" + vmSchema,
			steps: []step{
				{who: "ann", state: approve, output: map[string]any{"cores": int64(2), "zone": "eu-north", "note": "small"}, wantState: running},
				{who: "sec", state: approve, output: noOutput, wantState: success},
			},
			check: func(t *testing.T, e *engine.Engine, a *engine.ActionExecution) {
				if out := result(t, a).(map[string]any)["output"].(map[string]any); out["note"] != "small" {
					t.Errorf("output = %v, want the proposal", out)
				}
			},
		},
		{
			name: "schema errors name each field", input: "        title: VM\n" + vmSchema,
			steps: []step{
				{who: "ann", state: approve, output: map[string]any{"cores": int64(100), "zone": "mars"}, wantCode: fault.EINVALID, wantMsg: "cores: must be at most 64"},
				{who: "ann", state: approve, output: noOutput, wantCode: fault.EINVALID, wantMsg: "cores"},
				{who: "ann", state: approve, output: "yes", wantCode: fault.EINVALID, wantMsg: "must be an object"},
				{who: "ann", state: approve, output: map[string]any{"cores": int64(64), "zone": "eu-west"}, wantState: success},
			},
		},
		{
			name: "a rejection needs a reason", input: "        title: Reasons\n",
			steps: []step{
				{who: "ann", state: reject, output: noOutput, wantCode: fault.EINVALID, wantMsg: "A rejection needs a reason"},
				{who: "ann", state: reject, output: map[string]any{"why": "x"}, wantCode: fault.EINVALID, wantMsg: "needs a reason"},
				{who: "ann", state: reject, output: map[string]any{"reason": "over budget"}, wantState: failed},
			},
			check: func(t *testing.T, e *engine.Engine, a *engine.ActionExecution) {
				if r := result(t, a); r != "over budget" {
					t.Errorf("result = %v, want the reason", r)
				}
				ex, _ := e.GetExecution(context.Background(), *a.WorkflowExecutionID)
				if ex.State != engine.StateError || !strings.Contains(deref(ex.StateInfo), "over budget") {
					t.Errorf("execution %s %q, want ERROR with the reason", ex.State, deref(ex.StateInfo))
				}
			},
		},
		{
			name: "the first rejection fails it, the output's string", input: "        title: R\n        required: 2\n",
			steps: []step{
				{who: "ann", state: approve, output: noOutput, wantState: running},
				{who: "bob", state: reject, output: "too expensive", wantState: failed},
				{who: "sec", state: approve, output: noOutput, wantCode: fault.ECONFLICT, wantMsg: "already decided: state ERROR"},
			},
			check: func(t *testing.T, e *engine.Engine, a *engine.ActionExecution) {
				if r := result(t, a); r != "too expensive" {
					t.Errorf("result = %v", r)
				}
			},
		},
		{
			name: "a rejection's reason from the comment", input: "        title: R\n",
			steps: []step{{who: "ann", state: reject, output: noOutput, comment: "not now", wantState: failed}},
			check: func(t *testing.T, e *engine.Engine, a *engine.ActionExecution) {
				if r := result(t, a); r != "not now" {
					t.Errorf("result = %v", r)
				}
			},
		},
		{
			name: "no reason needed", input: "        title: R\n        reject_reason_required: false\n",
			steps: []step{{who: "ann", state: reject, output: noOutput, wantState: failed}},
			check: func(t *testing.T, e *engine.Engine, a *engine.ActionExecution) {
				if r := result(t, a); r != "Rejected by ann" {
					t.Errorf("result = %v", r)
				}
			},
		},
		{
			name: "override", input: "        title: O\n        approvers: [group:finance]\n        required: 2\n" + vmSchema,
			steps: []step{
				{who: "ann", state: approve, output: map[string]any{"cores": int64(1), "zone": "eu-west"}, wantState: running},
				{who: "bob", state: approve, output: noOutput, override: true, reason: "urgent", wantCode: fault.EFORBIDDEN, wantMsg: "needs the admin role"},
				{who: "root", state: approve, output: map[string]any{"cores": int64(2), "zone": "eu-west"}, override: true, wantCode: fault.EINVALID, wantMsg: "needs a reason"},
				{who: "root", state: approve, output: map[string]any{"cores": int64(0), "zone": "eu-west"}, override: true, reason: "urgent", wantCode: fault.EINVALID, wantMsg: "cores: must be at least 1"},
				{who: "root", state: approve, output: map[string]any{"cores": int64(2), "zone": "eu-west"}, override: true, reason: "urgent", wantState: success},
				{who: "root", state: approve, output: noOutput, override: true, reason: "urgent", wantState: success, repeated: true},
			},
			check: func(t *testing.T, e *engine.Engine, a *engine.ActionExecution) {
				r := result(t, a).(map[string]any)
				if out := r["output"].(map[string]any); out["cores"] != int64(2) {
					t.Errorf("output = %v, want the override's answer", out)
				}
				if rules := voteRules(t, a); rules["root"] != "override" {
					t.Errorf("rules = %v, want root's as override", rules)
				}
			},
		},
		{
			name: "override without an answer approves the proposal", input: "        title: O\n        approvers: [group:finance]\n        required: 2\n" + vmSchema,
			steps: []step{
				{who: "ann", state: approve, output: map[string]any{"cores": int64(3), "zone": "eu-west"}, wantState: running},
				{who: "root", state: approve, output: noOutput, override: true, reason: "ann's answer, now", wantState: success},
			},
			check: func(t *testing.T, e *engine.Engine, a *engine.ActionExecution) {
				r := result(t, a).(map[string]any)
				if out := r["output"].(map[string]any); out["cores"] != int64(3) || out["zone"] != "eu-west" {
					t.Errorf("output = %v, want ann's proposal", out)
				}
			},
		},
		{
			name: "override rejects", input: "        title: O\n",
			steps: []step{{who: "root", state: reject, output: noOutput, override: true, reason: "duplicate request", wantState: failed}},
			check: func(t *testing.T, e *engine.Engine, a *engine.ActionExecution) {
				if r := result(t, a); r != "duplicate request" {
					t.Errorf("result = %v", r)
				}
			},
		},
		{
			name: "authentication off: an override decides", input: "        title: Local\n",
			steps: []step{
				{who: "local", state: approve, output: noOutput, wantCode: fault.EFORBIDDEN, wantMsg: `send "override": true`},
				{who: "local", state: approve, output: noOutput, override: true, wantCode: fault.EINVALID, wantMsg: "needs a reason"},
				{who: "local", state: approve, output: noOutput, override: true, reason: "testing locally", wantState: success},
			},
		},
	}
	eachStore(t, func(t *testing.T, store string) {
		t.Parallel()
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				e, a := approvalFlow(t, store, tt.input, tt.steps)
				if tt.check != nil {
					tt.check(t, e, a)
				}
			})
		}
	})
}

// TestApprovalAudit: every attempt leaves one audit record, refused ones
// too, and a refused vote leaves nothing else: no vote, no state change,
// no timeline entry.
func TestApprovalAudit(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, store string) {
		t.Parallel()
		ctx := context.Background()
		e, a := approvalFlow(t, store, "        title: Audit\n        required: 2\n        context: {size: big}\n        schema: {type: object}\n", []step{
			{who: "rita", state: approve, output: noOutput, comment: "mine", wantCode: fault.EFORBIDDEN},
		})
		recs, err := e.AuditRecords(ctx, a.ID)
		if err != nil || len(recs) != 1 {
			t.Fatalf("audit after a refused vote: %+v, %v; want one record", recs, err)
		}
		r := recs[0]
		if r.Outcome != engine.AuditRefused || r.Actor != "rita" || r.Kind != engine.AuditDecision || r.Channel != engine.ViaAPI ||
			!strings.Contains(r.Reason, "someone else must decide") || r.Comment != "mine" || !reflect.DeepEqual(r.Groups, []string{"finance"}) ||
			r.State != engine.StateSuccess || len(r.ShownDigest) != 64 {
			t.Errorf("refusal record = %+v", r)
		}
		st, err := e.ApprovalStatus(ctx, a.ID)
		if err != nil || len(st.Votes) != 0 {
			t.Errorf("votes after a refusal: %+v, %v; want none", st, err)
		}
		events, err := e.Timeline(ctx, a.ID)
		if err != nil || len(events) != 1 {
			t.Errorf("timeline after a refusal: %+v; want only the start", events)
		}
		if got, _ := e.GetActionExecution(ctx, a.ID); !got.UpdatedAt.Equal(a.UpdatedAt) {
			t.Errorf("a refused vote touched the action: updated %v, was %v", got.UpdatedAt, a.UpdatedAt)
		}

		for _, s := range []step{
			{who: "ann", state: approve, output: map[string]any{"ok": true}, comment: "yes"},
			{who: "bob", state: approve, output: map[string]any{"ok": false}},
			{who: "bob", state: approve, output: noOutput},
		} {
			_, _, _ = e.DeliverResult(ctx, a.ID, s.completion())
		}
		recs, _ = e.AuditRecords(ctx, a.ID)
		var got []string
		for _, r := range recs {
			got = append(got, r.Actor+" "+r.Outcome)
		}
		if want := []string{"rita refused", "ann accepted", "bob refused", "bob accepted"}; !reflect.DeepEqual(got, want) {
			t.Errorf("audit = %v, want %v", got, want)
		}
		if recs[1].AnswerJSON != `{"ok":true}` || !strings.Contains(recs[1].Reason, "still needed: 1 more approval") {
			t.Errorf("ann's record = %+v", recs[1])
		}
		if recs[3].ShownDigest != recs[0].ShownDigest {
			t.Errorf("the digest of what was shown changed between votes: %s, %s", recs[0].ShownDigest, recs[3].ShownDigest)
		}
		events, _ = e.Timeline(ctx, a.ID)
		var notes []string
		for _, ev := range events {
			notes = append(notes, string(ev.State)+" "+ev.Note)
		}
		if len(notes) != 3 || !strings.Contains(notes[1], "approved (yes); still needed: 1 more approval") || !strings.HasPrefix(notes[2], "SUCCESS") {
			t.Errorf("timeline = %q, want the start, ann's vote, the decision", notes)
		}
	})
}

// TestApprovalSchemaError: a refused answer names each failing field and
// carries them for a form (schemaform.AnswerError).
func TestApprovalSchemaError(t *testing.T) {
	t.Parallel()
	e, a := approvalFlow(t, "sqlite", "        title: VM\n"+vmSchema, nil)
	c := step{who: "ann", state: approve, output: map[string]any{"cores": "four", "zone": "mars"}}.completion()
	_, _, err := e.DeliverResult(context.Background(), a.ID, c)
	var ae *schemaform.AnswerError
	if fault.Code(err) != fault.EINVALID || !errors.As(err, &ae) {
		t.Fatalf("error = %v, want EINVALID wrapping an AnswerError", err)
	}
	fields := map[string]bool{}
	for _, fe := range ae.Errors {
		fields[fe.Field] = true
	}
	if !fields["cores"] || !fields["zone"] || !strings.Contains(fault.Message(err), "cores:") || !strings.Contains(fault.Message(err), "zone:") {
		t.Errorf("errors = %+v (%s), want cores and zone named", ae.Errors, fault.Message(err))
	}
}

// TestApprovalDefinitionErrors: literal inputs of std.approval are checked
// when a workflow or an ad-hoc action is created or validated, each error
// at the line and column of the value at fault.
func TestApprovalDefinitionErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEngine(t, engine.Config{})
	wf := func(input string) string {
		return "version: '2.0'\nwf:\n  tasks:\n    ask:\n      action: std.approval\n      input:\n" + input
	}
	tests := []struct {
		name, def string
		actions   bool   // a document of ad-hoc actions
		want      string // the message's start: position and text
	}{
		{"schema", wf("        title: T\n        schema:\n          type: object\n          properties:\n            cores: {type: integer, minimum: nope}\n"),
			false, "line 11, column 45: std.approval: schema /properties/cores/minimum"},
		{"schema not an object", wf("        title: T\n        schema: [1]\n"), false, "line 8, column 17: std.approval: schema"},
		{"approvers entry", wf("        title: T\n        approvers:\n          - user:ann\n          - boss\n"), false, `line 10, column 13: std.approval: approvers[1]: "boss"`},
		{"required count", wf("        title: T\n        required: [{group: g, count: 0}]\n"), false, "line 8, column 38: std.approval: required[0].count"},
		{"required number", wf("        title: T\n        required: 0\n"), false, "line 8, column 19: std.approval: required: want 1 to"},
		{"title", wf("        title: 5\n"), false, "line 7, column 16: std.approval: title must be a string"},
		{"title lines", wf("        title: \"a\\nb\"\n"), false, "line 7, column 16: std.approval: title must be one line"},
		{"boolean", wf("        title: T\n        allow_self_approval: yes please\n"), false, "line 8, column 30: std.approval: allow_self_approval must be true or false"},
		{"unknown input", wf("        title: T\n        titel: T\n"), false, "line 8, column 16: std.approval has no input 'titel'"},
		{"no title", wf("        description: D\n"), false, "line 7, column 9: std.approval needs a title"},
		{"alias and inline", "version: '2.0'\nwf:\n  tasks:\n    ask:\n      action: approval title=T required=zero\n", false, "line 5, column 41: std.approval: required"},
		{"duration", wf("        title: T\n        remind_after: soon\n"), false, `line 8, column 23: std.approval: remind_after: "soon" is not a duration`},
		{"duration zero", wf("        title: T\n        timeout: 0\n"), false, "line 8, column 18: std.approval: timeout: must be from 1 second"},
		{"escalate without whom", wf("        title: T\n        escalate_after: 4h\n"), false, "std.approval: escalate_after needs escalate_to"},
		{"escalate_to entry", wf("        title: T\n        escalate_after: 4h\n        escalate_to: [boss]\n"), false, `line 9, column 23: std.approval: escalate_to[0]`},
		{"on_timeout without timeout", wf("        title: T\n        on_timeout: {state: ERROR}\n"), false, "std.approval: on_timeout needs timeout"},
		{"on_timeout state", wf("        title: T\n        timeout: 2d\n        on_timeout: {state: MAYBE}\n"), false, "line 9, column 29: std.approval: on_timeout.state must be SUCCESS or ERROR"},
		{"on_timeout output", wf("        title: T\n        schema: {type: object, required: [cores], properties: {cores: {type: integer}}}\n        timeout: 2d\n        on_timeout: {state: SUCCESS, output: {cores: many}}\n"),
			false, "std.approval: on_timeout.output does not match the schema"},
		{"escalate after timeout", wf("        title: T\n        timeout: 1h\n        escalate_after: 2h\n        escalate_to: [user:boss]\n"), false, "escalate_after must come before timeout"},
		{"remind_max", wf("        title: T\n        remind_every: 1h\n        remind_max: -1\n"), false, "line 9, column 21: std.approval: remind_max must be a whole number"},
		{"ad-hoc base input", "version: '2.0'\nrequest_vm:\n  base: std.approval\n  base-input:\n    title: VM\n    approvers: user:ann\n", true, "line 6, column 16: std.approval: approvers must be a list"},
	}
	for _, tt := range tests {
		var err error
		if tt.actions {
			_, err = e.CreateActions(ctx, nil, tt.def, "", "")
		} else {
			err = e.ValidateWorkflows(tt.def)
			if _, cerr := e.CreateWorkflows(ctx, nil, tt.def, "", ""); fault.Message(cerr) != fault.Message(err) {
				t.Errorf("%s: create says %v, validate %v", tt.name, cerr, err)
			}
		}
		if fault.Code(err) != fault.EINVALID || !strings.Contains(fault.Message(err), tt.want) {
			t.Errorf("%s: %v, want EINVALID containing %q", tt.name, err, tt.want)
		}
	}
	// Expressions are checked when the task runs, not before.
	ok := wf("        title: <% $.title %>\n        schema: <% $.schema %>\n        approvers: [<% $.who %>]\n        required: <% $.n %>\n")
	if err := e.ValidateWorkflows(ok); err != nil {
		t.Errorf("expressions: %v", err)
	}
	ladder := wf("        title: T\n        remind_after: 30m\n        remind_every: 4h\n        escalate_after: 1d\n        escalate_to: [group:leads]\n        escalate_required: 2\n        timeout: 172800\n        on_timeout: {state: ERROR, output: nobody decided}\n        allow_bulk: true\n        require_login: false\n")
	if err := e.ValidateWorkflows(ladder); err != nil {
		t.Errorf("ladder: %v", err)
	}
}

// TestApprovalRunTimeErrors: values that expressions give are checked
// when the task runs; a bad one fails the task with the reason.
func TestApprovalRunTimeErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEngine(t, engine.Config{})
	def := "version: '2.0'\nwf:\n  input: [title, n]\n  tasks:\n    ask:\n      action: std.approval\n      input:\n        title: <% $.title %>\n        required: <% $.n %>\n"
	if _, err := e.CreateWorkflows(ctx, nil, def, "", ""); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		input map[string]any
		want  string
	}{
		{map[string]any{"title": int64(5), "n": int64(1)}, "title must be a string"},
		{map[string]any{"title": "ok", "n": "two"}, "required: want a whole number"},
	} {
		ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf", Input: tt.input})
		if err != nil {
			t.Fatal(err)
		}
		if ex.State != engine.StateError || !strings.Contains(deref(ex.StateInfo), tt.want) {
			t.Errorf("input %v: execution %s %q, want ERROR containing %q", tt.input, ex.State, deref(ex.StateInfo), tt.want)
		}
	}
	// Good values: the request is stored evaluated, requested_by defaulting
	// to who started it.
	ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf", Input: map[string]any{"title": "VM for rita", "n": int64(2)}, CreatedBy: "rita"})
	if err != nil {
		t.Fatal(err)
	}
	a := pendingAction(t, e, ex.ID, "ask")
	st, err := e.ApprovalStatus(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ap := st.Request; ap.Title != "VM for rita" || ap.RequestedBy != "rita" || ap.StartedBy != "rita" || len(ap.Rules) != 1 || ap.Rules[0].Count != 2 || !ap.RejectReasonRequired {
		t.Errorf("request = %+v", ap)
	}
	if a.InputJSON != `{"required": 2, "title": "VM for rita"}` && !strings.Contains(a.InputJSON, `"VM for rita"`) {
		t.Errorf("the action's input = %s, want the evaluated input", a.InputJSON)
	}
	if st.Tally.Describe() != "2 more approvals" {
		t.Errorf("missing = %q", st.Tally.Describe())
	}
}

// TestApprovalAdHoc: an ad-hoc action built on std.approval asks what its
// base input says, its result goes through its output transformation,
// and the action runs outside a workflow too.
func TestApprovalAdHoc(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEngine(t, engine.Config{})
	if _, err := e.CreateActions(ctx, nil, `version: '2.0'
request_vm:
  base: std.approval
  base-input:
    title: VM of <% $.cores %> cores for <% $.who %>
    requested_by: <% $.who %>
    approvers: [group:finance]
  input: [who, cores]
  output: <% $.output %>
`, "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateWorkflows(ctx, nil, "version: '2.0'\nwf:\n  tasks:\n    ask:\n      action: request_vm who=olga cores=4\n      publish: {answer: <% task().result %>}\n", "", ""); err != nil {
		t.Fatal(err)
	}
	ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf", CreatedBy: "rita"})
	if err != nil {
		t.Fatal(err)
	}
	a := pendingAction(t, e, ex.ID, "ask")
	st, err := e.ApprovalStatus(ctx, a.ID)
	if err != nil || st.Request.Title != "VM of 4 cores for olga" || st.Request.RequestedBy != "olga" || st.Request.StartedBy != "rita" {
		t.Fatalf("request = %+v, %v", st.Request, err)
	}
	if _, _, err := e.DeliverResult(ctx, a.ID, step{who: "sec", state: approve, output: noOutput}.completion()); fault.Code(err) != fault.EFORBIDDEN {
		t.Errorf("sec (not in finance): %v, want 403", err)
	}
	if _, _, err := e.DeliverResult(ctx, a.ID, step{who: "bob", state: approve, output: noOutput}.completion()); err != nil {
		t.Fatal(err)
	}
	done := settle(t, e, ex.ID, "")
	if done.State != engine.StateSuccess {
		t.Fatalf("execution %s %v", done.State, deref(done.StateInfo))
	}
	if got := result(t, mustAction(t, e, a.ID)); !reflect.DeepEqual(got, map[string]any{}) {
		t.Errorf("result after the transformation = %v, want the answer, {}", got)
	}

	// Outside a workflow: who runs it is who asks.
	run, err := e.RunAction(ctx, engine.RunRequest{Name: "approval", Input: map[string]any{"title": "Ad hoc"}, CreatedBy: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.DeliverResult(ctx, run.ID, step{who: "bob", state: approve, output: noOutput}.completion()); fault.Code(err) != fault.EFORBIDDEN {
		t.Errorf("bob approving what he ran: %v, want 403", err)
	}
	if got, _, err := e.DeliverResult(ctx, run.ID, step{who: "ann", state: approve, output: noOutput}.completion()); err != nil || got.State != engine.StateSuccess {
		t.Errorf("ann approving: %v, %v", got, err)
	}
}

func mustAction(t *testing.T, e *engine.Engine, id string) *engine.ActionExecution {
	t.Helper()
	a, err := e.GetActionExecution(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestOverrideOnlyForApprovals: an override of another action is refused,
// and other actions complete as before; a person's attempts are audited.
func TestOverrideOnlyForApprovals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEngine(t, engine.Config{})
	ex := startOne(t, e, "std.async_noop")
	a := pendingAction(t, e, ex.ID, "t")
	c := step{who: "root", state: approve, output: int64(1), override: true, reason: "x"}.completion()
	if _, _, err := e.DeliverResult(ctx, a.ID, c); fault.Code(err) != fault.EINVALID || !strings.Contains(fault.Message(err), "only an approval") {
		t.Errorf("override of std.async_noop: %v, want EINVALID", err)
	}
	c.Override, c.Reason = false, ""
	if got, _, err := e.DeliverResult(ctx, a.ID, c); err != nil || got.State != engine.StateSuccess {
		t.Errorf("completion by a person: %v, %v", got, err)
	}
	// Both attempts were a person's: both are in the audit trail.
	recs, err := e.AuditRecords(ctx, a.ID)
	if err != nil || len(recs) != 2 || recs[0].Kind != engine.AuditOverride || recs[0].Outcome != engine.AuditRefused ||
		recs[1].Kind != engine.AuditDecision || recs[1].Outcome != engine.AuditAccepted || recs[1].Actor != "root" {
		t.Errorf("audit records of a non-approval: %+v, %v; want the refused override and the accepted completion", recs, err)
	}
}

// TestApprovalTimeout: a task timeout that ends an approval's wait is in
// the audit trail.
func TestApprovalTimeout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEngine(t, engine.Config{})
	if _, err := e.CreateWorkflows(ctx, nil, "version: '2.0'\nwf:\n  tasks:\n    ask:\n      action: std.approval title=T\n      timeout: 0.01\n", "", ""); err != nil {
		t.Fatal(err)
	}
	ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf"})
	if err != nil {
		t.Fatal(err)
	}
	a := pendingAction(t, e, ex.ID, "ask")
	if done := settle(t, e, ex.ID, ""); done.State != engine.StateError {
		t.Fatalf("execution %s, want ERROR by timeout", done.State)
	}
	recs, err := e.AuditRecords(ctx, a.ID)
	if err != nil || len(recs) != 1 || recs[0].Kind != engine.AuditTimeout || !strings.Contains(recs[0].Reason, "timed out") {
		t.Errorf("audit = %+v, %v; want one timeout record", recs, err)
	}
}

// TestReadmeApprovalExample: the README's VM example is a workflow and an
// ad-hoc action that are accepted as written, and the workflow runs: its
// title and description evaluated, one finance and one security approval
// granting what the first proposed.
func TestReadmeApprovalExample(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "\n## Approvals\n")
	if !ok {
		t.Fatal("README has no Approvals section")
	}
	var blocks []string
	for rest := section; ; {
		_, after, ok := strings.Cut(rest, "```yaml\n")
		if !ok {
			break
		}
		block, tail, _ := strings.Cut(after, "```")
		blocks, rest = append(blocks, block), tail
	}
	if len(blocks) < 2 {
		t.Fatalf("the Approvals section has %d YAML blocks, want the workflow and the ad-hoc action", len(blocks))
	}
	e := newEngine(t, engine.Config{})
	if _, err := e.CreateWorkflows(ctx, nil, blocks[0], "", ""); err != nil {
		t.Fatalf("the README's workflow: %v", err)
	}
	if _, err := e.CreateActions(ctx, nil, blocks[1], "", ""); err != nil {
		t.Fatalf("the README's ad-hoc action: %v", err)
	}
	ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "request_vm", CreatedBy: "rita"})
	if err != nil {
		t.Fatal(err)
	}
	a := pendingAction(t, e, ex.ID, "approve")
	st, err := e.ApprovalStatus(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Request.Title != "A small VM for cost centre CC-1234" || !strings.Contains(st.Request.Description, "**the requester**") || st.Request.RequestedBy != "rita" {
		t.Errorf("request = %+v", st.Request)
	}
	for _, s := range []step{
		{who: "bob", state: approve, output: map[string]any{"cores": int64(8), "zone": "eu-north"}},
		{who: "sec", state: approve, output: noOutput},
	} {
		if _, _, err := e.DeliverResult(ctx, a.ID, s.completion()); err != nil {
			t.Fatalf("%s: %v", s.who, err)
		}
	}
	done := settle(t, e, ex.ID, "")
	if done.State != engine.StateSuccess || !strings.Contains(done.OutputJSON, `"cores": 8`) {
		t.Errorf("execution %s, output %s", done.State, done.OutputJSON)
	}
}
