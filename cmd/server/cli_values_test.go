package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMistralCLIWorkflowUpdate drives workflow-update with the real CLI:
// by name it fills "Updated at"; with --id it answers with the one workflow
// (the CLI failed on a list there), may rename it, and refuses a document
// of two workflows with Mistral's message.
func TestMistralCLIWorkflowUpdate(t *testing.T) {
	t.Parallel()
	cli := newMistralCLI(t)
	srv := startServer(t)
	cli.url = srv.URL + "/v2"
	dir := t.TempDir()
	file := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	v1 := file("v1.yaml", "version: '2.0'\nwfu:\n  tasks:\n    t:\n      action: std.noop\n")
	v2 := file("v2.yaml", "version: '2.0'\nwfu:\n  input: [a]\n  tasks:\n    t:\n      action: std.noop\n")
	renamed := file("renamed.yaml", "version: '2.0'\nwfv:\n  tasks:\n    t:\n      action: std.noop\n")
	two := file("two.yaml", "version: '2.0'\nx1:\n  tasks:\n    t:\n      action: std.noop\ny1:\n  tasks:\n    t:\n      action: std.noop\n")

	created := cli.list(t, "workflow-create", v1)
	if len(created) != 1 {
		t.Fatalf("workflow-create printed %d workflows, want 1: %v", len(created), created)
	}
	id, _ := created[0]["ID"].(string)

	updated := cli.list(t, "workflow-update", v2)
	if len(updated) != 1 {
		t.Fatalf("workflow-update printed %d workflows, want 1: %v", len(updated), updated)
	}
	checkFields(t, "workflow-update", updated[0], map[string]any{"ID": id, "Name": "wfu", "Input": "a"})
	if at, _ := updated[0]["Updated at"].(string); at == "" || at == "None" {
		t.Errorf("workflow-update: Updated at = %v, want the time of the update", updated[0]["Updated at"])
	}

	rows := cli.list(t, "workflow-update", "--id", id, renamed)
	if len(rows) != 1 {
		t.Fatalf("workflow-update --id printed %d workflows, want 1: %v", len(rows), rows)
	}
	byID := rows[0]
	checkFields(t, "workflow-update --id", byID, map[string]any{"ID": id, "Name": "wfv", "Input": ""})
	if at, _ := byID["Updated at"].(string); at == "" || at == "None" {
		t.Errorf("workflow-update --id: Updated at = %v, want the time of the update", byID["Updated at"])
	}
	got := cli.show(t, "workflow-get", id)
	checkFields(t, "workflow-get after --id", got, map[string]any{"ID": id, "Name": "wfv"})

	r := cli.run(t, "workflow-update", "--id", id, two)
	if r.code == 0 || !strings.Contains(r.stderr, "More than one workflows are not supported for update with identifier") {
		t.Errorf("workflow-update --id with two workflows: exit %d, stderr %q; want a failure naming the reason", r.code, r.stderr)
	}
	r = cli.run(t, "workflow-update", "--id", "00000000-0000-0000-0000-000000000000", v1)
	if r.code == 0 || !strings.Contains(r.stderr, "Workflow not found") {
		t.Errorf("workflow-update --id of an unknown id: exit %d, stderr %q; want Workflow not found", r.code, r.stderr)
	}
}
