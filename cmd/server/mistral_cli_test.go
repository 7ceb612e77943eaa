package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// mistralCLI runs the real python-mistralclient CLI against one server, with
// a clean environment: no OS_AUTH_URL, so it sends no auth (reference §5.1).
type mistralCLI struct {
	bin, home, url string
	// timeout bounds one run; zero means waitTimeout.
	timeout time.Duration
}

// newMistralCLI finds the CLI, or skips the test; set url before use.
func newMistralCLI(t *testing.T) *mistralCLI {
	t.Helper()
	bin, err := exec.LookPath("mistral")
	if err != nil {
		if os.Getenv("SIROCCO_REQUIRE_MISTRAL_CLI") == "1" {
			t.Fatalf("mistral CLI not found on PATH but SIROCCO_REQUIRE_MISTRAL_CLI=1: %v", err)
		}
		t.Skip("mistral CLI not installed (apt-get install python3-mistralclient)")
	}
	return &mistralCLI{bin: bin, home: t.TempDir()}
}

// cliResult is one run of the CLI.
type cliResult struct {
	args           []string
	stdout, stderr string
	code           int
	err            error // the CLI could not be run at all
}

// exec runs the CLI; it is safe to call from any goroutine.
func (m *mistralCLI) exec(args ...string) cliResult {
	timeout := m.timeout
	if timeout == 0 {
		timeout = waitTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, m.bin, args...)
	cmd.Dir = m.home
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + m.home, "OS_MISTRAL_URL=" + m.url}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	r := cliResult{args: args}
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		r.code = exit.ExitCode()
	} else {
		r.err = err
	}
	r.stdout, r.stderr = out.String(), errOut.String()
	return r
}

// run runs the CLI, failing the test only if it cannot be run.
func (m *mistralCLI) run(t *testing.T, args ...string) cliResult {
	t.Helper()
	r := m.exec(args...)
	if r.err != nil {
		t.Fatalf("mistral %q: %v", args, r.err)
	}
	return r
}

// ok runs the CLI, failing the test unless it exits 0.
func (m *mistralCLI) ok(t *testing.T, args ...string) string {
	t.Helper()
	return m.run(t, args...).mustSucceed(t)
}

// all runs independent commands concurrently (each run of the CLI spends
// most of its time starting Python) and returns their results in order.
// None may change what another reads.
func (m *mistralCLI) all(t *testing.T, cmds ...[]string) []cliResult {
	t.Helper()
	results := make([]cliResult, len(cmds))
	var wg sync.WaitGroup
	for i, args := range cmds {
		wg.Go(func() { results[i] = m.exec(args...) })
	}
	wg.Wait()
	for _, r := range results {
		if r.err != nil {
			t.Fatalf("mistral %q: %v", r.args, r.err)
		}
	}
	return results
}

func (r cliResult) mustSucceed(t *testing.T) string {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("mistral %s: exit %d, want 0\nstdout:\n%s\nstderr:\n%s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// object decodes the output of a show command run with -f json.
func (r cliResult) object(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(r.mustSucceed(t)), &v); err != nil {
		t.Fatalf("mistral %s: %v\n%s", strings.Join(r.args, " "), err, r.stdout)
	}
	return v
}

// rows decodes the output of a list command run with -f json.
func (r cliResult) rows(t *testing.T) []map[string]any {
	t.Helper()
	var v []map[string]any
	if err := json.Unmarshal([]byte(r.mustSucceed(t)), &v); err != nil {
		t.Fatalf("mistral %s: %v\n%s", strings.Join(r.args, " "), err, r.stdout)
	}
	return v
}

// show runs a show command with -f json and decodes its one object.
func (m *mistralCLI) show(t *testing.T, args ...string) map[string]any {
	t.Helper()
	return m.run(t, append(args, "-f", "json")...).object(t)
}

// list runs a list command with -f json and decodes its rows.
func (m *mistralCLI) list(t *testing.T, args ...string) []map[string]any {
	t.Helper()
	return m.run(t, append(args, "-f", "json")...).rows(t)
}

// tableFields reads cliff's default "show" table (| Field | Value |).
func tableFields(out string) map[string]string {
	fields := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) != 4 {
			continue
		}
		fields[strings.TrimSpace(cells[1])] = strings.TrimSpace(cells[2])
	}
	return fields
}

// checkFields reports each key of want whose value in got differs.
func checkFields(t *testing.T, what string, got map[string]any, want map[string]any) {
	t.Helper()
	for k, w := range want {
		if g, ok := got[k]; !ok || !reflect.DeepEqual(g, w) {
			t.Errorf("%s: %q = %#v, want %#v; all: %v", what, k, g, w, got)
		}
	}
}

// TestMistralCLI drives a workflow with the real mistral CLI, from
// workflow-create to execution-get-output.
func TestMistralCLI(t *testing.T) {
	t.Parallel()
	cli := newMistralCLI(t)
	srv := startServer(t)
	cli.url = srv.URL + "/v2" // the CLI wants the /v2 root (reference §5.1)
	wfFile, err := filepath.Abs(filepath.Join("testdata", "greet.yaml"))
	if err != nil {
		t.Fatal(err)
	}

	wfs := cli.list(t, "workflow-create", wfFile)
	if len(wfs) != 1 {
		t.Fatalf("workflow-create printed %d workflows, want 1: %v", len(wfs), wfs)
	}
	checkFields(t, "workflow-create", wfs[0], map[string]any{"Name": "greet", "Scope": "private", "Input": `name="World"`})

	ex := cli.show(t, "execution-create", "greet", `{"name": "Bob"}`)
	checkFields(t, "execution-create", ex, map[string]any{"Workflow name": "greet", "State": "RUNNING"})
	exID, _ := ex["ID"].(string)
	if exID == "" {
		t.Fatalf("execution-create printed no ID: %v", ex)
	}
	action := runningAction(t, srv.URL, exID) // the engine runs the task in the background

	taskID := str(t, action, "task_execution_id")
	actionID := str(t, action, "id")
	// Four reads of the waiting workflow, at once.
	reads := cli.all(t,
		[]string{"execution-get", exID, "-f", "json"},
		[]string{"task-list", exID, "-f", "json"},
		[]string{"action-execution-list", taskID, "-f", "json"},
		[]string{"action-execution-get", actionID, "-f", "json"},
	)
	checkFields(t, "execution-get (running)", reads[0].object(t),
		map[string]any{"ID": exID, "Workflow name": "greet", "State": "RUNNING"})

	tasks := reads[1].rows(t)
	if len(tasks) != 1 {
		t.Fatalf("task-list printed %d tasks, want 1: %v", len(tasks), tasks)
	}
	checkFields(t, "task-list", tasks[0], map[string]any{"ID": taskID, "Name": "ask", "Workflow Execution ID": exID, "State": "RUNNING"})

	actions := reads[2].rows(t)
	if len(actions) != 1 {
		t.Fatalf("action-execution-list printed %d action executions, want 1: %v", len(actions), actions)
	}
	checkFields(t, "action-execution-list", actions[0], map[string]any{
		"ID": actionID, "Name": "std.async_noop", "Task name": "ask", "Task ID": taskID, "State": "RUNNING", "Accepted": false,
	})
	checkFields(t, "action-execution-get (running)", reads[3].object(t), map[string]any{
		"ID": actionID, "Name": "std.async_noop", "Workflow name": "greet", "Task ID": taskID, "State": "RUNNING", "Accepted": false,
	})

	// The default table format, as people see it.
	updated := tableFields(cli.ok(t, "action-execution-update", actionID, "--state", "SUCCESS", "--output", "3"))
	for k, want := range map[string]string{"ID": actionID, "State": "SUCCESS", "Accepted": "True", "Task ID": taskID} {
		if got := updated[k]; got != want {
			t.Errorf("action-execution-update table: %s = %q, want %q; all: %v", k, got, want, updated)
		}
	}

	waitState(t, srv.URL+"/v2/executions/"+exID, "SUCCESS")
	done := cli.all(t,
		[]string{"execution-get", exID, "-f", "json"},
		[]string{"execution-get-output", exID},
		// A different result for the completed action: refused, with
		// the server's faultstring.
		[]string{"action-execution-update", actionID, "--state", "SUCCESS", "--output", "4"},
	)
	checkFields(t, "execution-get (done)", done[0].object(t), map[string]any{"ID": exID, "State": "SUCCESS"})
	if out := done[1].mustSucceed(t); !jsonTextEqual(out, `{"greeting": "Hello, Bob", "answer": 3}`) {
		t.Errorf("execution-get-output = %q, want {\"greeting\": \"Hello, Bob\", \"answer\": 3}", out)
	}
	if refused := done[2]; refused.code == 0 {
		t.Errorf("second action-execution-update exited 0, want non-zero; stdout:\n%s", refused.stdout)
	}
	for _, want := range []string{"already completed", "state SUCCESS", actionID} {
		if !strings.Contains(done[2].stderr, want) {
			t.Errorf("second action-execution-update: stderr %q lacks %q", done[2].stderr, want)
		}
	}
	ae := mustDo(t, http.StatusOK, http.MethodGet, srv.URL+"/v2/action_executions/"+actionID, nil)
	if got, want := decodeField(t, ae, "output"), map[string]any{"result": float64(3)}; !reflect.DeepEqual(got, want) {
		t.Errorf("after the refused update the output is %v, want %v", got, want)
	}
}

// jsonTextEqual tells whether two texts hold equal JSON values.
func jsonTextEqual(a, b string) bool {
	var va, vb any
	if json.Unmarshal([]byte(a), &va) != nil || json.Unmarshal([]byte(b), &vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}
