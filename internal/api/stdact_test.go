package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sirocco-project/sirocco/internal/sshtest"
)

// TestSecretInputMasked: std.ssh's password and private_key are "***" in
// every answer that shows an action execution's input (the run's own
// answer, GET, the lists), while the action ran with them against a real
// SSH server.
func TestSecretInputMasked(t *testing.T) {
	t.Parallel()
	key := sshtest.NewKey(t, "")
	peer := sshtest.Start(t, sshtest.Options{User: "alice", Password: "pw-api-1", AuthorizedKeys: []ssh.PublicKey{key.Public}})
	s := newServer(t)
	secrets := []string{"pw-api-1", "PRIVATE KEY"}
	input, _ := json.Marshal(map[string]any{"cmd": "whoami", "host": peer.Addr, "username": "alice", "password": "pw-api-1", "private_key": key.PEM})
	body, _ := json.Marshal(map[string]any{"name": "std.ssh", "input": string(input), "params": `{"save_result": true}`})
	masked := func(what string, m map[string]any) {
		t.Helper()
		var in map[string]any
		if err := json.Unmarshal([]byte(m["input"].(string)), &in); err != nil {
			t.Fatalf("%s: input %v: %v", what, m["input"], err)
		}
		if in["password"] != "***" || in["private_key"] != "***" || in["username"] != "alice" {
			t.Errorf("%s: input %v, want password and private_key masked", what, in)
		}
	}
	noSecret := func(what, raw string) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(raw, s) {
				t.Errorf("%s shows %q: %s", what, s, raw)
			}
		}
	}

	ran := s.must(http.MethodPost, "/v2/action_executions", string(body), 201)
	masked("POST /v2/action_executions", ran)
	id := ran["id"].(string)
	got := s.waitState("/v2/action_executions/"+id, "SUCCESS")
	masked("GET /v2/action_executions/<id>", got)
	if got["output"] != `{"result": "alice\n"}` {
		t.Errorf("output %v: the action did not run with its password", got["output"])
	}
	_, raw := s.do(http.MethodGet, "/v2/action_executions", "", "")
	noSecret("GET /v2/action_executions", raw)
	if !strings.Contains(raw, `\"password\": \"***\"`) {
		t.Errorf("GET /v2/action_executions: %s", raw)
	}

	// Run now (not stored): the answer masks it too.
	body, _ = json.Marshal(map[string]any{"name": "std.ssh", "input": string(input), "params": `{"run_sync": true}`})
	now := s.must(http.MethodPost, "/v2/action_executions", string(body), 201)
	masked("POST run_sync", now)

	// In a workflow: the task's action executions.
	s.must(http.MethodPost, "/v2/workflows", "version: '2.0'\nssh_wf:\n  input: [host, pw]\n  tasks:\n    t:\n      action: std.ssh cmd=whoami host=<% $.host %> username=alice password=<% $.pw %>\n", 201)
	exIn, _ := json.Marshal(map[string]any{"host": peer.Addr, "pw": "pw-api-1"})
	exBody, _ := json.Marshal(map[string]any{"workflow_name": "ssh_wf", "input": string(exIn)})
	ex := s.must(http.MethodPost, "/v2/executions", string(exBody), 201)
	s.waitState("/v2/executions/"+ex["id"].(string), "SUCCESS")
	tasks := s.must(http.MethodGet, "/v2/executions/"+ex["id"].(string)+"/tasks", "", 200)["tasks"].([]any)
	taskID := tasks[0].(map[string]any)["id"].(string)
	_, raw = s.do(http.MethodGet, "/v2/tasks/"+taskID+"/action_executions", "", "")
	if strings.Contains(raw, "pw-api-1") || !strings.Contains(raw, `\"password\": \"***\"`) {
		t.Errorf("GET /v2/tasks/<id>/action_executions: %s", raw)
	}
	_, raw = s.do(http.MethodGet, "/v2/tasks/"+taskID, "", "")
	noSecret("GET /v2/tasks/<id>", raw)
}

// TestSecretInputMaskedOnPut: the answer to a PUT that completes an
// action shows its input masked too.
func TestSecretInputMaskedOnPut(t *testing.T) {
	t.Parallel()
	peer := sshtest.Start(t, sshtest.Options{User: "alice", Password: "pw-api-2"})
	s := newServer(t)
	// The command never ends: the action is still running when it is
	// completed through the API.
	s.must(http.MethodPost, "/v2/workflows", "version: '2.0'\nhang_wf:\n  input: [host, pw]\n  tasks:\n    t:\n      action: std.ssh cmd=hang host=<% $.host %> username=alice password=<% $.pw %>\n", 201)
	exIn, _ := json.Marshal(map[string]any{"host": peer.Addr, "pw": "pw-api-2"})
	exBody, _ := json.Marshal(map[string]any{"workflow_name": "hang_wf", "input": string(exIn)})
	s.must(http.MethodPost, "/v2/executions", string(exBody), 201)
	var id string
	for deadline := time.Now().Add(10 * time.Second); id == ""; {
		list := s.must(http.MethodGet, "/v2/action_executions?state=RUNNING&name=std.ssh", "", 200)["action_executions"].([]any)
		if len(list) == 1 {
			id = list[0].(map[string]any)["id"].(string)
		} else if time.Now().After(deadline) {
			t.Fatal("no running std.ssh")
		}
	}
	status, raw := s.do(http.MethodPut, "/v2/action_executions/"+id, "application/json", `{"state": "SUCCESS", "output": "done by hand"}`)
	if status != 200 || strings.Contains(raw, "pw-api-2") || !strings.Contains(raw, `\"password\": \"***\"`) {
		t.Errorf("PUT: %d %s", status, raw)
	}
}

// TestActionInputNotQueried: filtering or sorting action executions on
// their input would be an oracle for the masked values; it is refused.
func TestActionInputNotQueried(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	for _, q := range []string{"input=has:pw", "input=lt:%7B%22password%22", "sort_keys=input", "input=null"} {
		status, raw := s.do(http.MethodGet, "/v2/action_executions?"+q, "", "")
		if status != http.StatusBadRequest || !strings.Contains(raw, "cannot be filtered or sorted on input") {
			t.Errorf("GET /v2/action_executions?%s: %d %s", q, status, raw)
		}
	}
	// Other fields still filter.
	s.must(http.MethodGet, "/v2/action_executions?name=std.ssh&sort_keys=created_at", "", 200)
}
