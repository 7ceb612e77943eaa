package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"
	"time"
)

// callbackRecorder is a stand-in for Sirocco's callback route.
type callbackRecorder struct {
	mu    sync.Mutex
	calls []callback
	got   chan struct{} // signalled after each call
}

type callback struct {
	Method, Path string
	Body         map[string]any
	Token        string // Sirocco-Callback-Token
}

func newCallbackServer(t *testing.T) (*httptest.Server, *callbackRecorder) {
	t.Helper()
	rec := &callbackRecorder{got: make(chan struct{}, 100)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		c := callback{Method: r.Method, Path: r.URL.Path, Token: r.Header.Get("Sirocco-Callback-Token")}
		if err := json.Unmarshal(b, &c.Body); err != nil {
			t.Errorf("callback body %q is not a JSON object: %v", b, err)
		}
		rec.mu.Lock()
		rec.calls = append(rec.calls, c)
		rec.mu.Unlock()
		w.WriteHeader(http.StatusOK)
		rec.got <- struct{}{}
	}))
	t.Cleanup(srv.Close)
	return srv, rec
}

// callsTo returns the callbacks received on path ("" for all of them).
func (r *callbackRecorder) callsTo(path string) []callback {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []callback
	for _, c := range r.calls {
		if path == "" || c.Path == path {
			out = append(out, c)
		}
	}
	return out
}

// waitFor waits until a callback to path has arrived.
func (r *callbackRecorder) waitFor(t *testing.T, path string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for len(r.callsTo(path)) == 0 {
		select {
		case <-r.got:
		case <-deadline:
			t.Fatalf("no callback to %s within 10s; got %v", path, r.callsTo(""))
		}
	}
}

// send makes a std.mistral_http-like request to the adder.
func send(t *testing.T, h http.Handler, query string, headers map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/?"+query, nil)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func TestHandlerRejects(t *testing.T) {
	t.Parallel()
	cb, rec := newCallbackServer(t)
	h := handler(cb.Client())
	full := map[string]string{"Mistral-Action-Execution-Id": "a1", "Mistral-Callback-URL": cb.URL}
	tests := []struct {
		name    string
		query   string
		headers map[string]string
	}{
		{"no Mistral headers", "a=1&b=2", nil},
		{"no callback URL", "a=1&b=2", map[string]string{"Mistral-Action-Execution-Id": "a1"}},
		{"no action execution id", "a=1&b=2", map[string]string{"Mistral-Callback-URL": cb.URL}},
		{"a missing", "b=2", full},
		{"b not a number", "a=1&b=two", full},
	}
	for _, tt := range tests {
		if w := send(t, h, tt.query, tt.headers); w.Code != http.StatusBadRequest {
			t.Errorf("%s: status %d, want %d; body %q", tt.name, w.Code, http.StatusBadRequest, w.Body.String())
		}
	}
	// A rejected request reserves nothing: the same id, sent properly
	// afterwards, is answered.
	if w := send(t, h, "a=1&b=2", full); w.Code != http.StatusAccepted {
		t.Fatalf("proper request after the rejected ones: status %d, want %d", w.Code, http.StatusAccepted)
	}
	rec.waitFor(t, "/v2/action-executions/a1")
	if got := len(rec.callsTo("")); got != 1 {
		t.Errorf("%d callbacks, want 1 (for the proper request only): %v", got, rec.callsTo(""))
	}
}

func TestHandlerCallsBack(t *testing.T) {
	t.Parallel()
	cb, rec := newCallbackServer(t)
	h := handler(cb.Client())
	headers := func(id string) map[string]string {
		return map[string]string{
			"Mistral-Workflow-Name":         "my_workflow",
			"Mistral-Workflow-Execution-Id": "ex-1",
			"Mistral-Task-Id":               "task-1",
			"Mistral-Action-Execution-Id":   id,
			"Mistral-Callback-URL":          cb.URL,
		}
	}

	// The same request twice (Sirocco sends at least once).
	for i := range 2 {
		if w := send(t, h, "a=1&b=2", headers("ae-1")); w.Code != http.StatusAccepted {
			t.Fatalf("request %d: status %d, want %d; body %q", i+1, w.Code, http.StatusAccepted, w.Body.String())
		}
	}
	rec.waitFor(t, "/v2/action-executions/ae-1")
	// A later request with another id: its callback is due after any
	// callback the duplicate could have caused, so once it is in, a
	// second callback for ae-1 would be too.
	if w := send(t, h, "a=20&b=22", headers("ae-2")); w.Code != http.StatusAccepted {
		t.Fatalf("request for ae-2: status %d, want %d", w.Code, http.StatusAccepted)
	}
	rec.waitFor(t, "/v2/action-executions/ae-2")

	for _, tt := range []struct {
		id   string
		want callback
	}{
		{"ae-1", callback{http.MethodPost, "/v2/action-executions/ae-1", map[string]any{"state": "SUCCESS", "output": float64(3)}, ""}},
		{"ae-2", callback{http.MethodPost, "/v2/action-executions/ae-2", map[string]any{"state": "SUCCESS", "output": float64(42)}, ""}},
	} {
		got := rec.callsTo(tt.want.Path)
		if len(got) != 1 {
			t.Errorf("%s: %d callbacks, want exactly 1: %v", tt.id, len(got), got)
			continue
		}
		if !reflect.DeepEqual(got[0], tt.want) {
			t.Errorf("%s: callback %+v, want %+v", tt.id, got[0], tt.want)
		}
	}
}

// TestHandlerSendsTheCallbackTokenBack: the token Sirocco sent comes back
// with the result, so the adder needs no account.
func TestHandlerSendsTheCallbackTokenBack(t *testing.T) {
	t.Parallel()
	cb, rec := newCallbackServer(t)
	h := handler(cb.Client())
	send(t, h, "a=1&b=2", map[string]string{"Mistral-Action-Execution-Id": "t1", "Mistral-Callback-URL": cb.URL,
		"Sirocco-Callback-Token": "cb_secret"})
	rec.waitFor(t, "/v2/action-executions/t1")
	if got := rec.callsTo("/v2/action-executions/t1")[0].Token; got != "cb_secret" {
		t.Errorf("callback token sent back: %q, want cb_secret", got)
	}
}
