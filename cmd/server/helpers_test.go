package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// waitTimeout bounds every wait for the server to reach a state. It is
// generous so that a loaded machine (or -race) does not make tests flaky;
// a passing test never waits for it.
const waitTimeout = 15 * time.Second

// noEnv is a getenv that sees no environment, so that SIROCCO_* variables
// of whoever runs the tests cannot change what the tests start.
func noEnv(string) string { return "" }

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a server
// and the reads of a test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// listeningRE matches the line run prints once it accepts connections.
var listeningRE = regexp.MustCompile(`Sirocco is listening on (\S+) `)

// addrWriter collects a server's stdout and reports the address from its
// "Sirocco is listening on ADDR" line, once, on addr.
type addrWriter struct {
	syncBuffer
	once sync.Once
	addr chan string // buffered: 1
}

func newAddrWriter() *addrWriter { return &addrWriter{addr: make(chan string, 1)} }

func (w *addrWriter) Write(p []byte) (int, error) {
	n, err := w.syncBuffer.Write(p)
	if m := listeningRE.FindStringSubmatch(w.String()); m != nil {
		w.once.Do(func() { w.addr <- m[1] })
	}
	return n, err
}

// testServer is a Sirocco server started by a test.
type testServer struct {
	URL    string // http://127.0.0.1:PORT, where the API listens
	DB     string
	stdout *addrWriter
	stderr *syncBuffer
	stop   func(*testing.T)
}

// Stop shuts the server down as SIGTERM would and waits for run to return.
func (s *testServer) Stop(t *testing.T) {
	t.Helper()
	s.stop(t)
}

// startServer runs the server in-process, as main does, on a free port and
// a fresh SQLite file, without the example workflows. It stops the server
// (and waits for run to return) when the test ends.
func startServer(t *testing.T, extraArgs ...string) *testServer {
	t.Helper()
	return startServerEnv(t, nil, extraArgs...)
}

// startServerEnv is startServer with env as the only environment variables
// the server sees.
func startServerEnv(t *testing.T, env map[string]string, extraArgs ...string) *testServer {
	t.Helper()
	db := filepath.Join(t.TempDir(), "sirocco.db")
	args := append([]string{"-addr", "127.0.0.1:0", "-db", db, "-seed=false", "-log-level", "debug"}, extraArgs...)
	for i := range len(args) - 1 {
		if args[i] == "-db" { // a -db in extraArgs wins, as the last flag does
			db = args[i+1]
		}
	}
	s := &testServer{DB: db, stdout: newAddrWriter(), stderr: &syncBuffer{}}
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan struct{}) // closed when run has returned runErr
	var runErr error
	getenv := func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		if k == "SIROCCO_AUTH" {
			return "off" // tests that need accounts pass -auth on or set SIROCCO_AUTH
		}
		return ""
	}
	go func() {
		defer close(exited)
		runErr = run(ctx, args, getenv, s.stdout, s.stderr)
	}()
	var once sync.Once
	s.stop = func(t *testing.T) {
		once.Do(func() {
			cancel()
			select {
			case <-exited:
				if runErr != nil {
					t.Errorf("run returned %v after shutdown, want nil", runErr)
				}
			case <-time.After(waitTimeout):
				t.Errorf("run did not return within %v of cancellation", waitTimeout)
			}
		})
	}
	t.Cleanup(func() {
		s.stop(t)
		if t.Failed() {
			t.Logf("server log:\n%s", s.stderr.String())
		}
	})
	select {
	case addr := <-s.stdout.addr:
		s.URL = "http://" + addr
	case <-exited:
		once.Do(cancel) // nothing left to stop
		t.Fatalf("run(%q) returned before listening: %v\nstderr:\n%s", args, runErr, s.stderr.String())
	case <-time.After(waitTimeout):
		t.Fatalf("server did not print its address within %v; stdout %q", waitTimeout, s.stdout.String())
	}
	return s
}

// process is a server binary running as a subprocess.
type process struct {
	cmd    *exec.Cmd
	stdout *addrWriter
	stderr *syncBuffer
	waited chan struct{}
	URL    string
}

// buildServer builds the server binary into a temporary directory.
func buildServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sirocco-server")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go build -o %s .: %v\n%s", bin, err, out)
	}
	return bin
}

// hermeticEnv is the test's environment without SIROCCO_* variables.
func hermeticEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SIROCCO_") {
			env = append(env, kv)
		}
	}
	return env
}

// startProcess runs the server binary with args and waits until it
// listens. It is killed, if still running, when the test ends.
func startProcess(t *testing.T, bin string, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(bin, args...), stdout: newAddrWriter(), stderr: &syncBuffer{}, waited: make(chan struct{})}
	// Authentication off (on loopback) unless args say -auth on.
	p.cmd.Env = append(hermeticEnv(), "SIROCCO_AUTH=off")
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s %q: %v", bin, args, err)
	}
	go func() { p.cmd.Wait(); close(p.waited) }()
	t.Cleanup(func() {
		p.kill(t)
		if t.Failed() {
			t.Logf("server (pid %d) log:\n%s", p.cmd.Process.Pid, p.stderr.String())
		}
	})
	select {
	case addr := <-p.stdout.addr:
		p.URL = "http://" + addr
	case <-p.waited:
		t.Fatalf("%s %q exited before listening (%v)\nstderr:\n%s", bin, args, p.cmd.ProcessState, p.stderr.String())
	case <-time.After(waitTimeout):
		t.Fatalf("%s %q did not print its address within %v", bin, args, waitTimeout)
	}
	return p
}

// kill sends SIGKILL, as a crash or power cut would end the process, and
// waits until it is gone.
func (p *process) kill(t *testing.T) {
	t.Helper()
	p.signal(t, syscall.SIGKILL)
}

// signal sends sig and waits until the process is gone; it returns how
// the process ended (nil if it had ended before).
func (p *process) signal(t *testing.T, sig syscall.Signal) *os.ProcessState {
	t.Helper()
	select {
	case <-p.waited:
		return nil
	default:
	}
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("signal %v to pid %d: %v", sig, p.cmd.Process.Pid, err)
	}
	select {
	case <-p.waited:
		return p.cmd.ProcessState
	case <-time.After(waitTimeout):
		t.Errorf("pid %d still running %v after %v", p.cmd.Process.Pid, waitTimeout, sig)
		p.cmd.Process.Kill()
		<-p.waited
		return p.cmd.ProcessState
	}
}

// response is an HTTP answer with its body decoded as a JSON object (when
// it is one).
type response struct {
	Status int
	Raw    string
	JSON   map[string]any
	Header http.Header
}

// do sends one request. A body of type string is sent as text/plain, any
// other non-nil body as JSON.
func do(t *testing.T, method, url string, body any) response {
	t.Helper()
	return sendWith(t, &http.Client{Timeout: waitTimeout}, method, url, "", body, nil)
}

// sendWith sends a request through client with an optional API token and
// extra headers. A string body is sent as text/plain, url.Values as a form,
// others as JSON.
func sendWith(t *testing.T, client *http.Client, method, u, token string, body any, header map[string]string) response {
	t.Helper()
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd, ctype = strings.NewReader(b), "text/plain"
	case url.Values:
		rd, ctype = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("encode %T: %v", body, err)
		}
		rd, ctype = bytes.NewReader(enc), "application/json"
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatalf("new request %s %s: %v", method, u, err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, u, err)
	}
	r := response{Status: resp.StatusCode, Raw: string(raw), Header: resp.Header}
	_ = json.Unmarshal(raw, &r.JSON)
	return r
}

// mustDo is do that fails the test unless the status is want.
func mustDo(t *testing.T, want int, method, url string, body any) map[string]any {
	t.Helper()
	r := do(t, method, url, body)
	if r.Status != want {
		t.Fatalf("%s %s: status %d, want %d; body %s", method, url, r.Status, want, r.Raw)
	}
	return r.JSON
}

// str returns m[key] as a string, failing the test if it is not one.
func str(t *testing.T, m map[string]any, key string) string {
	t.Helper()
	s, ok := m[key].(string)
	if !ok {
		t.Fatalf("field %q = %#v (%T), want a string; object %v", key, m[key], m[key], m)
	}
	return s
}

// decodeField decodes a JSON-encoded string field such as "output" or "result".
func decodeField(t *testing.T, m map[string]any, key string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(str(t, m, key)), &v); err != nil {
		t.Fatalf("field %q = %q is not JSON: %v", key, m[key], err)
	}
	return v
}

// poll calls check until it reports done or waitTimeout passes; check
// returns a description of what it saw, for the failure message.
func poll(t *testing.T, what string, check func() (done bool, saw string)) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for delay := 5 * time.Millisecond; ; delay = min(2*delay, 200*time.Millisecond) {
		done, saw := check()
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s; last saw %s", waitTimeout, what, saw)
		}
		time.Sleep(delay) // polling interval, not a timing assumption
	}
}

// waitState polls GET url until its "state" is want. A terminal state other
// than want fails at once.
func waitState(t *testing.T, url, want string) map[string]any {
	t.Helper()
	var got map[string]any
	poll(t, fmt.Sprintf("%s to be %s", url, want), func() (bool, string) {
		r := do(t, http.MethodGet, url, nil)
		got = r.JSON
		state, _ := got["state"].(string)
		if r.Status == http.StatusOK && state != want && state != "RUNNING" && state != "PAUSED" && state != "IDLE" && state != "WAITING" {
			t.Fatalf("GET %s: state %s, want %s; body %s", url, state, want, r.Raw)
		}
		return r.Status == http.StatusOK && state == want, fmt.Sprintf("status %d body %s", r.Status, r.Raw)
	})
	return got
}

// createWorkflow registers a workflow definition (text/plain YAML).
func createWorkflow(t *testing.T, base, yaml string) {
	t.Helper()
	mustDo(t, http.StatusCreated, http.MethodPost, base+"/v2/workflows", yaml)
}

// startExecution starts a workflow and checks it is RUNNING.
func startExecution(t *testing.T, base string, body map[string]any) string {
	t.Helper()
	ex := mustDo(t, http.StatusCreated, http.MethodPost, base+"/v2/executions", body)
	if got := ex["state"]; got != "RUNNING" {
		t.Fatalf("POST /v2/executions %v: state %v, want RUNNING; body %v", body, got, ex)
	}
	return str(t, ex, "id")
}

// runningAction waits until the execution's only task has a RUNNING action
// execution and returns it.
func runningAction(t *testing.T, base, exID string) map[string]any {
	t.Helper()
	var action map[string]any
	poll(t, "a RUNNING action execution of execution "+exID, func() (bool, string) {
		tasks := do(t, http.MethodGet, base+"/v2/executions/"+exID+"/tasks", nil)
		list, _ := tasks.JSON["tasks"].([]any)
		if len(list) != 1 {
			return false, "tasks " + tasks.Raw
		}
		taskID, _ := list[0].(map[string]any)["id"].(string)
		acts := do(t, http.MethodGet, base+"/v2/tasks/"+taskID+"/action_executions", nil)
		alist, _ := acts.JSON["action_executions"].([]any)
		if len(alist) != 1 {
			return false, "action executions " + acts.Raw
		}
		action = alist[0].(map[string]any)
		return action["state"] == "RUNNING", "action executions " + acts.Raw
	})
	return action
}
