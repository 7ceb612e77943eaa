package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/postgres"
)

// crashWorkflows are what TestCrash runs: asynchronous actions completed by
// callbacks (with an ERROR path handled and one not), a std.mistral_http
// call answered by a web service, wait-before timers, and a timeout that
// must fire because nobody answers.
const crashWorkflows = `---
version: '2.0'
crash_async:
  output:
    a: <% $.a %>
    b: <% $.b %>
  tasks:
    a:
      action: std.async_noop
      publish:
        a: <% task().result %>
      on-success: b
    b:
      action: std.async_noop
      publish:
        b: <% task().result %>
      publish-on-error:
        b: <% task().result %>
      on-error: handle_b
    handle_b:
      action: std.noop
crash_http:
  input: [url]
  output:
    sum: <% $.sum %>
    later: <% $.later %>
  tasks:
    call:
      action: std.mistral_http
      input:
        url: <% $.url %>
      publish:
        sum: <% task().result %>
      on-success: later
    later:
      action: std.echo
      input:
        output: <% $.sum %>
      wait-before: 1
      publish:
        later: <% task().result %>
crash_wait:
  output:
    tick: <% $.tick %>
  tasks:
    tick:
      action: std.echo output="ticked"
      wait-before: 1
      publish:
        tick: <% task().result %>
crash_timeout:
  output:
    why: <% $.why %>
  tasks:
    stuck:
      action: std.async_noop
      timeout: 2
      on-error: handled
    handled:
      action: std.echo output="<% task(stuck).state_info %>"
      publish:
        why: <% task().result %>
`

const (
	crashCycles  = 12
	crashDrivers = 24
	// crashCallbackDrivers of the drivers run only workflows without timers.
	crashCallbackDrivers = 8
	// crashStep bounds each step of a workflow (a start, a callback, the
	// wait for its end), outages included; a passing run never waits it.
	crashStep = 30 * time.Second
)

// TestCrash runs the server binary, drives workflows and callbacks into it
// from many goroutines, kills it with SIGKILL at random moments and restarts
// it on the same database, over and over. At the end every acknowledged
// callback must be recorded as acknowledged, every workflow must have
// finished as its callbacks say, timers that fell due while the server was
// down must have fired, and every std.mistral_http request must have
// reached the web service, always for the same action execution.
//
// Set SIROCCO_CRASH_SEED to replay the kill moments, outages and results of
// a run (goroutine scheduling is not replayed).
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts the server binary for about 30 s; skipped with -short")
	}
	t.Parallel()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("SIROCCO_CRASH_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("SIROCCO_CRASH_SEED=%q: %v", s, err)
		}
		seed = n
	}
	t.Logf("seed %d (SIROCCO_CRASH_SEED=%d replays it)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0))

	bin := buildServer(t)
	web := newCrashWeb()
	hook := httptest.NewServer(web)
	t.Cleanup(hook.Close)

	db := filepath.Join(t.TempDir(), "sirocco.db")
	p := startProcess(t, bin, "-addr", "127.0.0.1:0", "-db", db, "-seed=false")
	addr := strings.TrimPrefix(p.URL, "http://")
	createWorkflow(t, p.URL, crashWorkflows)

	r := &crashRun{t: t, seed: seed, bases: []string{p.URL}, hook: hook.URL, web: web,
		client: &http.Client{Timeout: 10 * time.Second}, wholeOutages: true}
	var drivers sync.WaitGroup
	for i := range crashDrivers {
		drivers.Go(func() { r.drive(i) })
	}

	for cycle := 1; cycle <= crashCycles; cycle++ {
		// The random moment: the only sleep that is about timing.
		time.Sleep(time.Duration(150+rng.IntN(1350)) * time.Millisecond)
		p.kill(t)
		down := time.Now()
		// Every other outage outlasts the timers (1 s and 2 s), so that
		// some fall due while no server runs.
		outage := time.Duration(rng.IntN(300)) * time.Millisecond
		if cycle%2 == 1 {
			outage = time.Duration(1200+rng.IntN(1400)) * time.Millisecond
		}
		time.Sleep(outage)
		up := time.Now()
		r.addOutage(down, up)
		p = startProcess(t, bin, "-addr", addr, "-db", db, "-seed=false")
		if t.Failed() {
			break
		}
	}

	// The last server stays up: drivers finish the workflow they hold and
	// start no more.
	r.stopping.Store(true)
	finished := make(chan struct{})
	go func() { drivers.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(7 * crashStep): // each driver gives up within 6 steps
		t.Fatalf("the drivers did not finish within %v", 7*crashStep)
	}
	r.verify()
}

// crashRun is the shared state of TestCrash.
type crashRun struct {
	t    *testing.T
	seed uint64
	// bases are the servers' URLs, the same across restarts: one, or
	// replicas over one database, which requests take in turns (a
	// request refused by a dead replica is retried on the next).
	bases  []string
	next   atomic.Uint64
	hook   string // the web service's URL
	web    *crashWeb
	client *http.Client

	// wholeOutages: the outages are times when no server ran, so timers
	// certainly fell due in some (TestCrash). With replicas, others run.
	wholeOutages bool
	// unavailable: a 503 with the store's message ("the database is
	// unavailable") is retried like a connection error, and counted.
	unavailable bool

	stopping atomic.Bool

	mu       sync.Mutex
	statusMu sync.Mutex // not mu: verify calls while holding mu
	// statuses counts the answers of every request, by status.
	statuses  map[int]int
	workflows []*crashWorkflow
	outages   []outage
}

type outage struct{ down, up time.Time }

func (r *crashRun) addOutage(down, up time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.outages = append(r.outages, outage{down, up})
}

// crashWorkflow is one workflow a driver ran, and what it was told.
type crashWorkflow struct {
	kind string // crash_async, crash_http, crash_wait or crash_timeout
	id   string
	// started is the start request: sent first, acknowledged (201).
	started crashRequest
	// callbacks are the results delivered, in order.
	callbacks []*crashCallback
	// timers are the windows in which the workflow's timers fell due.
	timers []timerWindow
	// result is what a crash_http web service computed.
	sum int
	// delivered: it was started and all its callbacks were acknowledged,
	// so it must finish.
	delivered bool
}

// crashRequest is a request retried until acknowledged.
type crashRequest struct {
	first, acked time.Time
	connErrs     int // attempts that failed with a connection error
	unavailable  int // attempts answered 503: the database is unavailable
	// ackedAfterOutage: it failed with a connection error and was
	// acknowledged by a later server.
	ackedAfterOutage bool
}

type crashCallback struct {
	task, action string
	state        string
	output       any
	crashRequest
}

// timerWindow bounds when a timer fell due: its job is written with
// due = now + d by a request sent at or after lo-d and committed by hi-d.
type timerWindow struct {
	what   string
	lo, hi time.Time
}

// drive runs workflows one after another until the test stops it.
func (r *crashRun) drive(n int) {
	rng := rand.New(rand.NewPCG(r.seed, uint64(n)+1))
	kinds := []string{"crash_async", "crash_async", "crash_http", "crash_wait", "crash_timeout"}
	if n < crashCallbackDrivers {
		// Without timers these drivers send callbacks all the time, so
		// that kills land among them.
		kinds = kinds[:3]
	}
	for !r.stopping.Load() {
		w := &crashWorkflow{kind: kinds[rng.IntN(len(kinds))], id: uuidFrom(rng)}
		r.mu.Lock()
		r.workflows = append(r.workflows, w)
		r.mu.Unlock()
		if !r.runWorkflow(w, rng) {
			return // reported
		}
	}
}

func uuidFrom(rng *rand.Rand) string {
	var b [16]byte
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// runWorkflow starts w, delivers its callbacks and waits for its end.
func (r *crashRun) runWorkflow(w *crashWorkflow, rng *rand.Rand) bool {
	body := map[string]any{"id": w.id, "workflow_name": w.kind}
	var notified chan string
	if w.kind == "crash_http" {
		notified = r.web.expect(w.id)
		body["input"] = map[string]any{"url": r.hook + "/hook/" + w.id}
	}
	if !r.send(&w.started, "start "+w.kind+" "+w.id, http.MethodPost, "/v2/executions", body, http.StatusCreated) {
		return false
	}
	switch w.kind {
	case "crash_wait":
		w.timers = append(w.timers, timerWindow{"wait-before of " + w.id, w.started.first.Add(time.Second), w.started.acked.Add(time.Second)})
	case "crash_timeout":
		w.timers = append(w.timers, timerWindow{"timeout of " + w.id, w.started.first.Add(2 * time.Second), w.started.acked.Add(2 * time.Second)})
	case "crash_async":
		for _, task := range []string{"a", "b"} {
			cb := &crashCallback{task: task, state: "SUCCESS",
				output: map[string]any{"execution": w.id, "task": task, "n": rng.IntN(1_000_000)}}
			if rng.IntN(5) == 0 {
				cb.state, cb.output = "ERROR", fmt.Sprintf("%s of %s failed (%d)", task, w.id, rng.IntN(1_000_000))
			}
			var ok bool
			if cb.action, ok = r.pendingAction(w.id, task); !ok {
				return false
			}
			w.callbacks = append(w.callbacks, cb)
			if !r.deliver(cb, rng) {
				return false
			}
			if task == "a" && cb.state == "ERROR" {
				break // nothing handles a's error: the workflow fails
			}
		}
	case "crash_http":
		// The web service got the request: it answers with the callback,
		// as the async-actions guide says, deduplicating on the id.
		var id string
		select {
		case id = <-notified:
		case <-time.After(crashStep):
			r.t.Errorf("%s: the web service got no request within %v", w.id, crashStep)
			return false
		}
		w.sum = rng.IntN(1_000_000)
		cb := &crashCallback{task: "call", action: id, state: "SUCCESS", output: w.sum}
		w.callbacks = append(w.callbacks, cb)
		if !r.deliver(cb, rng) {
			return false
		}
		w.timers = append(w.timers, timerWindow{"wait-before of " + w.id, cb.first.Add(time.Second), cb.acked.Add(time.Second)})
	}
	w.delivered = true
	// Wait for the end before the next workflow: this paces the drivers and
	// notices a lost result at once.
	return r.retry("execution "+w.id+" ("+w.kind+") to finish", func() (bool, string) {
		status, raw, err := r.call(http.MethodGet, "/v2/executions/"+w.id, nil)
		if err != nil {
			return false, err.Error()
		}
		var ex struct{ State string }
		_ = json.Unmarshal(raw, &ex)
		return status == http.StatusOK && ex.State != "RUNNING" && ex.State != "PAUSED", fmt.Sprintf("status %d %s", status, raw)
	})
}

// pendingAction waits for the RUNNING action execution of the task.
func (r *crashRun) pendingAction(exID, task string) (string, bool) {
	var id string
	ok := r.retry(fmt.Sprintf("task %s of %s to wait for a result", task, exID), func() (bool, string) {
		status, raw, err := r.call(http.MethodGet, "/v2/executions/"+exID+"/tasks", nil)
		if err != nil || status != http.StatusOK {
			return false, fmt.Sprintf("status %d %s %v", status, raw, err)
		}
		var tasks struct {
			Tasks []struct{ ID, Name, State string }
		}
		_ = json.Unmarshal(raw, &tasks)
		for _, tk := range tasks.Tasks {
			if tk.Name != task {
				continue
			}
			status, raw, err := r.call(http.MethodGet, "/v2/tasks/"+tk.ID+"/action_executions", nil)
			if err != nil || status != http.StatusOK {
				return false, fmt.Sprintf("status %d %s %v", status, raw, err)
			}
			var acts struct {
				ActionExecutions []struct{ ID, State string } `json:"action_executions"`
			}
			_ = json.Unmarshal(raw, &acts)
			for _, a := range acts.ActionExecutions {
				if a.State == "RUNNING" {
					id = a.ID
					return true, ""
				}
			}
			return false, "action executions " + string(raw)
		}
		return false, "tasks " + string(raw)
	})
	return id, ok
}

// deliver sends a callback until it is acknowledged, through one of the
// two callback routes.
func (r *crashRun) deliver(cb *crashCallback, rng *rand.Rand) bool {
	method, path := http.MethodPost, "/v2/action-executions/"+cb.action
	if rng.IntN(2) == 0 {
		method, path = http.MethodPut, "/v2/action_executions/"+cb.action
	}
	return r.send(&cb.crashRequest, "callback "+cb.state+" for "+cb.action, method, path,
		map[string]any{"state": cb.state, "output": cb.output}, http.StatusOK)
}

// send retries a request until it gets want. Only connection errors (the
// server is down or died mid-request) are retried: any other answer fails
// the test.
func (r *crashRun) send(req *crashRequest, what, method, path string, body any, want int) bool {
	req.first = time.Now()
	failed := false
	ok := r.retry(what, func() (bool, string) {
		status, raw, err := r.call(method, path, body)
		if err != nil {
			req.connErrs++
			return false, err.Error()
		}
		if status == http.StatusServiceUnavailable && r.unavailable {
			var f struct{ Faultstring string }
			if json.Unmarshal(raw, &f) != nil || f.Faultstring != postgres.Unavailable {
				r.t.Errorf("%s: %s %s answered 503 %s, want faultstring %q", what, method, path, raw, postgres.Unavailable)
				failed = true
				return true, ""
			}
			req.unavailable++
			return false, "503 " + string(raw)
		}
		if status != want {
			r.t.Errorf("%s: %s %s answered %d, want %d: %s", what, method, path, status, want, raw)
			failed = true
			return true, ""
		}
		req.acked = time.Now()
		req.ackedAfterOutage = req.connErrs > 0
		return true, ""
	})
	return ok && !failed
}

// retry calls check until it is done, pausing between calls, for at most
// crashStep; it reports a failure itself.
func (r *crashRun) retry(what string, check func() (bool, string)) bool {
	deadline := time.Now().Add(crashStep)
	for delay := 5 * time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
		done, saw := check()
		if done {
			return true
		}
		if time.Now().After(deadline) {
			r.t.Errorf("waited %v for %s; last saw %s", crashStep, what, saw)
			return false
		}
		time.Sleep(delay) // polling interval, not a timing assumption
	}
}

// call sends one request; err is a transport error (nothing was answered).
func (r *crashRun) call(method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	base := r.bases[(r.next.Add(1)-1)%uint64(len(r.bases))]
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	r.statusMu.Lock()
	if r.statuses == nil {
		r.statuses = map[int]int{}
	}
	r.statuses[resp.StatusCode]++
	r.statusMu.Unlock()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, raw, nil
}

// get reads one object; the last server is up, so any failure is the test's.
func (r *crashRun) get(path string) map[string]any {
	r.t.Helper()
	status, raw, err := r.call(http.MethodGet, path, nil)
	if err != nil || status != http.StatusOK {
		r.t.Fatalf("GET %s: status %d, %v: %s", path, status, err, raw)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		r.t.Fatalf("GET %s: %v: %s", path, err, raw)
	}
	return m
}

// jsonValue normalises v as a JSON round trip does (numbers become float64).
func jsonValue(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

// verify checks the database of the last server against what the drivers
// were told.
func (r *crashRun) verify() {
	t := r.t
	r.mu.Lock()
	defer r.mu.Unlock()
	var lastDown time.Time
	if len(r.outages) > 0 {
		lastDown = r.outages[len(r.outages)-1].down
	}
	unstarted := 0 // by a driver that gave up: they may exist or not
	for _, w := range r.workflows {
		if w.started.acked.IsZero() {
			unstarted++
		}
	}

	// Every execution started once, none left running.
	list := r.get("/v2/executions")
	all, _ := list["executions"].([]any)
	known := map[string]*crashWorkflow{}
	for _, w := range r.workflows {
		known[w.id] = w
	}
	for _, e := range all {
		ex := e.(map[string]any)
		w := known[ex["id"].(string)]
		if w == nil {
			t.Errorf("execution %v (%v) was not started by the test", ex["id"], ex["workflow_name"])
			continue
		}
		if s := ex["state"]; w.delivered && (s == "RUNNING" || s == "PAUSED") {
			t.Errorf("execution %v (%v) is stuck %v", ex["id"], ex["workflow_name"], s)
		}
	}
	if len(all) > len(r.workflows) || len(all) < len(r.workflows)-unstarted {
		t.Errorf("%d executions in the database, want the %d started", len(all), len(r.workflows))
	}

	kinds := map[string]int{}
	var callbacks, ackedBeforeKill, retriedAfterOutage, startsRetried int
	for _, w := range r.workflows {
		kinds[w.kind]++
		if w.started.ackedAfterOutage {
			startsRetried++
		}
		// Acknowledged callbacks: recorded exactly as acknowledged.
		for _, cb := range w.callbacks {
			if cb.acked.IsZero() {
				continue // a driver gave up (reported)
			}
			callbacks++
			if cb.acked.Before(lastDown) {
				ackedBeforeKill++
			}
			if cb.ackedAfterOutage {
				retriedAfterOutage++
			}
			a := r.get("/v2/action_executions/" + cb.action)
			var got any
			if s, ok := a["output"].(string); ok {
				_ = json.Unmarshal([]byte(s), &got)
			}
			if wantOut := jsonValue(map[string]any{"result": cb.output}); a["state"] != cb.state || !reflect.DeepEqual(got, wantOut) {
				t.Errorf("acknowledged callback lost or changed: action %s (task %s of %s) is %v with output %v; acknowledged %s with %v at %s",
					cb.action, cb.task, w.id, a["state"], got, cb.state, wantOut, cb.acked.Format(time.StampMilli))
			}
		}
		if !w.delivered {
			continue // a driver gave up (reported): no expectations
		}
		ex := r.get("/v2/executions/" + w.id)
		state, _ := ex["state"].(string)
		var out any
		if s, ok := ex["output"].(string); ok {
			_ = json.Unmarshal([]byte(s), &out)
		}
		want, wantOut := "SUCCESS", any(nil)
		switch w.kind {
		case "crash_async":
			a, b := w.callbacks[0], (*crashCallback)(nil)
			if len(w.callbacks) > 1 {
				b = w.callbacks[1]
			}
			if a.state == "ERROR" {
				want = "ERROR"
			} else {
				wantOut = jsonValue(map[string]any{"a": a.output, "b": b.output})
			}
		case "crash_http":
			wantOut = jsonValue(map[string]any{"sum": w.sum, "later": w.sum})
		case "crash_wait":
			wantOut = map[string]any{"tick": "ticked"}
		case "crash_timeout":
			wantOut = map[string]any{"why": "Task timed out [timeout(s)=2]."}
		}
		if state != want || (wantOut != nil && !reflect.DeepEqual(out, wantOut)) {
			t.Errorf("%s %s: state %s output %v; want %s output %v (state_info %v)", w.kind, w.id, state, out, want, wantOut, ex["state_info"])
		}

		switch w.kind {
		case "crash_http":
			// One action execution, and the web service saw only its id.
			ids := r.actionsOf(w.id, "call")
			if len(ids) != 1 || ids[0] != w.callbacks[0].action {
				t.Errorf("%s: task call has action executions %v, want just %s (the one the web service named)", w.id, ids, w.callbacks[0].action)
			}
		case "crash_timeout":
			// The timeout failed the task; its action still waits (a late
			// result would be accepted).
			ids := r.actionsOf(w.id, "stuck")
			if len(ids) != 1 {
				t.Errorf("%s: task stuck has action executions %v, want one", w.id, ids)
			} else if a := r.get("/v2/action_executions/" + ids[0]); a["state"] != "RUNNING" {
				t.Errorf("%s: the action of the timed-out task is %v, want RUNNING", w.id, a["state"])
			}
		}
	}

	// Every std.mistral_http request reached the web service, always with
	// the action execution id of its workflow: at least once, perhaps more.
	requests, duplicates := 0, 0
	var dupLog []string
	r.web.mu.Lock()
	for _, w := range r.workflows {
		if w.kind != "crash_http" || !w.delivered {
			continue
		}
		seen := r.web.seen[w.id]
		if len(seen) != 1 {
			t.Errorf("%s: the web service got requests for action executions %v, want one id", w.id, seen)
		}
		for id, n := range seen {
			requests += n
			if n > 1 {
				duplicates += n - 1
				dupLog = append(dupLog, fmt.Sprintf("%s×%d", id, n))
			}
		}
	}
	r.web.mu.Unlock()

	// Timers that certainly fell due while no server ran: their job was
	// written before the kill, was not due before it, and was overdue
	// when the next server started. They fired after the restart, or
	// their workflow would not have finished as checked above.
	overdue := 0
	for _, w := range r.workflows {
		for _, tw := range w.timers {
			for _, o := range r.outages {
				if tw.lo.After(o.down) && tw.hi.Before(o.up) {
					overdue++
				}
			}
		}
	}
	if overdue == 0 && r.wholeOutages {
		t.Errorf("no timer fell due during an outage, so none was checked (seed %d)", r.seed)
	}

	sort.Strings(dupLog)
	if r.wholeOutages {
		t.Logf("%d cycles (kill -9, restart); %d workflows %v", len(r.outages), len(r.workflows), kinds)
	} else {
		t.Logf("%d workflows %v", len(r.workflows), kinds)
	}
	t.Logf("%d callbacks acknowledged and found intact, %d of them acknowledged before the last kill; %d callbacks and %d starts failed with a connection error and were acknowledged after a restart",
		callbacks, ackedBeforeKill, retriedAfterOutage, startsRetried)
	if r.wholeOutages {
		t.Logf("%d timers fell due during an outage and fired after the restart", overdue)
	}
	t.Logf("std.mistral_http: %d requests for %d actions, %d duplicates (at-least-once) %v", requests, kinds["crash_http"], duplicates, dupLog)
}

// actionsOf returns the ids of the action executions of an execution's task.
func (r *crashRun) actionsOf(exID, task string) []string {
	var ids []string
	tasks, _ := r.get("/v2/executions/" + exID + "/tasks")["tasks"].([]any)
	for _, tk := range tasks {
		tk := tk.(map[string]any)
		if tk["name"] != task {
			continue
		}
		acts, _ := r.get("/v2/tasks/" + tk["id"].(string) + "/action_executions")["action_executions"].([]any)
		for _, a := range acts {
			ids = append(ids, a.(map[string]any)["id"].(string))
		}
	}
	return ids
}

// crashWeb is the web service std.mistral_http calls: it counts the
// requests per workflow execution and action execution id, and tells the
// workflow's driver the id of the first request.
type crashWeb struct {
	mu     sync.Mutex
	seen   map[string]map[string]int // execution id → action execution id → requests
	notify map[string]chan string
}

func newCrashWeb() *crashWeb {
	return &crashWeb{seen: map[string]map[string]int{}, notify: map[string]chan string{}}
}

// expect registers an execution before it starts; the channel gets the
// action execution id of the first request.
func (w *crashWeb) expect(exID string) chan string {
	w.mu.Lock()
	defer w.mu.Unlock()
	ch := make(chan string, 1)
	w.notify[exID] = ch
	return ch
}

func (w *crashWeb) ServeHTTP(rw http.ResponseWriter, req *http.Request) {
	exID, ok := strings.CutPrefix(req.URL.Path, "/hook/")
	id := req.Header.Get("Mistral-Action-Execution-Id")
	if !ok || id == "" {
		http.Error(rw, "want /hook/<execution id> and Mistral-Action-Execution-Id", http.StatusBadRequest)
		return
	}
	w.mu.Lock()
	if w.seen[exID] == nil {
		w.seen[exID] = map[string]int{}
	}
	w.seen[exID][id]++
	first := w.seen[exID][id] == 1 && len(w.seen[exID]) == 1
	ch := w.notify[exID]
	w.mu.Unlock()
	if first && ch != nil {
		ch <- id // a duplicate is answered but not acted on again
	}
	rw.WriteHeader(http.StatusAccepted)
}
