package main

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/sirocco-project/sirocco/internal/sshtest"
)

// TestMistralCLIStdActions drives std.ssh, std.ssh_proxied, std.js and
// std.test_dict with the real mistral CLI, against a server whose key
// directory holds a key and a real SSH server in the test process: they
// are listed with their inputs, run ad hoc and in a workflow, and the
// password is shown masked by action-execution-get-input and never
// written to the server's log.
func TestMistralCLIStdActions(t *testing.T) {
	t.Parallel()
	cli := newMistralCLI(t)
	key := sshtest.NewKey(t, "")
	target := sshtest.Start(t, sshtest.Options{Name: "target", User: "alice", Password: "pw-cli-1", AuthorizedKeys: []ssh.PublicKey{key.Public}})
	gateway := sshtest.Start(t, sshtest.Options{Name: "gateway", User: "gw", Forwarding: true, AuthorizedKeys: []ssh.PublicKey{key.Public}})
	keyDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(keyDir, "id_alice"), []byte(key.PEM), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, "-ssh-key-dir", keyDir)
	cli.url = srv.URL + "/v2"

	// action-list lists them, their inputs cut to 25 characters as the
	// CLI does; action-get shows the longer ones whole.
	want := map[string]string{
		"std.ssh":         `cmd, host, username, password="", private_key_filename=null, private_key=null`,
		"std.ssh_proxied": `cmd, host, username, private_key_filename, gateway_host, gateway_username=null, password=null, proxy_command=null, private_key=null`,
		"std.javascript":  `script, context=null`,
		"std.js":          `script, context=null`,
		"std.test_dict":   `size=0, key_prefix="", val=""`,
	}
	listed := map[string]string{}
	for _, row := range cli.list(t, "action-list") {
		name, _ := row["Name"].(string)
		listed[name], _ = row["Input"].(string)
	}
	var gets [][]string
	for _, name := range slices.Sorted(maps.Keys(want)) {
		switch in := listed[name]; {
		case len(want[name]) <= 25 && in != want[name]:
			t.Errorf("action-list: %s input %q, want %q", name, in, want[name])
		case len(want[name]) > 25 && !strings.HasPrefix(want[name], strings.TrimSuffix(in, "...")):
			t.Errorf("action-list: %s input %q, want the start of %q", name, in, want[name])
		case len(want[name]) > 25:
			gets = append(gets, []string{"action-get", name, "-f", "json"})
		}
	}
	for _, r := range cli.all(t, gets...) {
		if name := r.args[1]; r.object(t)["Input"] != want[name] {
			t.Errorf("action-get %s: input %q, want %q", name, r.object(t)["Input"], want[name])
		}
	}

	// run-action prints the output as Mistral's does: {"result": …}.
	sshIn := func(extra string) string {
		return `{"cmd": "whoami", "host": "` + target.Addr + `", "username": "alice"` + extra + `}`
	}
	// Four at a time at most, as the other CLI tests: each starts Python.
	runs := append(cli.all(t,
		[]string{"run-action", "std.js", `{"script": "return {doubled: $.a * 2}", "context": {"a": 21}}`},
		[]string{"run-action", "std.test_dict", `{"size": 2, "key_prefix": "k", "val": 1}`},
		[]string{"run-action", "std.ssh", sshIn(`, "password": "pw-cli-1"`)},
		[]string{"run-action", "std.ssh", sshIn(`, "private_key_filename": "id_alice"`)},
	), cli.all(t,
		[]string{"run-action", "std.ssh_proxied", `{"cmd": "hostname", "host": "` + target.Addr + `", "username": "alice", "private_key_filename": "id_alice", "gateway_host": "` + gateway.Addr + `", "gateway_username": "gw"}`},
		[]string{"run-action", "std.ssh", sshIn(`, "private_key_filename": "../id_alice"`)},
		[]string{"run-action", "std.js", `{"script": "throw new Error('no')"}`},
	)...)
	for i, want := range []any{
		map[string]any{"doubled": float64(42)},
		map[string]any{"k0": float64(1), "k1": float64(1)},
		"alice\n",
		"alice\n",
		"target\n",
	} {
		var out map[string]any
		if err := json.Unmarshal([]byte(runs[i].mustSucceed(t)), &out); err != nil || !reflect.DeepEqual(out["result"], want) {
			t.Errorf("mistral %s: printed %q (%v), want result %#v", strings.Join(runs[i].args, " "), runs[i].stdout, err, want)
		}
	}
	for i, want := range map[int]string{
		5: `private_key_filename refused: \"../id_alice\" goes up with '..'`,
		6: "JavaScriptAction failed: Error: no",
	} {
		if out := runs[i].mustSucceed(t); !strings.Contains(out, want) {
			t.Errorf("mistral %s: printed %q, want it to contain %q", strings.Join(runs[i].args, " "), out, want)
		}
	}

	// Saved, it runs in the background; its input is shown masked.
	saved := cli.show(t, "run-action", "-s", "std.ssh", sshIn(`, "password": "pw-cli-1", "private_key": `+jsonString(key.PEM)))
	id, _ := saved["ID"].(string)
	poll(t, "the saved std.ssh to succeed", func() (bool, string) {
		got := cli.show(t, "action-execution-get", id)
		return got["State"] == "SUCCESS", got["State"].(string)
	})
	in := cli.ok(t, "action-execution-get-input", id)
	if strings.Contains(in, "pw-cli-1") || strings.Contains(in, "PRIVATE KEY") || strings.Count(in, `"***"`) != 2 {
		t.Errorf("action-execution-get-input printed %s, want password and private_key masked", in)
	}
	if out := cli.ok(t, "action-execution-get-output", id); !strings.Contains(out, `"result": "alice\n"`) {
		t.Errorf("action-execution-get-output printed %s", out)
	}

	// A workflow using each, end to end.
	wf := filepath.Join(t.TempDir(), "std.yaml")
	if err := os.WriteFile(wf, []byte(`version: '2.0'
std_cli:
  input: [host, gateway, password]
  output:
    who: <% $.who %>
    via: <% $.via %>
    n: <% $.n %>
  tasks:
    who:
      action: std.ssh cmd=whoami host=<% $.host %> username=alice password=<% $.password %>
      publish: {who: <% task().result %>}
      on-success: [via]
    via:
      action: std.ssh_proxied cmd=hostname host=<% $.host %> username=alice private_key_filename=id_alice gateway_host=<% $.gateway %> gateway_username=gw
      publish: {via: <% task().result %>}
      on-success: [dict]
    dict:
      action: std.test_dict size=4
      on-success: [count]
      publish: {d: <% task().result %>}
    count:
      action: std.javascript
      input:
        script: return Object.keys($).length
        context: <% $.d %>
      publish: {n: <% task().result %>}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	cli.list(t, "workflow-create", wf)
	ex := cli.show(t, "execution-create", "std_cli", `{"host": "`+target.Addr+`", "gateway": "`+gateway.Addr+`", "password": "pw-cli-1"}`)
	exID, _ := ex["ID"].(string)
	poll(t, "execution std_cli to succeed", func() (bool, string) {
		got := cli.show(t, "execution-get", exID)
		if got["State"] == "ERROR" {
			t.Fatalf("execution std_cli failed: %v", got)
		}
		return got["State"] == "SUCCESS", got["State"].(string)
	})
	var out map[string]any
	if err := json.Unmarshal([]byte(cli.ok(t, "execution-get-output", exID)), &out); err != nil {
		t.Fatal(err)
	}
	if want := map[string]any{"who": "alice\n", "via": "target\n", "n": float64(4)}; !reflect.DeepEqual(out, want) {
		t.Errorf("execution-get-output: %v, want %v", out, want)
	}
	// The task's action shows its password masked.
	tasks := cli.list(t, "task-list", exID)
	for _, task := range tasks {
		if task["Name"] != "who" {
			continue
		}
		for _, a := range cli.list(t, "action-execution-list", task["ID"].(string)) {
			if in := cli.ok(t, "action-execution-get-input", a["ID"].(string)); strings.Contains(in, "pw-cli-1") || !strings.Contains(in, `"password": "***"`) {
				t.Errorf("the task's action input: %s", in)
			}
		}
	}
	if strings.Contains(srv.stderr.String(), "pw-cli-1") {
		t.Error("the server's log shows the password")
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
