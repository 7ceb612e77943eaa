package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// keystoneCLI runs the real mistral CLI logging in against Sirocco's
// Keystone subset: OS_AUTH_URL and a password, no OS_MISTRAL_URL (the
// workflowv2 endpoint comes from the catalog).
func (m *mistralCLI) keystone(t *testing.T, base, user, password string, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, m.bin, args...)
	cmd.Dir = m.home
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + m.home,
		"OS_AUTH_URL=" + base + "/v3", "OS_USERNAME=" + user, "OS_PASSWORD=" + password,
		"OS_PROJECT_NAME=sirocco", "OS_USER_DOMAIN_NAME=Default", "OS_PROJECT_DOMAIN_NAME=Default", "OS_IDENTITY_API_VERSION=3"}
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	r := cliResult{args: args}
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		r.code = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("mistral %q: %v", args, err)
	}
	r.stdout, r.stderr = out.String(), errOut.String()
	return r
}

// TestMistralCLIKeystoneLogin: the real mistral CLI logs in with a
// password against Sirocco alone and drives a workflow from
// workflow-create to action-execution-update; a wrong password fails
// with 401 and changes nothing.
func TestMistralCLIKeystoneLogin(t *testing.T) {
	t.Parallel()
	cli := newMistralCLI(t)
	s := startAuthServer(t)
	wfFile, err := filepath.Abs(filepath.Join("testdata", "greet.yaml"))
	if err != nil {
		t.Fatal(err)
	}

	// A wrong password: 401, nothing created.
	bad := cli.keystone(t, s.URL, "admin", "not-the-password", "--debug", "workflow-create", wfFile)
	if bad.code == 0 || !strings.Contains(bad.stderr+bad.stdout, "401") {
		t.Errorf("workflow-create with a wrong password: exit %d, want non-zero mentioning 401\nstdout:\n%s\nstderr:\n%s", bad.code, bad.stdout, bad.stderr)
	}
	if r := s.req(t, "GET", "/v2/workflows", s.tokens["viewer"], nil, nil); len(r.JSON["workflows"].([]any)) != 0 {
		t.Fatalf("after a refused login, workflows exist: %s", r.Raw)
	}

	r := cli.keystone(t, s.URL, "admin", testAdminPassword, "workflow-create", wfFile, "-f", "json")
	var wfs []map[string]any
	if err := json.Unmarshal([]byte(r.mustSucceed(t)), &wfs); err != nil || len(wfs) != 1 || wfs[0]["Name"] != "greet" {
		t.Fatalf("workflow-create: %v %v\n%s", err, wfs, r.stdout)
	}
	ex := cli.keystone(t, s.URL, "admin", testAdminPassword, "execution-create", "greet", `{"name": "Bob"}`, "-f", "json").object(t)
	exID, _ := ex["ID"].(string)
	if exID == "" || ex["State"] != "RUNNING" {
		t.Fatalf("execution-create: %v", ex)
	}
	action := s.runningAction(t, exID)
	actionID := str(t, action, "id")

	// A viewer may read but not decide.
	s.req(t, "POST", "/auth/users", s.tokens["admin"], map[string]any{"name": "carol", "role": "viewer", "password": "carol-password"}, nil)
	if r := cli.keystone(t, s.URL, "carol", "carol-password", "action-execution-get", actionID, "-f", "json"); r.code != 0 {
		t.Errorf("viewer action-execution-get: exit %d\n%s", r.code, r.stderr)
	}
	if r := cli.keystone(t, s.URL, "carol", "carol-password", "action-execution-update", actionID, "--state", "SUCCESS", "--output", "3"); r.code == 0 {
		t.Errorf("viewer action-execution-update exited 0, want a refusal")
	}

	upd := tableFields(cli.keystone(t, s.URL, "admin", testAdminPassword, "action-execution-update", actionID, "--state", "SUCCESS", "--output", "3").mustSucceed(t))
	if upd["State"] != "SUCCESS" {
		t.Errorf("action-execution-update: %v", upd)
	}
	got := s.waitState(t, "/v2/executions/"+exID, "SUCCESS")
	if !jsonTextEqual(str(t, got, "output"), `{"greeting": "Hello, Bob", "answer": 3}`) {
		t.Errorf("output %v", got["output"])
	}
	// The timeline says who decided.
	page := sendWith(t, s.sessions["admin"], "GET", s.URL+"/actions/"+actionID, "", nil, nil)
	if !strings.Contains(page.Raw, "by admin") {
		t.Errorf("the action page does not say the admin decided")
	}
	s.checkLogClean(t)
}

// runningAction is helpers' runningAction with a viewer token.
func (s *authServer) runningAction(t *testing.T, exID string) map[string]any {
	t.Helper()
	var action map[string]any
	poll(t, "a RUNNING action of "+exID, func() (bool, string) {
		r := s.req(t, "GET", "/v2/action_executions?state=RUNNING", s.tokens["viewer"], nil, nil)
		list, _ := r.JSON["action_executions"].([]any)
		for _, a := range list {
			m := a.(map[string]any)
			if m["task_execution_id"] != nil {
				tr := s.req(t, "GET", "/v2/tasks/"+m["task_execution_id"].(string), s.tokens["viewer"], nil, nil)
				if tr.JSON["workflow_execution_id"] == exID {
					action = m
					return true, ""
				}
			}
		}
		return false, r.Raw
	})
	return action
}

func (s *authServer) waitState(t *testing.T, path, want string) map[string]any {
	t.Helper()
	var got map[string]any
	poll(t, path+" to be "+want, func() (bool, string) {
		r := s.req(t, "GET", path, s.tokens["viewer"], nil, nil)
		got = r.JSON
		return got["state"] == want, r.Raw
	})
	return got
}

// TestCallbackToken: std.mistral_http sends Sirocco-Callback-Token; with
// it a web service without an account completes its action on either
// callback route, and cannot complete another action or read anything;
// sending its result again is 200, another result 409.
func TestCallbackToken(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	got := map[string]string{} // action id → token received
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got[r.Header.Get("Mistral-Action-Execution-Id")] = r.Header.Get(engine.CallbackTokenHeader)
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer svc.Close()
	s := startAuthServer(t)
	admin := s.tokens["admin"]
	wf := "version: '2.0'\ncall:\n  tasks:\n    a:\n      action: std.mistral_http url=" + svc.URL + "\n"
	if r := s.req(t, "POST", "/v2/workflows", admin, wf, nil); r.Status != http.StatusCreated {
		t.Fatalf("create workflow: %d %s", r.Status, r.Raw)
	}
	start := func() (string, string) {
		r := s.req(t, "POST", "/v2/executions", admin, map[string]any{"workflow_name": "call"}, nil)
		exID := str(t, r.JSON, "id")
		id := str(t, s.runningAction(t, exID), "id")
		var tok string
		poll(t, "the web service to receive "+id, func() (bool, string) {
			mu.Lock()
			defer mu.Unlock()
			tok = got[id]
			return tok != "", "nothing yet"
		})
		s.secrets = append(s.secrets, tok)
		return id, tok
	}
	id1, tok1 := start()
	id2, tok2 := start()
	if tok1 == tok2 {
		t.Fatal("two actions got the same callback token")
	}
	cb := func(tok string) map[string]string { return map[string]string{engine.CallbackTokenHeader: tok} }
	done := map[string]any{"state": "SUCCESS", "output": 1}

	// Not another action, not as a bearer token, not for reading.
	if r := s.req(t, "POST", "/v2/action-executions/"+id2, "", done, cb(tok1)); r.Status != http.StatusUnauthorized {
		t.Errorf("token of %s completing %s: %d, want 401; %s", id1, id2, r.Status, r.Raw)
	}
	if r := s.req(t, "POST", "/v2/action-executions/"+id1, tok1, done, nil); r.Status != http.StatusUnauthorized {
		t.Errorf("callback token as a bearer token: %d, want 401", r.Status)
	}
	for _, path := range []string{"/v2/action_executions/" + id1, "/v2/action-executions/" + id1, "/v2/executions", "/v2/workflows"} {
		if r := s.req(t, "GET", path, "", nil, cb(tok1)); r.Status != http.StatusUnauthorized {
			t.Errorf("GET %s with a callback token: %d, want 401", path, r.Status)
		}
	}
	if r := s.req(t, "POST", "/v2/executions", "", map[string]any{"workflow_name": "call"}, cb(tok1)); r.Status != http.StatusUnauthorized {
		t.Errorf("POST /v2/executions with a callback token: %d, want 401", r.Status)
	}

	// Its own action, on both routes.
	if r := s.req(t, "POST", "/v2/action-executions/"+id1, "", done, cb(tok1)); r.Status != http.StatusOK {
		t.Errorf("callback with its token: %d %s", r.Status, r.Raw)
	}
	if r := s.req(t, "PUT", "/v2/action_executions/"+id2, "", map[string]any{"state": "ERROR", "output": "no"}, cb(tok2)); r.Status != http.StatusOK {
		t.Errorf("callback on the Mistral route: %d %s", r.Status, r.Raw)
	}
	// A service that got no answer sends its result again: the same result
	// is 200 (changing nothing), another is 409 saying what was recorded,
	// through what and by whom. The token still completes nothing else.
	if r := s.req(t, "POST", "/v2/action-executions/"+id1, "", done, cb(tok1)); r.Status != http.StatusOK || r.Header.Get("Sirocco-Repeated") != "true" {
		t.Errorf("the same result again with the callback token: %d %s, want 200 marked repeated", r.Status, r.Raw)
	}
	if r := s.req(t, "PUT", "/v2/action_executions/"+id2, "", map[string]any{"state": "ERROR", "output": "no"}, cb(tok2)); r.Status != http.StatusOK {
		t.Errorf("the same error again on the Mistral route: %d %s, want 200", r.Status, r.Raw)
	}
	other := map[string]any{"state": "SUCCESS", "output": 2}
	if r := s.req(t, "POST", "/v2/action-executions/"+id1, "", other, cb(tok1)); r.Status != http.StatusConflict ||
		!strings.Contains(r.Raw, "state SUCCESS was recorded") || !strings.Contains(r.Raw, "via api (by callback token)") {
		t.Errorf("another result after completion: %d %s, want 409 naming state, source and the callback token", r.Status, r.Raw)
	}
	if r := s.req(t, "POST", "/v2/action-executions/"+id2, "", done, cb(tok1)); r.Status != http.StatusUnauthorized {
		t.Errorf("token of %s completing the finished %s: %d, want 401", id1, id2, r.Status)
	}
	if r := s.req(t, "GET", "/v2/action-executions/"+id1, "", nil, cb(tok1)); r.Status != http.StatusUnauthorized {
		t.Errorf("reading with the callback token after completion: %d, want 401", r.Status)
	}
	a := s.req(t, "GET", "/v2/action_executions/"+id1, s.tokens["viewer"], nil, nil)
	if a.JSON["state"] != "SUCCESS" {
		t.Errorf("action %s: %v", id1, a.JSON["state"])
	}
	// What was sent is recorded with the token masked.
	page := sendWith(t, s.sessions["viewer"], "GET", s.URL+"/actions/"+id1, "", nil, nil)
	if strings.Contains(page.Raw, tok1) || !strings.Contains(page.Raw, engine.CallbackTokenHeader) {
		t.Errorf("the action page must name %s and mask its value", engine.CallbackTokenHeader)
	}
	if !strings.Contains(page.Raw, "by callback token") {
		t.Errorf("the timeline does not say a callback token decided")
	}
	s.checkLogClean(t)
}

// TestAuthOffOnlyOnLoopback: -auth off is refused unless the listener is
// loopback only; -auth on is the default.
func TestAuthOffOnlyOnLoopback(t *testing.T) {
	t.Parallel()
	var stdout, stderr strings.Builder
	err := run(context.Background(), []string{"-auth", "off", "-addr", "0.0.0.0:0", "-base-url", "http://sirocco.test", "-db", filepath.Join(t.TempDir(), "x.db")}, noEnv, &stdout, &stderr)
	var ue usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("-auth off on 0.0.0.0: %v, want a usage error naming loopback", err)
	}
	err = run(context.Background(), []string{"-addr", "0.0.0.0:0"}, func(k string) string {
		return map[string]string{"SIROCCO_AUTH": "off", "SIROCCO_DB": filepath.Join(t.TempDir(), "y.db"), "SIROCCO_BASE_URL": "http://sirocco.test"}[k]
	}, &stdout, &stderr)
	if !errors.As(err, &ue) {
		t.Errorf("SIROCCO_AUTH=off on 0.0.0.0: %v, want a usage error", err)
	}

	// The default is on; the first start prints how to log in and the
	// generated password, which the log never holds.
	srv := startServerEnv(t, map[string]string{"SIROCCO_AUTH": ""})
	out := srv.stdout.String()
	var m string
	if sub := generatedRE.FindStringSubmatch(out); sub != nil {
		m = sub[1]
	}
	if m == "" || !strings.Contains(out, "/login") || !strings.Contains(out, "OS_AUTH_URL=") {
		t.Errorf("first start stdout does not tell how to log in:\n%s", out)
	}
	if r := do(t, "GET", srv.URL+"/v2/workflows", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("default mode: anonymous GET /v2/workflows %d, want 401", r.Status)
	}
	s := &authServer{testServer: srv}
	if tok := s.keystoneLogin(t, "admin", m, http.StatusCreated); tok == "" {
		t.Error("no X-Subject-Token")
	}
	s.secrets = []string{m}
	s.checkLogClean(t)
}

var generatedRE = regexp.MustCompile(`created the account "admin" with the password (\S+)`)
