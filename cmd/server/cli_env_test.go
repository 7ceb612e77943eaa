package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// writeFiles writes name → text into a new directory and returns it.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// jsonCell decodes a JSON text the CLI printed in a field.
func jsonCell(t *testing.T, what string, v any) any {
	t.Helper()
	s, _ := v.(string)
	var out any
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		t.Fatalf("%s: %q is not JSON: %v", what, s, err)
	}
	return out
}

// TestMistralCLIEnvironments drives environments with the real mistral
// CLI as a Mistral user does: environment-create from a YAML and from a
// JSON file, -get (Variables shown, indented), -list, -update, -get
// --export, -delete; an execution started with params {"env": "<name>"}
// sees its variables, and an unknown name fails with Mistral's message.
func TestMistralCLIEnvironments(t *testing.T) {
	t.Parallel()
	cli := newMistralCLI(t)
	srv := startServer(t)
	cli.url = srv.URL + "/v2"
	dir := writeFiles(t, map[string]string{
		"env.yaml":    "name: cli_env\ndescription: from yaml\nvariables:\n  region: eu-9\n  n: 7\n  nested: {a: [1, 2]}\n",
		"env.json":    `{"name": "cli_env_json", "variables": {"k": "v"}, "scope": "private"}`,
		"env_up.yaml": "name: cli_env\nvariables:\n  region: us-1\n",
		"wf.yaml": `---
version: '2.0'
cli_env_wf:
  output:
    said: <% $.said %>
  tasks:
    greet:
      action: std.echo output="in <% env().region %>"
      publish:
        said: <% task().result %>
`,
	})
	file := func(name string) string { return filepath.Join(dir, name) }

	// The default table, as people see it.
	table := cli.ok(t, "environment-create", file("env.yaml"))
	created := tableFields(table)
	for k, want := range map[string]string{"Name": "cli_env", "Description": "from yaml", "Scope": "private", "Updated at": "None"} {
		if created[k] != want {
			t.Errorf("environment-create table: %s = %q, want %q\n%s", k, created[k], want, table)
		}
	}
	if !strings.Contains(table, `|             |     "region": "eu-9",`) && !strings.Contains(table, `|             |     "region": "eu-9"`) {
		t.Errorf("environment-create table shows no indented Variables:\n%s", table)
	}
	fromJSON := cli.show(t, "environment-create", file("env.json"))
	checkFields(t, "environment-create (JSON file)", fromJSON, map[string]any{"Name": "cli_env_json", "Description": nil, "Scope": "private", "Updated at": nil})

	got := cli.show(t, "environment-get", "cli_env")
	checkFields(t, "environment-get", got, map[string]any{"Name": "cli_env", "Description": "from yaml", "Scope": "private", "Updated at": "<none>"})
	if v := jsonCell(t, "environment-get Variables", got["Variables"]); !reflect.DeepEqual(v, map[string]any{"region": "eu-9", "n": 7.0, "nested": map[string]any{"a": []any{1.0, 2.0}}}) {
		t.Errorf("environment-get Variables = %v", v)
	}
	if !strings.Contains(got["Variables"].(string), "\n    \"") {
		t.Errorf("environment-get Variables %q is not indented by 4, as the CLI prints it", got["Variables"])
	}

	rows := cli.list(t, "environment-list")
	if len(rows) != 2 {
		t.Fatalf("environment-list printed %d rows, want 2: %v", len(rows), rows)
	}
	checkFields(t, "environment-list", rows[0], map[string]any{"Name": "cli_env", "Description": "from yaml", "Scope": "private", "Updated at": "<none>"})
	checkFields(t, "environment-list", rows[1], map[string]any{"Name": "cli_env_json", "Description": "<none>"})
	if _, ok := rows[0]["Variables"]; ok {
		t.Errorf("environment-list shows Variables; the CLI lists without them: %v", rows[0])
	}

	up := cli.show(t, "environment-update", file("env_up.yaml"))
	checkFields(t, "environment-update", up, map[string]any{"Name": "cli_env", "Description": "from yaml"})
	if v := jsonCell(t, "environment-update Variables", up["Variables"]); !reflect.DeepEqual(v, map[string]any{"region": "us-1"}) {
		t.Errorf("environment-update Variables = %v", v)
	}
	if u, _ := up["Updated at"].(string); len(u) != len("2006-01-02 15:04:05") {
		t.Errorf("environment-update Updated at = %q, want a time", up["Updated at"])
	}
	export := cli.show(t, "environment-get", "cli_env", "--export")
	checkFields(t, "environment-get --export", export, map[string]any{"name": "cli_env", "description": "from yaml", "scope": "private", "variables": `{"region": "us-1"}`})

	// params.env by name, as execution-create's third argument.
	cli.ok(t, "workflow-create", file("wf.yaml"))
	ex := cli.show(t, "execution-create", "cli_env_wf", "{}", `{"env": "cli_env"}`)
	exID, _ := ex["ID"].(string)
	waitState(t, srv.URL+"/v2/executions/"+exID, "SUCCESS")
	if out := cli.ok(t, "execution-get-output", exID); !jsonTextEqual(out, `{"said": "in us-1"}`) {
		t.Errorf("execution-get-output = %q, want the environment's region", out)
	}
	full := mustDo(t, http.StatusOK, http.MethodGet, srv.URL+"/v2/executions/"+exID, nil)
	if p, _ := decodeField(t, full, "params").(map[string]any); !reflect.DeepEqual(p["env"], map[string]any{"region": "us-1"}) {
		t.Errorf("params = %v, want env resolved to the variables", full["params"])
	}
	bad := cli.run(t, "execution-create", "cli_env_wf", "{}", `{"env": "nope"}`)
	if bad.code == 0 || !strings.Contains(bad.stderr, "Environment is not found: nope") {
		t.Errorf("execution-create with an unknown env: exit %d, stderr %q", bad.code, bad.stderr)
	}

	if out := cli.ok(t, "environment-delete", "cli_env", "cli_env_json"); !strings.Contains(out, "Request to delete environment cli_env has been accepted.") {
		t.Errorf("environment-delete printed %q", out)
	}
	gone := cli.run(t, "environment-get", "cli_env")
	if gone.code == 0 || !strings.Contains(gone.stderr, "Environment not found [name=cli_env]") {
		t.Errorf("environment-get after the delete: exit %d, stderr %q", gone.code, gone.stderr)
	}
	dup := cli.run(t, "environment-delete", "cli_env")
	if dup.code == 0 {
		t.Errorf("environment-delete of a deleted environment exited 0")
	}
}
