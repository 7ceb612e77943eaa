package engine_test

import (
	"strings"
	"testing"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// TestTextWithNUL: two stores, one behaviour for text PostgreSQL's text
// cannot hold. Free text a person or client gives (a comment, a reason, a
// description, state_info, a name a definition defines) holding a NUL
// character or bytes that are not UTF-8 is refused, naming the field, on
// both stores; text the engine makes from outside data (a task's
// state_info from an action's error output) is cleaned to U+FFFD, the
// same on both.
func TestTextWithNUL(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, store string) {
		t.Parallel()
		ctx := t.Context()
		refused := func(what string, err error, field, msg string) {
			t.Helper()
			want := field + " holds " + msg
			if fault.Code(err) != fault.EINVALID || !strings.Contains(fault.Message(err), want) {
				t.Errorf("%s: %v (%s), want EINVALID containing %q", what, err, fault.Code(err), want)
			}
		}
		const nul, notUTF8 = "a NUL character (U+0000), which Sirocco does not store", "bytes that are not UTF-8"

		e, a := approvalFlow(t, store, "        title: x\n", []step{
			{who: "ann", state: approve, output: noOutput, comment: "nul\x00here", wantCode: fault.EINVALID, wantMsg: "comment holds " + nul},
			{who: "ann", state: approve, output: noOutput, comment: "bad \xff byte", wantCode: fault.EINVALID, wantMsg: "comment holds " + notUTF8},
			{who: "root", state: approve, output: noOutput, override: true, reason: "r\x00", wantCode: fault.EINVALID, wantMsg: "reason holds " + nul},
			{who: "ann", state: approve, output: noOutput, comment: "fine", wantState: engine.StateSuccess},
		})
		// The refusals were of the request, before any vote: nothing of
		// them is in the trail.
		recs, err := e.AuditRecords(ctx, a.ID)
		if err != nil || len(recs) != 1 || recs[0].Comment != "fine" {
			t.Fatalf("audit records %+v, %v; want ann's one accepted vote", recs, err)
		}

		def := "version: '2.0'\nplain:\n  tasks:\n    t:\n      action: std.async_noop\n"
		if _, err := e.CreateWorkflows(ctx, nil, def, "", ""); err != nil {
			t.Fatal(err)
		}
		_, err = e.StartExecution(ctx, engine.StartRequest{WorkflowName: "plain", Description: "d\x00d"})
		refused("start, description with NUL", err, "description", nul)
		_, err = e.StartExecution(ctx, engine.StartRequest{WorkflowName: "plain", Description: "d\xc3"})
		refused("start, description not UTF-8", err, "description", notUTF8)
		_, err = e.StartExecution(ctx, engine.StartRequest{WorkflowName: "plain", ID: "id\x00"})
		refused("start, id with NUL", err, "id", nul)
		_, err = e.RunAction(ctx, engine.RunRequest{Name: "std.noop", Description: "\x00"})
		refused("run action, description with NUL", err, "description", nul)
		_, err = e.CreateWorkflows(ctx, nil, "version: '2.0'\n\"nul\\0name\":\n  tasks:\n    t:\n      action: std.noop\n", "", "")
		refused("workflow named with a YAML \\0 escape", err, "name", nul)
		_, err = e.CreateWorkflows(ctx, nil, "version: '2.0'\nother:\n  tags: [\"t\\0\"]\n  tasks:\n    t:\n      action: std.noop\n", "", "")
		refused("workflow tagged with a YAML \\0 escape", err, "tags", nul)
		_, err = e.CreateWorkflows(ctx, nil, def, "ns\x00", "")
		refused("namespace with NUL", err, "namespace", nul)

		ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "plain", Description: "plain"})
		if err != nil {
			t.Fatal(err)
		}
		bad := "x\x00y"
		_, err = e.UpdateExecution(ctx, ex.ID, engine.ExecutionUpdate{State: engine.StateError, StateInfo: &bad})
		refused("fail with a NUL in state_info", err, "state_info", nul)
		_, err = e.UpdateExecution(ctx, ex.ID, engine.ExecutionUpdate{Description: &bad})
		refused("describe with a NUL", err, "description", nul)
		if got, err := e.GetExecution(ctx, ex.ID); err != nil || got.State != engine.StateRunning || got.Description != "plain" {
			t.Fatalf("after the refusals: %+v, %v; want it untouched", got, err)
		}

		// Text the engine makes: an action's error output becomes the
		// task's state_info, cleaned; the output itself is JSON and keeps
		// the NUL as \u0000.
		settle(t, e, ex.ID, "t")
		act := pendingAction(t, e, ex.ID, "t")
		if _, err := e.UpdateActionExecution(ctx, act.ID, engine.Completion{State: engine.StateError, Output: "boom\x00 \xff!", HasOutput: true}); err != nil {
			t.Fatalf("an error output holding NUL and a stray byte: %v", err)
		}
		done := settle(t, e, ex.ID, "")
		tasks, err := e.ListTasks(ctx, engine.ListQuery{Filters: []engine.Filter{{Field: "workflow_execution_id", Op: engine.OpEq, Values: []string{ex.ID}}}})
		if err != nil || len(tasks) != 1 {
			t.Fatalf("tasks %v, %v", tasks, err)
		}
		if got, want := deref(tasks[0].StateInfo), "boom\uFFFD \uFFFD!"; got != want {
			t.Errorf("task state_info %q, want %q", got, want)
		}
		info := deref(done.StateInfo)
		if done.State != engine.StateError || !strings.Contains(info, "boom\uFFFD \uFFFD!") || strings.ContainsRune(info, 0) {
			t.Errorf("execution %s, state_info %q; want ERROR quoting the cleaned output", done.State, info)
		}
	})
}

// TestCleanText: NUL and bytes that are not UTF-8 become U+FFFD; other
// text is returned as it is.
func TestCleanText(t *testing.T) {
	for in, want := range map[string]string{
		"":                "",
		"plain zoë 😀":     "plain zoë 😀",
		"a\x00b":          "a\uFFFDb",
		"\x00\x00":        "\uFFFD\uFFFD",
		"a\xffb":          "a\uFFFDb",
		"a\xff\xfe\x00b":  "a\uFFFD\uFFFDb",
		"tab\tand\nlines": "tab\tand\nlines",
	} {
		if got := engine.CleanText(in); got != want {
			t.Errorf("CleanText(%q) = %q, want %q", in, got, want)
		}
	}
}
