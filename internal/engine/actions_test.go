package engine_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

// startOne registers a one-task workflow running action and starts it.
func startOne(t *testing.T, e *engine.Engine, action string) *engine.Execution {
	t.Helper()
	ctx := context.Background()
	def := "version: '2.0'\nwf:\n  tasks:\n    t:\n      action: '" + strings.ReplaceAll(action, "'", "''") + "'\n      publish:\n        r: <% task().result %>\n"
	if _, err := e.CreateWorkflows(ctx, nil, def, "", ""); err != nil {
		t.Fatal(err)
	}
	ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf"})
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

func TestMistralHTTPWaitsForCallback(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, store string) {
		t.Parallel()
		var mu sync.Mutex
		var got *http.Request
		var body string
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			got, body = r, string(b)
			mu.Unlock()
			w.WriteHeader(http.StatusAccepted)
		}))
		defer hook.Close()
		e := newEngineOn(t, store, engine.Config{BaseURL: "http://public.example:8989"})
		ex := startOne(t, e, `std.mistral_http url="`+hook.URL+`/hook" method=POST body="hi" headers={"X-Token": "t1"}`)

		// It stays RUNNING once the request was sent; the record of what was
		// sent shows that it was.
		var a *engine.ActionExecution
		for {
			a = pendingAction(t, e, ex.ID, "t")
			if a == nil {
				t.Fatalf("action left RUNNING without a callback: %+v", settle(t, e, ex.ID, ""))
			}
			if a.RequestJSON != nil {
				break
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if got == nil {
			t.Fatal("the web service got no request")
		}
		want := map[string]string{
			"Mistral-Workflow-Name":         "wf",
			"Mistral-Workflow-Execution-Id": ex.ID,
			"Mistral-Task-Id":               *a.TaskExecutionID,
			"Mistral-Action-Execution-Id":   a.ID,
			"Mistral-Callback-URL":          "http://public.example:8989",
			"X-Token":                       "t1",
		}
		for k, v := range want {
			if g := got.Header.Get(k); g != v {
				t.Errorf("header %s = %q, want %q", k, g, v)
			}
		}
		if got.Method != "POST" || got.URL.Path != "/hook" || body != "hi" {
			t.Errorf("request = %s %s %q", got.Method, got.URL.Path, body)
		}
		if !strings.Contains(*a.RequestJSON, `"Mistral-Action-Execution-Id": "`+a.ID+`"`) {
			t.Errorf("request record = %s", *a.RequestJSON)
		}
	})
}

func TestMistralHTTPFailsAtOnce(t *testing.T) {
	t.Parallel()
	refused := func() string { // a port nobody listens on
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		return "http://" + addr
	}()
	teapot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, `{"why": "teapot"}`)
	}))
	t.Cleanup(teapot.Close) // parallel subtests run after this function returns
	tests := []struct {
		name, url, info string
	}{
		{"connection refused", refused, "Failed to send HTTP request"},
		{"status outside 200-306", teapot.URL, "'status': 418"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEngine(t, engine.Config{})
			ex := startOne(t, e, `mistral_http url="`+tt.url+`"`)
			got := settle(t, e, ex.ID, "")
			if got.State != engine.StateError || !strings.Contains(deref(got.StateInfo), tt.info) {
				t.Errorf("state %s, state_info %q; want ERROR containing %q", got.State, deref(got.StateInfo), tt.info)
			}
		})
	}
}

func TestHTTPResult(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, store string) {
		t.Parallel()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			io.WriteString(w, `{"q": "`+r.URL.RawQuery+`"}`)
		}))
		defer srv.Close()
		e := newEngineOn(t, store, engine.Config{})
		ex := startOne(t, e, `std.http url="`+srv.URL+`" params={"a": 1, "b": "x y"}`)
		got := settle(t, e, ex.ID, "")
		if got.State != engine.StateSuccess {
			t.Fatalf("state %s: %s", got.State, deref(got.StateInfo))
		}
		out, err := jsonvalue.Decode([]byte(got.OutputJSON))
		out = jsonvalue.Unordered(out) // looked up by key
		if err != nil {
			t.Fatal(err)
		}
		r := out.(map[string]any)["r"].(map[string]any)
		if r["status"] != int64(200) || r["encoding"] != "utf-8" || r["reason"] != "OK" {
			t.Errorf("result = %v", r)
		}
		if c, _ := r["content"].(map[string]any); c["q"] != "a=1&b=x+y" {
			t.Errorf("content = %v", r["content"])
		}
		for _, k := range []string{"headers", "url", "history", "cookies", "elapsed"} {
			if _, ok := r[k]; !ok {
				t.Errorf("result lacks %q", k)
			}
		}
	})
}

// TestHTTPResponseDepthLimit: a response nested past the input depth limit
// fails the action with a message naming the limit, and is not stored;
// one within it, or text that is not JSON, is the result as before.
func TestHTTPResponseDepthLimit(t *testing.T) {
	t.Parallel()
	nested := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	for _, tc := range []struct {
		name, body string
		ok         bool
	}{
		{"deep", nested(10000), false},
		{"deep object", " \n" + strings.Repeat(`{"a":`, 129) + "1" + strings.Repeat("}", 129), false},
		{"deep and not JSON", nested(200) + "x", false},
		{"at the limit", nested(128), true},
		{"text", "<html>" + strings.Repeat("[", 200) + "</html>", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, tc.body)
			}))
			t.Cleanup(srv.Close)
			e := newEngine(t, engine.Config{})
			ex := startOne(t, e, `std.http url="`+srv.URL+`"`)
			got := settle(t, e, ex.ID, "")
			if tc.ok {
				if got.State != engine.StateSuccess {
					t.Errorf("state %s: %s", got.State, deref(got.StateInfo))
				}
				return
			}
			if got.State != engine.StateError || !strings.Contains(deref(got.StateInfo), "The HTTP response is not accepted") ||
				!strings.Contains(deref(got.StateInfo), "128 levels") {
				t.Errorf("state %s, state_info %.300q; want ERROR naming the depth limit", got.State, deref(got.StateInfo))
			}
			acts, err := e.ListActionExecutions(context.Background(), engine.ListQuery{Filters: []engine.Filter{
				{Field: "workflow_execution_id", Op: engine.OpEq, Values: []string{ex.ID}}}})
			if err != nil || len(acts) != 1 {
				t.Fatalf("action executions: %v, %v", acts, err)
			}
			if out := deref(acts[0].OutputJSON); strings.Contains(out, "[[[[") || strings.Contains(out, `{"a":{"a"`) {
				t.Errorf("the response was stored: %.200s", out)
			}
		})
	}
}

// TestLongActionRunsOnce: an action that outlasts its job's lease keeps
// the lease, so the worker does not take it for abandoned and run it again.
func TestLongActionRunsOnce(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	requests := 0
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests++
		n := requests
		mu.Unlock()
		if n == 1 {
			<-release // held for several leases
		}
	}))
	defer srv.Close()
	// Leases short enough for a test, long enough that a loaded CI machine
	// does not delay a renewal past one.
	e := newEngine(t, engine.Config{JobLease: 300 * time.Millisecond})
	ex := startOne(t, e, `std.http url="`+srv.URL+`"`)
	// Hold the request for four leases; a second request would arrive meanwhile.
	deadline := time.Now().Add(1200 * time.Millisecond)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := requests
		mu.Unlock()
		if n > 1 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(release)
	if got := settle(t, e, ex.ID, ""); got.State != engine.StateSuccess {
		t.Fatalf("state %s: %s", got.State, deref(got.StateInfo))
	}
	mu.Lock()
	defer mu.Unlock()
	if requests != 1 {
		t.Errorf("the web service got %d requests, want 1", requests)
	}
}

// TestAdhocMistralHTTP: an ad-hoc action over std.mistral_http sends the
// request its base-input describes, keeps its record, and transforms the
// result delivered later.
func TestAdhocMistralHTTP(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, store string) {
		t.Parallel()
		ctx := context.Background()
		bodies := make(chan string, 1)
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			bodies <- r.Header.Get("Mistral-Action-Execution-Id") + " " + string(b)
			w.WriteHeader(http.StatusAccepted)
		}))
		defer hook.Close()
		e := newEngineOn(t, store, engine.Config{})
		if _, err := e.CreateActions(ctx, nil, "version: '2.0'\nnotify:\n  base: std.mistral_http\n  base-input:\n    url: "+hook.URL+"/n\n    method: POST\n    json: {who: <% $.who %>}\n  input: [who]\n  output: <% $.ok %>\n", "", ""); err != nil {
			t.Fatal(err)
		}
		ex := startOne(t, e, "notify who=ann")
		var a *engine.ActionExecution
		for deadline := time.Now().Add(10 * time.Second); ; {
			if a = pendingAction(t, e, ex.ID, "t"); a == nil {
				t.Fatalf("action left RUNNING: %+v", settle(t, e, ex.ID, ""))
			}
			if a.RequestJSON != nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("no record of the request after 10 s")
			}
			time.Sleep(2 * time.Millisecond)
		}
		if got, want := <-bodies, a.ID+` {"who": "ann"}`; got != want {
			t.Errorf("the web service got %q, want %q", got, want)
		}
		if a.Name != "notify" || !strings.Contains(*a.RequestJSON, hook.URL+"/n") {
			t.Errorf("action %s, request record %s", a.Name, *a.RequestJSON)
		}
		if _, err := e.UpdateActionExecution(ctx, a.ID, engine.Completion{State: engine.StateSuccess, Output: map[string]any{"ok": int64(1), "x": int64(2)}, HasOutput: true}); err != nil {
			t.Fatal(err)
		}
		done := settle(t, e, ex.ID, "")
		if done.State != engine.StateSuccess || done.OutputJSON != `{"r": 1}` {
			t.Errorf("execution %s, output %s; want SUCCESS and the transformed result", done.State, done.OutputJSON)
		}
	})
}
