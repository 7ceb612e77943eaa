package main

import (
	"os"
	"strings"
	"testing"
)

// TestMistralCLIMore drives the CLI's other verbs the language issue needs:
// run-action (ad-hoc actions, sync and async), execution-update (pause,
// resume), workflow-list/get/delete and action-list.
func TestMistralCLIMore(t *testing.T) {
	t.Parallel()
	cli := newMistralCLI(t)
	srv := startServer(t, "-seed=false")
	cli.url = srv.URL + "/v2"

	results := cli.all(t,
		[]string{"run-action", "std.echo", `{"output": "hi"}`},
		[]string{"run-action", "std.async_noop", "-s", "-f", "json"},
		[]string{"action-list", "-f", "json"},
	)
	// A sync run prints the raw output.
	if got := strings.TrimSpace(results[0].mustSucceed(t)); got != `{"result": "hi"}` {
		t.Errorf("run-action std.echo printed %q", got)
	}
	// An async run with -s is stored and waits for its result.
	ae := results[1].object(t)
	checkFields(t, "run-action std.async_noop", ae, map[string]any{"Name": "std.async_noop", "State": "RUNNING"})
	if !strings.Contains(results[2].mustSucceed(t), "std.mistral_http") {
		t.Errorf("action-list lacks std.mistral_http:\n%s", results[2].stdout)
	}
	id, _ := ae["ID"].(string)
	out := cli.ok(t, "action-execution-update", id, "--state", "SUCCESS", "--output", `{"done": true}`)
	if !strings.Contains(out, "SUCCESS") {
		t.Errorf("action-execution-update printed:\n%s", out)
	}
	got := cli.show(t, "action-execution-get", id, "-f", "json")
	checkFields(t, "completed ad-hoc action", got, map[string]any{"State": "SUCCESS", "Accepted": true})

	// Pause and resume an execution with execution-update.
	wf := strings.Join([]string{
		"version: '2.0'",
		"held:",
		"  tasks:",
		"    wait:",
		"      action: std.async_noop",
	}, "\n") + "\n"
	file := t.TempDir() + "/held.yaml"
	if err := os.WriteFile(file, []byte(wf), 0o600); err != nil {
		t.Fatal(err)
	}
	cli.ok(t, "workflow-create", file)
	ex := cli.show(t, "execution-create", "held", "-f", "json")
	exID, _ := ex["ID"].(string)
	paused := cli.show(t, "execution-update", exID, "-s", "PAUSED", "-f", "json")
	checkFields(t, "execution-update PAUSED", paused, map[string]any{"State": "PAUSED"})
	resumed := cli.show(t, "execution-update", exID, "-s", "RUNNING", "-f", "json")
	checkFields(t, "execution-update RUNNING", resumed, map[string]any{"State": "RUNNING"})
	cancelled := cli.show(t, "execution-update", exID, "-s", "CANCELLED", "-f", "json")
	checkFields(t, "execution-update CANCELLED", cancelled, map[string]any{"State": "CANCELLED"})

	got = cli.show(t, "workflow-get", "held", "-f", "json")
	checkFields(t, "workflow-get", got, map[string]any{"Name": "held"})
	cli.ok(t, "execution-delete", exID)
	cli.ok(t, "workflow-delete", "held")
	if r := cli.run(t, "workflow-get", "held"); r.code == 0 || !strings.Contains(r.stderr, "Workflow not found") {
		t.Errorf("workflow-get after delete: exit %d, stderr %s", r.code, r.stderr)
	}
}

// TestMistralCLITaskRerun: the CLI's task-rerun runs a failed task again
// and its workflow finishes with the new result.
func TestMistralCLITaskRerun(t *testing.T) {
	t.Parallel()
	cli := newMistralCLI(t)
	srv := startServer(t, "-seed=false")
	cli.url = srv.URL + "/v2"
	file := t.TempDir() + "/rerun.yaml"
	if err := os.WriteFile(file, []byte("version: '2.0'\nrerun_me:\n  tasks:\n    t:\n      action: std.async_noop\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cli.ok(t, "workflow-create", file)
	ex := cli.show(t, "execution-create", "rerun_me", "-f", "json")
	exID, _ := ex["ID"].(string)
	first := runningAction(t, srv.URL, exID)
	taskID := str(t, first, "task_execution_id")
	cli.ok(t, "action-execution-update", str(t, first, "id"), "--state", "ERROR", "--output", `{"why": "down"}`)
	waitState(t, srv.URL+"/v2/executions/"+exID, "ERROR")

	task := cli.show(t, "task-rerun", taskID, "-f", "json")
	checkFields(t, "task-rerun", task, map[string]any{"State": "RUNNING"})
	var second map[string]any
	poll(t, "a new attempt of task "+taskID, func() (bool, string) {
		r := do(t, "GET", srv.URL+"/v2/tasks/"+taskID+"/action_executions?state=RUNNING", nil)
		list, _ := r.JSON["action_executions"].([]any)
		if len(list) == 1 {
			second = list[0].(map[string]any)
		}
		return second != nil, r.Raw
	})
	if str(t, second, "id") == str(t, first, "id") {
		t.Fatal("task-rerun did not start a new attempt")
	}
	cli.ok(t, "action-execution-update", str(t, second, "id"), "--state", "SUCCESS", "--output", "3")
	waitState(t, srv.URL+"/v2/executions/"+exID, "SUCCESS")
}

// TestMistralCLITaskRerunResume: task-rerun --resume (reset false) runs
// only the failed item of a with-items task again.
func TestMistralCLITaskRerunResume(t *testing.T) {
	t.Parallel()
	cli := newMistralCLI(t)
	srv := startServer(t, "-seed=false")
	cli.url = srv.URL + "/v2"
	file := t.TempDir() + "/resume.yaml"
	def := "version: '2.0'\nresume_me:\n  tasks:\n    t:\n      with-items: x in <% [1, 2] %>\n      action: std.async_noop\n"
	if err := os.WriteFile(file, []byte(def), 0o600); err != nil {
		t.Fatal(err)
	}
	cli.ok(t, "workflow-create", file)
	ex := cli.show(t, "execution-create", "resume_me", "-f", "json")
	exID, _ := ex["ID"].(string)
	var first []any
	poll(t, "two waiting items", func() (bool, string) {
		r := do(t, "GET", srv.URL+"/v2/action_executions?state=RUNNING&workflow_name=resume_me", nil)
		first, _ = r.JSON["action_executions"].([]any)
		return len(first) == 2, r.Raw
	})
	a0, a1 := first[0].(map[string]any), first[1].(map[string]any)
	taskID := str(t, a0, "task_execution_id")
	cli.ok(t, "action-execution-update", str(t, a0, "id"), "--state", "SUCCESS", "--output", "1")
	cli.ok(t, "action-execution-update", str(t, a1, "id"), "--state", "ERROR", "--output", `{"why": "down"}`)
	waitState(t, srv.URL+"/v2/executions/"+exID, "ERROR")

	cli.ok(t, "task-rerun", taskID, "--resume")
	var again []any
	poll(t, "the failed item running again", func() (bool, string) {
		r := do(t, "GET", srv.URL+"/v2/tasks/"+taskID+"/action_executions?state=RUNNING", nil)
		again, _ = r.JSON["action_executions"].([]any)
		return len(again) > 0, r.Raw
	})
	if len(again) != 1 {
		t.Fatalf("--resume started %d actions, want 1 (the failed item): %v", len(again), again)
	}
	cli.ok(t, "action-execution-update", str(t, again[0].(map[string]any), "id"), "--state", "SUCCESS", "--output", "2")
	waitState(t, srv.URL+"/v2/executions/"+exID, "SUCCESS")
	if kept := do(t, "GET", srv.URL+"/v2/action_executions/"+str(t, a0, "id"), nil); kept.JSON["accepted"] != true {
		t.Errorf("the item that succeeded is no longer accepted: %s", kept.Raw)
	}
}

// TestMistralCLIAdhocActions: action-create, action-get, action-update and
// action-delete of the real CLI on an ad-hoc action, and a workflow that
// uses it.
func TestMistralCLIAdhocActions(t *testing.T) {
	t.Parallel()
	cli := newMistralCLI(t)
	srv := startServer(t, "-seed=false")
	cli.url = srv.URL + "/v2"
	dir := t.TempDir()
	write := func(name, text string) string {
		t.Helper()
		file := dir + "/" + name
		if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return file
	}
	acts := write("actions.yaml", "version: '2.0'\ngreet:\n  description: Say hello\n  base: std.echo output=\"Hello, <% $.name %>\"\n  input: [name]\n")
	out := cli.ok(t, "action-create", acts)
	if !strings.Contains(out, "greet") || !strings.Contains(out, "Say hello") {
		t.Errorf("action-create printed:\n%s", out)
	}
	got := cli.show(t, "action-get", "greet", "-f", "json")
	checkFields(t, "action-get", got, map[string]any{"Name": "greet", "Is system": false, "Input": "name"})
	if !strings.Contains(cli.ok(t, "action-list"), "greet") {
		t.Error("action-list lacks greet")
	}
	cli.ok(t, "action-update", write("update.yaml", "version: '2.0'\ngreet:\n  base: std.echo output=\"Hi, <% $.name %>\"\n  input: [name]\n"))

	wf := write("wf.yaml", "version: '2.0'\nuse_greet:\n  tasks:\n    t:\n      action: greet name=Bob\n      publish: {g: <% task().result %>}\n")
	cli.ok(t, "workflow-create", wf)
	ex := cli.show(t, "execution-create", "use_greet", "-f", "json")
	exID, _ := ex["ID"].(string)
	waitState(t, srv.URL+"/v2/executions/"+exID, "SUCCESS")
	if out := cli.ok(t, "execution-get-output", exID); !strings.Contains(out, `"Hi, Bob"`) {
		t.Errorf("execution-get-output printed:\n%s", out)
	}
	cli.ok(t, "action-delete", "greet")
	if r := cli.run(t, "action-get", "greet"); r.code == 0 || !strings.Contains(r.stderr, "Action not found") {
		t.Errorf("action-get after delete: exit %d, stderr %s", r.code, r.stderr)
	}
}

// TestMistralCLIWorkbooks: workbook-create, -get, -list, -validate and
// -delete of the real CLI, and an execution of a workbook's workflow.
func TestMistralCLIWorkbooks(t *testing.T) {
	t.Parallel()
	cli := newMistralCLI(t)
	srv := startServer(t, "-seed=false")
	cli.url = srv.URL + "/v2"
	file := t.TempDir() + "/wb.yaml"
	wb := "version: '2.0'\nname: shop\nactions:\n  greet:\n    base: std.echo output=\"Hello, <% $.name %>\"\n    input: [name]\n" +
		"workflows:\n  order:\n    tasks:\n      hello:\n        action: greet name=Bob\n        publish: {g: <% task().result %>}\n"
	if err := os.WriteFile(file, []byte(wb), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := cli.ok(t, "workbook-validate", file); !strings.Contains(out, "True") {
		t.Errorf("workbook-validate printed:\n%s", out)
	}
	if out := cli.ok(t, "workbook-create", file); !strings.Contains(out, "shop") {
		t.Errorf("workbook-create printed:\n%s", out)
	}
	got := cli.show(t, "workbook-get", "shop", "-f", "json")
	checkFields(t, "workbook-get", got, map[string]any{"Name": "shop"})
	if !strings.Contains(cli.ok(t, "workbook-list"), "shop") {
		t.Error("workbook-list lacks shop")
	}
	ex := cli.show(t, "execution-create", "shop.order", "-f", "json")
	exID, _ := ex["ID"].(string)
	waitState(t, srv.URL+"/v2/executions/"+exID, "SUCCESS")
	if out := cli.ok(t, "execution-get-output", exID); !strings.Contains(out, `"Hello, Bob"`) {
		t.Errorf("execution-get-output printed:\n%s", out)
	}
	cli.ok(t, "workbook-delete", "shop")
	if r := cli.run(t, "workbook-get", "shop"); r.code == 0 || !strings.Contains(r.stderr, "Workbook not found") {
		t.Errorf("workbook-get after delete: exit %d, stderr %s", r.code, r.stderr)
	}
}
