package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/sqlite"
	"github.com/sirocco-project/sirocco/internal/webhook"
)

func newManualClock() *manualClock {
	return &manualClock{now: time.Date(2026, 12, 2, 14, 43, 42, 0, time.UTC)}
}

// received is one request a test receiver got.
type received struct {
	Header http.Header
	Body   string
}

// receiver is an httptest server that records what it receives and
// answers status (200 unless set).
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []received
	status atomic.Int32
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.status.Store(http.StatusOK)
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, received{Header: req.Header.Clone(), Body: string(b)})
		r.mu.Unlock()
		w.WriteHeader(int(r.status.Load()))
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) all() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// waitFor polls cond (a store read, a receiver's count) until it holds;
// it waits for work in flight, it measures no time.
func waitFor(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %s", what, state)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// waitStats waits for the notifier's counts to be want: they are counted
// after the outcome commits, so just after what the store shows.
func waitStats(t *testing.T, e *engine.Engine, want engine.NotifyStats) {
	t.Helper()
	waitFor(t, fmt.Sprintf("stats %+v", want), func() (bool, string) {
		s := e.NotifyStats()
		return s == want, fmt.Sprintf("%+v", s)
	})
}

func notifyParams(url string, events ...string) map[string]any {
	n := map[string]any{"type": "webhook", "url": url, "headers": map[string]any{"X-Token": "s3cret"}}
	if len(events) > 0 {
		ev := make([]any, len(events))
		for i, e := range events {
			ev[i] = e
		}
		n["events"] = ev
	}
	return map[string]any{"notify": []any{n}}
}

func deliveries(t *testing.T, e *engine.Engine, exID string) []*engine.Delivery {
	t.Helper()
	list, err := e.Deliveries(context.Background(), exID)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// The demo workflow of Mistral's transcript, without its environment.
const demoWF = `version: '2.0'
demo_wf:
  input:
    - who: world
  tasks:
    greet:
      action: std.echo output="hi <% $.who %>"
      publish:
        said: <% task().result %>
      on-success: [bad]
    bad:
      action: std.fail
      on-error: [cleanup]
    cleanup:
      action: std.noop
  output:
    said: <% $.said %>
`

var (
	uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	timeRE = regexp.MustCompile(`"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"`)
)

// normalize replaces what differs between two runs in a body: ids (named
// by what they are, from the body itself) and times.
func normalize(t *testing.T, body string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	names := map[string]string{}
	if id, _ := m["workflow_id"].(string); id != "" {
		names[id] = "<workflow>"
	}
	if m["workflow_execution_id"] != nil {
		names[m["id"].(string)] = "<task " + m["name"].(string) + ">"
		names[m["workflow_execution_id"].(string)] = "<execution>"
	} else {
		names[m["id"].(string)] = "<execution>"
	}
	body = uuidRE.ReplaceAllStringFunc(body, func(id string) string {
		if n, ok := names[id]; ok {
			return n
		}
		return "<id>"
	})
	return timeRE.ReplaceAllString(body, `"<time>"`)
}

// TestNotifyBodiesAsMistral: the bodies a webhook receives for Mistral's
// demo workflow are the ones Mistral 15 sent for it
// (testdata/notify/mistral_demo.jsonl, recorded from a receiver), key for
// key, byte for byte but for ids and times; each carries the event id and
// event name headers and the notifier's headers, as JSON. On both stores.
func TestNotifyBodiesAsMistral(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "notify", "mistral_demo.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		want = append(want, normalize(t, line))
	}
	slices.Sort(want)
	eachStore(t, func(t *testing.T, store string) {
		t.Parallel()
		ctx := context.Background()
		recv := newReceiver(t)
		e := newEngineOn(t, store, engine.Config{Notify: engine.NotifyConfig{Sender: webhook.New(5*time.Second, nil)}})
		if _, err := e.CreateWorkflows(ctx, nil, demoWF, "", ""); err != nil {
			t.Fatal(err)
		}
		ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "demo_wf", Input: map[string]any{"who": "ops"},
			Params: notifyParams(recv.URL+"/hook", "WORKFLOW_LAUNCHED", "WORKFLOW_SUCCEEDED", "WORKFLOW_FAILED", "TASK_SUCCEEDED", "TASK_FAILED", "TASK_LAUNCHED")})
		if err != nil {
			t.Fatal(err)
		}
		settle(t, e, ex.ID, "")
		waitFor(t, "8 notifications", func() (bool, string) {
			n := len(recv.all())
			return n >= len(want), fmt.Sprintf("%d received", n)
		})
		waitFor(t, "every delivery recorded", func() (bool, string) {
			var states []string
			for _, d := range deliveries(t, e, ex.ID) {
				if d.State != engine.DeliveryDelivered {
					states = append(states, string(d.Event)+" "+d.State)
				}
			}
			return len(states) == 0, strings.Join(states, ", ")
		})
		var got []string
		ids := map[string]bool{}
		for _, r := range recv.all() {
			got = append(got, normalize(t, r.Body))
			id := r.Header.Get(webhook.EventIDHeader)
			if id == "" || ids[id] {
				t.Errorf("event id header %q: want one of its own per event", id)
			}
			ids[id] = true
			var b struct{ Event string }
			_ = json.Unmarshal([]byte(r.Body), &b)
			if h := r.Header.Get(webhook.EventHeader); h != b.Event {
				t.Errorf("%s header = %q, body's event %q", webhook.EventHeader, h, b.Event)
			}
			if r.Header.Get("X-Token") != "s3cret" || r.Header.Get("Content-Type") != "application/json" {
				t.Errorf("headers %v: want the notifier's X-Token and Content-Type: application/json", r.Header)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("bodies differ from Mistral's:\n got: %s\nwant: %s", strings.Join(got, "\n      "), strings.Join(want, "\n      "))
		}
		for _, d := range deliveries(t, e, ex.ID) {
			if d.State != engine.DeliveryDelivered || d.Attempts != 1 || d.LastError != nil {
				t.Errorf("delivery %s of %s: %s after %d attempts (%v); want DELIVERED after 1", d.ID, d.Event, d.State, d.Attempts, d.LastError)
			}
		}
		waitStats(t, e, engine.NotifyStats{Delivered: uint64(len(want))})
	})
}

// TestNotifyEventsFilter: empty events means all of them, as in Mistral
// (pause and resume included); a list keeps only those; Mistral's own key
// event_types is read too.
func TestNotifyEventsFilter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	all, some, mistralKey := newReceiver(t), newReceiver(t), newReceiver(t)
	e := newEngine(t, engine.Config{Notify: engine.NotifyConfig{Sender: webhook.New(5*time.Second, nil)}})
	def := `version: '2.0'
wf:
  tasks:
    wait:
      action: std.async_noop
`
	if _, err := e.CreateWorkflows(ctx, nil, def, "", ""); err != nil {
		t.Fatal(err)
	}
	params := map[string]any{"notify": []any{
		map[string]any{"type": "webhook", "url": all.URL},
		map[string]any{"type": "webhook", "url": some.URL, "events": []any{"WORKFLOW_PAUSED", "TASK_RESUMED"}},
		map[string]any{"type": "webhook", "url": mistralKey.URL, "event_types": []any{"WORKFLOW_SUCCEEDED"}},
	}}
	ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf", Params: params})
	if err != nil {
		t.Fatal(err)
	}
	settle(t, e, ex.ID, "wait")
	act := pendingAction(t, e, ex.ID, "wait")
	if _, err := e.UpdateActionExecution(ctx, act.ID, engine.Completion{State: engine.StatePaused}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.UpdateActionExecution(ctx, act.ID, engine.Completion{State: engine.StateRunning}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.UpdateActionExecution(ctx, act.ID, engine.Completion{State: engine.StateSuccess, Output: "ok", HasOutput: true}); err != nil {
		t.Fatal(err)
	}
	settle(t, e, ex.ID, "")
	events := func(r *receiver) []string {
		var out []string
		for _, x := range r.all() {
			out = append(out, x.Header.Get(webhook.EventHeader))
		}
		slices.Sort(out)
		return out
	}
	wantAll := []string{"TASK_LAUNCHED", "TASK_PAUSED", "TASK_RESUMED", "TASK_SUCCEEDED", "WORKFLOW_LAUNCHED", "WORKFLOW_PAUSED", "WORKFLOW_RESUMED", "WORKFLOW_SUCCEEDED"}
	waitFor(t, "every event", func() (bool, string) {
		return len(all.all()) >= len(wantAll) && len(some.all()) >= 2 && len(mistralKey.all()) >= 1,
			fmt.Sprintf("%v / %v / %v", events(all), events(some), events(mistralKey))
	})
	if got := events(all); !slices.Equal(got, wantAll) {
		t.Errorf("no events listed: got %v, want all %v", got, wantAll)
	}
	if got := events(some); !slices.Equal(got, []string{"TASK_RESUMED", "WORKFLOW_PAUSED"}) {
		t.Errorf("events [WORKFLOW_PAUSED, TASK_RESUMED]: got %v", got)
	}
	if got := events(mistralKey); !slices.Equal(got, []string{"WORKFLOW_SUCCEEDED"}) {
		t.Errorf("event_types [WORKFLOW_SUCCEEDED]: got %v", got)
	}
}

// TestNotifyRetriesWithBackoff: a receiver that is down gets each
// notification again after 2s, 4s, 8s… on the engine's clock (no attempt
// before), with the same event id every time; once it is up, it gets each
// event; the failures are counted, recorded on the delivery and logged.
func TestNotifyRetriesWithBackoff(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	recv := newReceiver(t)
	recv.status.Store(http.StatusServiceUnavailable)
	clock := newManualClock()
	var logs bytes.Buffer
	var logMu sync.Mutex
	e := newEngine(t, engine.Config{Clock: clock, Logger: newTestLogger(&logs, &logMu),
		Notify: engine.NotifyConfig{Sender: webhook.New(5*time.Second, nil)}})
	def := `version: '2.0'
wf:
  tasks:
    one:
      action: std.noop
`
	if _, err := e.CreateWorkflows(ctx, nil, def, "", ""); err != nil {
		t.Fatal(err)
	}
	ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf", Params: notifyParams(recv.URL+"/secret-path", "WORKFLOW_LAUNCHED", "WORKFLOW_SUCCEEDED")})
	if err != nil {
		t.Fatal(err)
	}
	settle(t, e, ex.ID, "")
	start := clock.Now()
	attempted := func(n int) func() (bool, string) {
		return func() (bool, string) {
			var states []string
			ok := true
			for _, d := range deliveries(t, e, ex.ID) {
				states = append(states, fmt.Sprintf("%s %s %d", d.Event, d.State, d.Attempts))
				ok = ok && d.Attempts >= n
			}
			return ok && len(states) == 2, strings.Join(states, ", ")
		}
	}
	waitFor(t, "the first attempts", attempted(1))
	firstIDs := map[string]bool{}
	for _, r := range recv.all() {
		firstIDs[r.Header.Get(webhook.EventIDHeader)] = true
	}
	for i, wait := range []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second} {
		for _, d := range deliveries(t, e, ex.ID) {
			if d.State != engine.DeliveryPending || d.LastError == nil || !strings.Contains(*d.LastError, "503") {
				t.Fatalf("after attempt %d: %s %s, last error %v; want PENDING with the 503", i+1, d.Event, d.State, d.LastError)
			}
			if d.NextAttemptAt == nil || !d.NextAttemptAt.Equal(clock.Now().Add(wait)) {
				t.Fatalf("after attempt %d the next is at %v; want %v later (%v)", i+1, d.NextAttemptAt, wait, clock.Now().Add(wait))
			}
		}
		if i == 2 {
			break
		}
		clock.advance(wait)
		e.Notify()
		waitFor(t, fmt.Sprintf("attempt %d", i+2), attempted(i+2))
	}
	waitStats(t, e, engine.NotifyStats{Retried: 6})
	recv.status.Store(http.StatusOK)
	clock.advance(8 * time.Second)
	e.Notify()
	waitFor(t, "delivery once the receiver is up", func() (bool, string) {
		var states []string
		ok := true
		for _, d := range deliveries(t, e, ex.ID) {
			states = append(states, d.State)
			ok = ok && d.State == engine.DeliveryDelivered
		}
		return ok, strings.Join(states, ", ")
	})
	got := recv.all()
	if len(got) != 8 {
		t.Errorf("%d requests; want 4 attempts of each of 2 events", len(got))
	}
	for _, r := range got {
		if !firstIDs[r.Header.Get(webhook.EventIDHeader)] {
			t.Errorf("a retry carries event id %q, not one of the first attempts' %v", r.Header.Get(webhook.EventIDHeader), firstIDs)
		}
	}
	if clock.Now().Sub(start) != 14*time.Second {
		t.Errorf("the clock moved %v", clock.Now().Sub(start))
	}
	logMu.Lock()
	defer logMu.Unlock()
	if !strings.Contains(logs.String(), "notification failed; it will be retried") || !strings.Contains(logs.String(), "503") || strings.Contains(logs.String(), "/secret-path") {
		t.Errorf("the log does not tell of the failures, or shows the URL's path (a chat webhook's secret):\n%s", logs.String())
	}
}

// TestNotifyGivesUp: after MaxAttempts failures a notification is FAILED,
// not sent again, counted and logged as an error; each attempt's outcome
// is an event for the execution's page.
func TestNotifyGivesUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	recv := newReceiver(t)
	recv.status.Store(http.StatusInternalServerError)
	clock := newManualClock()
	var logs bytes.Buffer
	var logMu sync.Mutex
	events := make(eventChan, 100)
	e := newEngine(t, engine.Config{Clock: clock, Logger: newTestLogger(&logs, &logMu), Publisher: events,
		Notify: engine.NotifyConfig{Sender: webhook.New(5*time.Second, nil), MaxAttempts: 2, Backoff: time.Second}})
	if _, err := e.CreateWorkflows(ctx, nil, "version: '2.0'\nwf:\n  tasks:\n    one:\n      action: std.noop\n", "", ""); err != nil {
		t.Fatal(err)
	}
	ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf", Params: notifyParams(recv.URL, "WORKFLOW_SUCCEEDED")})
	if err != nil {
		t.Fatal(err)
	}
	settle(t, e, ex.ID, "")
	state := func() (bool, string) {
		d := deliveries(t, e, ex.ID)
		if len(d) != 1 {
			return false, fmt.Sprintf("%d deliveries", len(d))
		}
		return d[0].State == engine.DeliveryFailed, fmt.Sprintf("%s after %d", d[0].State, d[0].Attempts)
	}
	// Recorded, not only received: the next attempt is due a second
	// after the clock's time when the failure commits.
	waitFor(t, "the first attempt", func() (bool, string) {
		d := deliveries(t, e, ex.ID)
		return len(d) == 1 && d[0].Attempts == 1, fmt.Sprint(d)
	})
	clock.advance(time.Second)
	e.Notify()
	waitFor(t, "FAILED", state)
	if d := deliveries(t, e, ex.ID)[0]; d.Attempts != 2 || d.NextAttemptAt != nil {
		t.Errorf("failed delivery: %d attempts, next %v; want 2 and none", d.Attempts, d.NextAttemptAt)
	}
	waitStats(t, e, engine.NotifyStats{Retried: 1, Failed: 1})
	// Each outcome tells the execution's live page (not its timeline).
	ev := events.next(t, func(ev engine.Event) bool { return ev.Kind == engine.KindNotification })
	if ev.ExecutionID != ex.ID || !ev.Detail {
		t.Errorf("notification event %+v; want a Detail event of %s", ev, ex.ID)
	}
	logMu.Lock()
	defer logMu.Unlock()
	if !strings.Contains(logs.String(), "no more attempts") {
		t.Errorf("the log does not tell of the failure:\n%s", logs.String())
	}
}

// TestNotifySurvivesCrash: a notification committed with its change by an
// engine that died before sending it is sent by the next engine on the
// same database (the job survives).
func TestNotifySurvivesCrash(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	recv := newReceiver(t)
	path := filepath.Join(t.TempDir(), "db")
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	notify := engine.NotifyConfig{Sender: webhook.New(5*time.Second, nil)}
	// Its worker never runs: as if it died right after the commit.
	first := engine.New(engine.Config{Store: st, Notify: notify})
	if _, err := first.CreateWorkflows(ctx, nil, "version: '2.0'\nwf:\n  tasks:\n    one:\n      action: std.async_noop\n", "", ""); err != nil {
		t.Fatal(err)
	}
	ex, err := first.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf", Params: notifyParams(recv.URL, "WORKFLOW_LAUNCHED")})
	if err != nil {
		t.Fatal(err)
	}
	if d := deliveries(t, first, ex.ID); len(d) != 1 || d[0].State != engine.DeliveryPending {
		t.Fatalf("before the crash: %v; want one PENDING delivery", d)
	}
	st.Close()
	if n := len(recv.all()); n != 0 {
		t.Fatalf("%d requests before any worker ran", n)
	}

	st2, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	second := engine.New(engine.Config{Store: st2, Notify: notify})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { second.Run(runCtx); close(done) }()
	defer func() { cancel(); <-done }()
	waitFor(t, "the notification after restart", func() (bool, string) {
		d := deliveries(t, second, ex.ID)
		return len(d) == 1 && d[0].State == engine.DeliveryDelivered, fmt.Sprint(len(recv.all()), " received")
	})
	if got := recv.all(); len(got) != 1 || !strings.Contains(got[0].Body, `"event": "WORKFLOW_LAUNCHED"`) {
		t.Errorf("received %v; want the WORKFLOW_LAUNCHED body once", got)
	}
}

// TestNotifySubworkflow: a sub-workflow inherits its parent's notify, so
// its receivers hear of the sub-workflow's launch and end (with its parent
// task's id), as in Mistral; the server-wide receiver hears of both too.
func TestNotifySubworkflow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	recv, server := newReceiver(t), newReceiver(t)
	e := newEngine(t, engine.Config{Notify: engine.NotifyConfig{Sender: webhook.New(5*time.Second, nil),
		Receivers: []engine.Webhook{{URL: server.URL, Events: []engine.EventType{engine.WorkflowSucceeded}}}}})
	def := `version: '2.0'
parent:
  tasks:
    call:
      workflow: child
child:
  tasks:
    one:
      action: std.noop
`
	if _, err := e.CreateWorkflows(ctx, nil, def, "", ""); err != nil {
		t.Fatal(err)
	}
	ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "parent", Params: notifyParams(recv.URL, "WORKFLOW_LAUNCHED", "WORKFLOW_SUCCEEDED")})
	if err != nil {
		t.Fatal(err)
	}
	settle(t, e, ex.ID, "")
	waitFor(t, "4 + 2 notifications", func() (bool, string) {
		return len(recv.all()) >= 4 && len(server.all()) >= 2, fmt.Sprint(len(recv.all()), len(server.all()))
	})
	var child []string
	for _, r := range recv.all() {
		var b map[string]any
		_ = json.Unmarshal([]byte(r.Body), &b)
		if b["name"] == "child" {
			if b["task_execution_id"] == nil || b["root_execution_id"] != ex.ID {
				t.Errorf("the child's body %s lacks its parent task or root", r.Body)
			}
			child = append(child, b["event"].(string))
		}
	}
	slices.Sort(child)
	if !slices.Equal(child, []string{"WORKFLOW_LAUNCHED", "WORKFLOW_SUCCEEDED"}) {
		t.Errorf("the child's events: %v; want its launch and success", child)
	}
	if n := len(server.all()); n != 2 {
		t.Errorf("the server-wide receiver got %d; want the 2 WORKFLOW_SUCCEEDED", n)
	}
}

// TestNotifyParamsChecked: params.notify is checked when the execution
// starts; each refusal is EINVALID naming the field (a 400 on the API).
func TestNotifyParamsChecked(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	allow, err := webhook.ParseAllowlist("hooks.example.com,https://chat.example.org/sirocco/")
	if err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, engine.Config{Notify: engine.NotifyConfig{Sender: webhook.New(5*time.Second, allow)}})
	if _, err := e.CreateWorkflows(ctx, nil, "version: '2.0'\nwf:\n  tasks:\n    one:\n      action: std.noop\n", "", ""); err != nil {
		t.Fatal(err)
	}
	hook := func(kv ...any) map[string]any {
		m := map[string]any{"type": "webhook", "url": "https://hooks.example.com/x"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return map[string]any{"notify": []any{m}}
	}
	for _, tt := range []struct {
		name   string
		params map[string]any
		want   string // a fragment of the error; "" for none
	}{
		{"allowed host", hook(), ""},
		{"allowed prefix", hook("url", "https://chat.example.org/sirocco/room"), ""},
		{"all fields", hook("headers", map[string]any{"Authorization": "Bearer x"}, "events", []any{"TASK_FAILED"}, "event_types", []any{}), ""},
		{"not a list", map[string]any{"notify": "http://x"}, "params.notify must be a list"},
		{"unknown type", hook("type", "email"), `params.notify[0].type: unknown notifier type "email"`},
		{"no type", hook("type", nil), "params.notify[0].type: unknown notifier type null"},
		{"no url", hook("url", ""), "params.notify[0].url is required"},
		{"bad url", hook("url", "hooks.example.com/x"), `params.notify[0].url "hooks.example.com/x": not an http or https URL`},
		{"credentials in url", hook("url", "https://u:p@hooks.example.com/"), "holds credentials"},
		{"disallowed host", hook("url", "http://169.254.169.254/latest"), `params.notify[0].url "http://169.254.169.254/latest": not among the allowed`},
		{"outside the prefix", hook("url", "https://chat.example.org/other"), `params.notify[0].url "https://chat.example.org/other": not among the allowed`},
		{"prefix escaped by dots", hook("url", "https://chat.example.org/sirocco/../admin"), "not among the allowed"},
		{"unknown event", hook("events", []any{"WORKFLOW_EXPLODED"}), `params.notify[0].events: unknown event "WORKFLOW_EXPLODED"`},
		{"unknown event_types", hook("event_types", []any{"task_failed"}), `params.notify[0].event_types: unknown event "task_failed"`},
		{"events not a list", hook("events", "TASK_FAILED"), "params.notify[0].events must be a list"},
		{"header not a string", hook("headers", map[string]any{"X-N": 1}), "params.notify[0].headers.X-N must be"},
		{"header with a line break", hook("headers", map[string]any{"X-N": "a\r\nHost: evil"}), "params.notify[0].headers.X-N must be"},
		{"event id header", hook("headers", map[string]any{"Sirocco-Event-Id": "x"}), "params.notify[0].headers.Sirocco-Event-Id must be"},
		{"signature header", hook("headers", map[string]any{"sirocco-signature": "t=1,v1=00"}), "params.notify[0].headers.sirocco-signature must be"},
		{"approval events", hook("events", []any{"approval.requested", "approval.decided", "TASK_FAILED"}), ""},
		{"unknown approval event", hook("events", []any{"approval.approved"}), `params.notify[0].events: unknown event "approval.approved"; the events are WORKFLOW_LAUNCHED`},
		{"unknown field", hook("method", "PUT"), "params.notify[0].method is not a notifier field"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf", Params: tt.params})
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.want != "" && (fault.Code(err) != fault.EINVALID || !strings.Contains(fault.Message(err), tt.want)):
				t.Errorf("error %v (%s); want EINVALID with %q", err, fault.Code(err), tt.want)
			}
		})
	}
	// A server that sends no notifications says so.
	bare := newEngine(t, engine.Config{})
	if _, err := bare.CreateWorkflows(ctx, nil, "version: '2.0'\nwf:\n  tasks:\n    one:\n      action: std.noop\n", "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := bare.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf", Params: hook()}); fault.Code(err) != fault.EINVALID {
		t.Errorf("params.notify on an engine without a sender: %v; want EINVALID", err)
	}
}

// TestMaskParams: the values of params.notify's headers are masked; the
// rest of the params, and params without headers, are kept, in their order.
func TestMaskParams(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{`{"env": {}, "namespace": ""}`, `{"env": {}, "namespace": ""}`},
		{`{"notify": [{"type": "webhook", "url": "http://x", "headers": {"Authorization": "Bearer s3cret", "X-A": "b"}}], "env": {"headers": "kept"}}`,
			`{"notify": [{"type": "webhook", "url": "http://x", "headers": {"Authorization": "***", "X-A": "***"}}], "env": {"headers": "kept"}}`},
		{`{"env": {"headers": {"a": "kept"}}}`, `{"env": {"headers": {"a": "kept"}}}`},
	} {
		if got := engine.MaskParams(tt.in); got != tt.want {
			t.Errorf("MaskParams(%s)\n = %s\nwant %s", tt.in, got, tt.want)
		}
	}
}

// lockedWriter serialises the log's writes for a test reading them.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func newTestLogger(w io.Writer, mu *sync.Mutex) *slog.Logger {
	return slog.New(slog.NewTextHandler(lockedWriter{mu, w}, nil))
}

// TestNotifySlowReceiverLeavesActionsAlone: receivers that hang hold at
// most a quarter of the worker's slots; another workflow's actions run
// meanwhile, and the waiting notifications go out once the receiver
// answers.
func TestNotifySlowReceiverLeavesActionsAlone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	release := make(chan struct{})
	var hits atomic.Int32
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		<-release
	}))
	defer slow.Close()
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	defer unblock()
	e := newEngine(t, engine.Config{Workers: 4, Notify: engine.NotifyConfig{Sender: webhook.New(time.Minute, nil)}})
	def := `version: '2.0'
noisy:
  tasks:
    a:
      action: std.noop
      on-success: [b]
    b:
      action: std.noop
quiet:
  tasks:
    a:
      action: std.echo output=1
      on-success: [b]
    b:
      action: std.echo output=2
      on-success: [c]
    c:
      action: std.echo output=3
`
	if _, err := e.CreateWorkflows(ctx, nil, def, "", ""); err != nil {
		t.Fatal(err)
	}
	noisy, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "noisy", Params: map[string]any{"notify": []any{map[string]any{"type": "webhook", "url": slow.URL}}}})
	if err != nil {
		t.Fatal(err)
	}
	settle(t, e, noisy.ID, "")
	waitFor(t, "the receiver to hang", func() (bool, string) { return hits.Load() >= 1, "" })
	quiet, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "quiet"})
	if err != nil {
		t.Fatal(err)
	}
	if ex := settle(t, e, quiet.ID, ""); ex.State != engine.StateSuccess {
		t.Fatalf("the quiet workflow: %s", ex.State)
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("%d requests in flight to the hanging receiver; want 1 (a quarter of 4 slots)", n)
	}
	unblock()
	waitFor(t, "every notification", func() (bool, string) {
		var states []string
		done := true
		for _, d := range deliveries(t, e, noisy.ID) {
			states = append(states, d.State)
			done = done && d.State == engine.DeliveryDelivered
		}
		return done && len(states) == 6, strings.Join(states, ",")
	})
}

// TestNotifyRerun: rerunning a failed task tells WORKFLOW_RERUN and
// TASK_RERUN (Mistral's events for a move from ERROR to RUNNING), and a
// cancelled workflow WORKFLOW_CANCELLED.
func TestNotifyRerun(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	recv := newReceiver(t)
	e := newEngine(t, engine.Config{Notify: engine.NotifyConfig{Sender: webhook.New(5*time.Second, nil),
		Receivers: []engine.Webhook{{URL: recv.URL}}}})
	if _, err := e.CreateWorkflows(ctx, nil, "version: '2.0'\nwf:\n  tasks:\n    boom:\n      action: std.fail\nwaits:\n  tasks:\n    w:\n      action: std.async_noop\n", "", ""); err != nil {
		t.Fatal(err)
	}
	other, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "waits"})
	if err != nil {
		t.Fatal(err)
	}
	settle(t, e, other.ID, "w")
	if _, err := e.UpdateExecution(ctx, other.ID, engine.ExecutionUpdate{State: engine.StateCancelled}); err != nil {
		t.Fatal(err)
	}
	ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf"})
	if err != nil {
		t.Fatal(err)
	}
	settle(t, e, ex.ID, "")
	tasks, err := e.ListTasks(ctx, engine.ListQuery{Filters: []engine.Filter{{Field: "workflow_execution_id", Op: engine.OpEq, Values: []string{ex.ID}}}})
	if err != nil || len(tasks) != 1 {
		t.Fatalf("tasks: %v %v", tasks, err)
	}
	if _, err := e.RerunTask(ctx, tasks[0].ID, nil, false); err != nil {
		t.Fatal(err)
	}
	settle(t, e, ex.ID, "")
	want := []string{"TASK_CANCELLED", "TASK_FAILED", "TASK_FAILED", "TASK_LAUNCHED", "TASK_LAUNCHED", "TASK_RERUN",
		"WORKFLOW_CANCELLED", "WORKFLOW_FAILED", "WORKFLOW_FAILED", "WORKFLOW_LAUNCHED", "WORKFLOW_LAUNCHED", "WORKFLOW_RERUN"}
	waitFor(t, "the events of the run and the rerun", func() (bool, string) {
		var got []string
		for _, r := range recv.all() {
			got = append(got, r.Header.Get(webhook.EventHeader))
		}
		slices.Sort(got)
		return slices.Equal(got, want), strings.Join(got, ",")
	})
}
