package main

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

// seedWorkflow is the async-actions guide's example; %URL% is replaced by
// the test web service's address.
const seedWorkflow = `---
version: '2.0'
my_workflow:
  tasks:
    one_plus_two:
      action: mistral_http url=%URL%
      input:
        params:
          a: 1
          b: 2
`

// webRequest is what the test web service saw.
type webRequest struct {
	Query  url.Values
	Header http.Header
}

// TestSeedExample runs the guide's example end to end: std.mistral_http
// calls a web service with the Mistral-* headers, the service posts the
// result to the callback URL, and the workflow finishes with it.
func TestSeedExample(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		env  map[string]string
		// wantCallbackURL is the Mistral-Callback-URL header expected,
		// given the address the API listens on.
		wantCallbackURL func(apiURL string) string
		// postToHeader: the callback is posted to the header's URL (it
		// is reachable); otherwise to the API's URL.
		postToHeader bool
	}{
		{
			name:            "default base URL",
			wantCallbackURL: func(apiURL string) string { return apiURL },
			postToHeader:    true,
		},
		{
			name:            "-base-url",
			args:            []string{"-base-url", "http://example.test:1234"},
			wantCallbackURL: func(string) string { return "http://example.test:1234" },
		},
		{
			name:            "SIROCCO_BASE_URL",
			env:             map[string]string{"SIROCCO_BASE_URL": "https://sirocco.example.test"},
			wantCallbackURL: func(string) string { return "https://sirocco.example.test" },
		},
		{
			name:            "-base-url wins over SIROCCO_BASE_URL",
			args:            []string{"-base-url", "http://example.test:1234"},
			env:             map[string]string{"SIROCCO_BASE_URL": "https://sirocco.example.test"},
			wantCallbackURL: func(string) string { return "http://example.test:1234" },
		},
		{
			name:            "-base-url with trailing slash",
			args:            []string{"-base-url", "http://example.test:1234/"},
			wantCallbackURL: func(string) string { return "http://example.test:1234" },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			received := make(chan webRequest, 10)
			web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				received <- webRequest{Query: r.URL.Query(), Header: r.Header.Clone()}
				w.WriteHeader(http.StatusAccepted)
			}))
			t.Cleanup(web.Close)
			srv := startServerEnv(t, tt.env, tt.args...)

			createWorkflow(t, srv.URL, strings.ReplaceAll(seedWorkflow, "%URL%", web.URL))
			exID := startExecution(t, srv.URL, map[string]any{"workflow_name": "my_workflow"})

			var req webRequest
			select {
			case req = <-received:
			case <-t.Context().Done():
				t.Fatal("test ended before the web service was called")
			case <-time.After(waitTimeout):
				t.Fatalf("the web service was not called within %v", waitTimeout)
			}
			if got, want := req.Query, (url.Values{"a": {"1"}, "b": {"2"}}); !reflect.DeepEqual(got, want) {
				t.Errorf("web service query = %v, want %v", got, want)
			}
			action := runningAction(t, srv.URL, exID)
			actionID := str(t, action, "id")
			taskID := str(t, action, "task_execution_id")
			wantHeaders := map[string]string{
				"Mistral-Workflow-Name":         "my_workflow",
				"Mistral-Workflow-Execution-Id": exID,
				"Mistral-Task-Id":               taskID,
				"Mistral-Action-Execution-Id":   actionID,
				"Mistral-Callback-URL":          tt.wantCallbackURL(srv.URL),
			}
			for k, want := range wantHeaders {
				if got := req.Header.Get(k); got != want {
					t.Errorf("web service header %s = %q, want %q", k, got, want)
				}
			}
			if t.Failed() {
				t.FailNow()
			}

			callbackBase := srv.URL
			if tt.postToHeader {
				callbackBase = req.Header.Get("Mistral-Callback-URL")
			}
			callback := callbackBase + "/v2/action-executions/" + actionID
			success := map[string]any{"state": "SUCCESS", "output": 3}
			got := mustDo(t, http.StatusOK, http.MethodPost, callback, success)
			if got["state"] != "SUCCESS" || got["accepted"] != true {
				t.Errorf("callback answer: state %v accepted %v, want SUCCESS true; body %v", got["state"], got["accepted"], got)
			}

			waitState(t, srv.URL+"/v2/executions/"+exID, "SUCCESS")
			task := mustDo(t, http.StatusOK, http.MethodGet, srv.URL+"/v2/tasks/"+taskID, nil)
			if got := task["result"]; got != "3" {
				t.Errorf("task result = %#v, want %q (a JSON-encoded string)", got, "3")
			}
			if got := task["state"]; got != "SUCCESS" {
				t.Errorf("task state = %v, want SUCCESS", got)
			}
			ae := mustDo(t, http.StatusOK, http.MethodGet, srv.URL+"/v2/action_executions/"+actionID, nil)
			wantOutput := map[string]any{"result": float64(3)}
			if got := decodeField(t, ae, "output"); !reflect.DeepEqual(got, wantOutput) {
				t.Errorf("action execution output = %v, want %v", got, wantOutput)
			}

			// Callbacks after completion, and malformed ones.
			for _, c := range []struct {
				name       string
				id         string
				body       any
				wantStatus int
				wantFault  string // a fragment of faultstring
			}{
				{"same callback again", actionID, success, http.StatusOK, ""},
				{"different callback", actionID, map[string]any{"state": "ERROR"}, http.StatusConflict, "SUCCESS"},
				{"different output", actionID, map[string]any{"state": "SUCCESS", "output": 4}, http.StatusConflict, "SUCCESS"},
				{"unknown id", "00000000-0000-0000-0000-000000000000", success, http.StatusNotFound, "00000000-0000-0000-0000-000000000000"},
				{"bogus state", actionID, map[string]any{"state": "BOGUS"}, http.StatusBadRequest, "BOGUS"},
			} {
				r := do(t, http.MethodPost, callbackBase+"/v2/action-executions/"+c.id, c.body)
				if r.Status != c.wantStatus {
					t.Errorf("%s: POST %v: status %d, want %d; body %s", c.name, c.body, r.Status, c.wantStatus, r.Raw)
					continue
				}
				if c.wantFault != "" {
					if fault, _ := r.JSON["faultstring"].(string); !strings.Contains(fault, c.wantFault) {
						t.Errorf("%s: faultstring %q, want it to contain %q", c.name, fault, c.wantFault)
					}
				}
			}
			// None of them changed what was recorded.
			ae = mustDo(t, http.StatusOK, http.MethodGet, srv.URL+"/v2/action_executions/"+actionID, nil)
			if got := decodeField(t, ae, "output"); ae["state"] != "SUCCESS" || !reflect.DeepEqual(got, wantOutput) {
				t.Errorf("after the late callbacks: state %v output %v, want SUCCESS %v", ae["state"], got, wantOutput)
			}
			if n := len(received); n != 0 {
				t.Errorf("the web service was called %d more times, want once", n)
			}
		})
	}
}

// TestSeedFlag checks that -seed registers the example workflows, among
// them the guide's my_workflow, and that -seed=false does not.
// (startServer passes -seed=false before the case's arguments.)
func TestSeedFlag(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		wantStatus int
	}{
		{"-seed", []string{"-seed"}, nil, http.StatusOK},
		{"-seed=false", nil, nil, http.StatusNotFound},
		// startServer passes -seed=false; the flag wins over the environment.
		{"-seed=false wins over SIROCCO_SEED=true", nil, map[string]string{"SIROCCO_SEED": "true"}, http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startServerEnv(t, tt.env, tt.args...)
			for _, name := range []string{"my_workflow", "approve_request", "request_vm"} {
				if r := do(t, http.MethodGet, srv.URL+"/v2/workflows/"+name, nil); r.Status != tt.wantStatus {
					t.Errorf("GET /v2/workflows/%s: status %d, want %d; body %s", name, r.Status, tt.wantStatus, r.Raw)
				}
			}
		})
	}
}
