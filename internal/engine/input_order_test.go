package engine_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// TestActionInputInWrittenOrder: an action execution's input keeps the
// order its task wrote it in (the input block, then inline parameters),
// as Mistral shows it; it was sorted.
func TestActionInputInWrittenOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEngine(t, engine.Config{})
	if _, err := e.CreateWorkflows(ctx, nil, `version: '2.0'
ordered_input:
  tasks:
    block:
      action: std.http
      input:
        url: http://127.0.0.1:1/
        method: <% "GE" + "T" %>
        headers: {Z-Last: "1", A-First: "2"}
    inline:
      action: std.http url="http://127.0.0.1:1/" method="GET" timeout=1
`, "", ""); err != nil {
		t.Fatal(err)
	}
	ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "ordered_input"})
	if err != nil {
		t.Fatal(err)
	}
	settle(t, e, ex.ID, "") // the request fails: only the input matters here
	for task, want := range map[string]string{
		"block":  `{"url": "http://127.0.0.1:1/", "method": "GET", "headers": {"Z-Last": "1", "A-First": "2"}}`,
		"inline": `{"url": "http://127.0.0.1:1/", "method": "GET", "timeout": 1}`,
	} {
		list, err := e.ListActionExecutions(ctx, engine.ListQuery{Filters: []engine.Filter{
			{Field: "workflow_execution_id", Op: engine.OpEq, Values: []string{ex.ID}},
			{Field: "task_name", Op: engine.OpEq, Values: []string{task}}}})
		if err != nil || len(list) != 1 {
			t.Fatalf("%s task's action: %v %v", task, list, err)
		}
		if list[0].InputJSON != want {
			t.Errorf("input of the %s task's action: %s, want %s", task, list[0].InputJSON, want)
		}
	}
}

// TestHTTPResultInMistralsOrder: std.http's result lists content, status,
// headers, url, history, encoding, reason, cookies and elapsed in that
// order, as Mistral builds it; it was sorted.
func TestHTTPResultInMistralsOrder(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"z": 1, "a": 2}`)
	}))
	defer srv.Close()
	ctx := context.Background()
	e := newEngine(t, engine.Config{})
	a, err := e.RunAction(ctx, engine.RunRequest{Name: "std.http", Input: map[string]any{"url": srv.URL}, RunSync: true})
	if err != nil {
		t.Fatal(err)
	}
	out := deref(a.OutputJSON)
	at := -1
	for _, k := range []string{`{"result": {"content": {"z": 1, "a": 2}, "status": 200, "headers"`, `"url"`, `"history"`, `"encoding"`, `"reason"`, `"cookies"`, `"elapsed"`} {
		i := strings.Index(out, k)
		if i <= at {
			t.Fatalf("std.http result: %s missing or out of Mistral's order in %s", k, out)
		}
		at = i
	}
}
