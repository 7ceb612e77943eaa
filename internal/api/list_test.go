package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestListPaging(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.must(http.MethodPost, "/v2/workflows", "version: '2.0'\nwait_wf:\n  tasks:\n    w:\n      action: std.async_noop\n", 201)
	var ids []string
	for i := 0; i < 5; i++ {
		ex := s.must(http.MethodPost, "/v2/executions", fmt.Sprintf(`{"workflow_name": "wait_wf", "description": "run %d"}`, i), 201)
		ids = append(ids, ex["id"].(string))
	}
	// The CLI's request: newest first, a limit, selected fields.
	fields := "id,workflow_name,state,created_at"
	page1 := s.must(http.MethodGet, "/v2/executions?limit=2&sort_keys=created_at&sort_dirs=desc&fields="+fields, "", 200)
	items := page1["executions"].([]any)
	if len(items) != 2 || items[0].(map[string]any)["id"] != ids[4] || items[1].(map[string]any)["id"] != ids[3] {
		t.Fatalf("page 1 = %v", items)
	}
	first := items[0].(map[string]any)
	if len(first) != 4 || first["workflow_name"] != "wait_wf" {
		t.Errorf("fields not applied: %v", first)
	}
	next, ok := page1["next"].(string)
	if !ok || !strings.Contains(next, "marker="+ids[3]) || !strings.Contains(next, "sort_keys=created_at,id") || !strings.Contains(next, "fields="+fields) {
		t.Fatalf("next = %v", page1["next"])
	}
	u, _ := url.Parse(next)
	page2 := s.must(http.MethodGet, u.RequestURI(), "", 200)
	items = page2["executions"].([]any)
	if len(items) != 2 || items[0].(map[string]any)["id"] != ids[2] || items[1].(map[string]any)["id"] != ids[1] {
		t.Fatalf("page 2 = %v", items)
	}
	page3 := s.must(http.MethodGet, "/v2/executions?limit=2&sort_keys=created_at&sort_dirs=desc&marker="+ids[1], "", 200)
	if items := page3["executions"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != ids[0] {
		t.Fatalf("page 3 = %v", items)
	}
	if _, ok := page3["next"]; ok {
		t.Errorf("a short page has next: %v", page3["next"])
	}
	// output is deferred in lists unless asked for.
	if _, ok := items[0].(map[string]any)["output"]; ok {
		t.Error("list carries output without include_output")
	}
	withOut := s.must(http.MethodGet, "/v2/executions?limit=1&include_output=true", "", 200)["executions"].([]any)
	if withOut[0].(map[string]any)["output"] != "{}" {
		t.Errorf("include_output: %v", withOut[0])
	}
	// state=in: and description filters.
	s.must(http.MethodPut, "/v2/executions/"+ids[0], `{"state": "CANCELLED"}`, 200)
	running := s.must(http.MethodGet, "/v2/executions?state=in:RUNNING,PAUSED", "", 200)["executions"].([]any)
	if len(running) != 4 {
		t.Errorf("state=in:RUNNING,PAUSED gave %d executions, want 4", len(running))
	}
	byDesc := s.must(http.MethodGet, "/v2/executions?description=run%202", "", 200)["executions"].([]any)
	if len(byDesc) != 1 || byDesc[0].(map[string]any)["id"] != ids[2] {
		t.Errorf("description filter: %v", byDesc)
	}
	// Cancelling released its pending action.
	pending := s.must(http.MethodGet, "/v2/action_executions?state=RUNNING", "", 200)["action_executions"].([]any)
	if len(pending) != 4 {
		t.Errorf("%d pending actions after one cancel, want 4", len(pending))
	}
}

func TestExecutionControl(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	exID, aID := s.startAsync()
	path := "/v2/executions/" + exID

	if m := s.must(http.MethodPut, path, `{"state": "PAUSED"}`, 200); m["state"] != "PAUSED" {
		t.Fatalf("pause: %v", m)
	}
	// The action completes while paused: the workflow stays paused.
	s.must(http.MethodPut, "/v2/action_executions/"+aID, `{"state": "SUCCESS", "output": "x"}`, 200)
	if m := s.must(http.MethodGet, path, "", 200); m["state"] != "PAUSED" {
		t.Fatalf("after callback while paused: %v", m["state"])
	}
	if m := s.must(http.MethodPut, path, `{"description": "renamed"}`, 200); m["description"] != "renamed" {
		t.Errorf("description: %v", m)
	} else if _, ok := m["params"]; ok {
		t.Errorf("description-only update carries params: %v", m)
	}
	status, body := s.do(http.MethodDelete, path, "", "")
	if status != 403 || !strings.Contains(body, "use force") {
		t.Errorf("delete paused execution: %d %s", status, body)
	}
	s.must(http.MethodPut, path, `{"state": "RUNNING"}`, 200)
	s.waitState(path, "SUCCESS")
	// RUNNING on a finished execution is a no-op, as in Mistral.
	if m := s.must(http.MethodPut, path, `{"state": "RUNNING"}`, 200); m["state"] != "SUCCESS" {
		t.Errorf("resume of a finished execution changed it: %v", m["state"])
	}
	status, body = s.do(http.MethodPut, path, "application/json", `{"state": "ERROR"}`)
	if status != 409 || !strings.Contains(body, "already completed") {
		t.Errorf("stopping a finished execution: %d %s", status, body)
	}
	s.must(http.MethodDelete, path, "", 204)
	s.must(http.MethodGet, path, "", 404)
	s.must(http.MethodGet, "/v2/action_executions/"+aID, "", 404)

	// Stop with ERROR and a message.
	ex := s.must(http.MethodPost, "/v2/executions", `{"workflow_name": "async_wf"}`, 201)
	path = "/v2/executions/" + ex["id"].(string)
	m := s.must(http.MethodPut, path, `{"state": "ERROR", "state_info": "stopped by hand"}`, 200)
	if m["state"] != "ERROR" || m["state_info"] != "stopped by hand" || m["output"] != `{"result": "stopped by hand"}` {
		t.Errorf("stop with ERROR: %v", m)
	}
	s.must(http.MethodDelete, path, "", 204)
}

func TestSubExecutionLists(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.must(http.MethodPost, "/v2/workflows", `version: '2.0'
parent:
  tasks:
    call:
      workflow: child
child:
  tasks:
    call:
      workflow: grandchild
grandchild:
  tasks:
    wait:
      action: std.async_noop
`, 201)
	root := s.must(http.MethodPost, "/v2/executions", `{"workflow_name": "parent"}`, 201)["id"].(string)
	var all []any
	deadline := time.Now().Add(10 * time.Second)
	for len(all) < 3 {
		all = s.must(http.MethodGet, "/v2/executions/"+root+"/executions", "", 200)["executions"].([]any)
		if time.Now().After(deadline) {
			t.Fatalf("sub-executions of the root: %v", all)
		}
		time.Sleep(5 * time.Millisecond)
	}
	// As Mistral: the execution itself, then depth first what is below it.
	if got := workflowNames(all); got != "parent child grandchild" {
		t.Fatalf("sub-executions of the root: %s", got)
	}
	child, grand := all[1].(map[string]any), all[2].(map[string]any)
	for _, ex := range []map[string]any{child, grand} {
		if ex["root_execution_id"] != root {
			t.Errorf("%v: root_execution_id %v, want %s", ex["workflow_name"], ex["root_execution_id"], root)
		}
		if _, ok := ex["output"]; ok {
			t.Errorf("%v: output without include_output", ex["workflow_name"])
		}
	}
	under := s.must(http.MethodGet, "/v2/executions/"+child["id"].(string)+"/executions", "", 200)["executions"].([]any)
	if got := workflowNames(under); got != "child grandchild" || under[1].(map[string]any)["id"] != grand["id"] {
		t.Errorf("under the child: %v, want the child and the grandchild", under)
	}
	byTask := s.must(http.MethodGet, "/v2/tasks/"+child["task_execution_id"].(string)+"/executions", "", 200)["executions"].([]any)
	if got := workflowNames(byTask); got != "child grandchild" || byTask[0].(map[string]any)["id"] != child["id"] {
		t.Errorf("the call task's executions: %v, want the child, then the grandchild", byTask)
	}
}

// workflowNames lists the workflow names of executions, space-separated.
func workflowNames(list []any) string {
	names := make([]string, len(list))
	for i, ex := range list {
		names[i], _ = ex.(map[string]any)["workflow_name"].(string)
	}
	return strings.Join(names, " ")
}

func TestRerunTask(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	exID, aID := s.startAsync()
	s.must(http.MethodPut, "/v2/action_executions/"+aID, `{"state": "ERROR", "output": "boom"}`, 200)
	s.waitState("/v2/executions/"+exID, "ERROR")
	a := s.must(http.MethodGet, "/v2/action_executions/"+aID, "", 200)
	taskID := a["task_execution_id"].(string)

	status, body := s.do(http.MethodPut, "/v2/tasks/"+taskID, "application/json", `{"state": "SUCCESS"}`)
	if status != 400 {
		t.Errorf("rerun with state SUCCESS: %d %s", status, body)
	}
	status, body = s.do(http.MethodPut, "/v2/tasks/"+taskID, "application/json", `{"state": "RUNNING", "reset": "no"}`)
	if status != 400 || !strings.Contains(body, "reset") {
		t.Errorf("rerun with a reset that is not a bool: %d %s", status, body)
	}
	task := s.must(http.MethodPut, "/v2/tasks/"+taskID, `{"id": "`+taskID+`", "state": "RUNNING", "reset": true, "env": "{\"region\": \"r2\"}"}`, 200)
	if task["state"] != "RUNNING" || task["result"] != "[]" {
		t.Errorf("rerun answer: %v", task)
	}
	if ex := s.must(http.MethodGet, "/v2/executions/"+exID, "", 200); ex["state"] != "RUNNING" || !strings.Contains(ex["params"].(string), `"region": "r2"`) {
		t.Errorf("execution after rerun: %v", ex)
	}
	// A new attempt waits; the failed one no longer counts.
	var next string
	deadline := time.Now().Add(10 * time.Second)
	for next == "" {
		for _, raw := range s.must(http.MethodGet, "/v2/tasks/"+taskID+"/action_executions", "", 200)["action_executions"].([]any) {
			if ae := raw.(map[string]any); ae["state"] == "RUNNING" {
				next = ae["id"].(string)
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no new attempt after rerun")
		}
		time.Sleep(5 * time.Millisecond) // poll interval
	}
	if old := s.must(http.MethodGet, "/v2/action_executions/"+aID, "", 200); old["accepted"] != false {
		t.Errorf("the failed attempt is still accepted: %v", old)
	}
	s.must(http.MethodPut, "/v2/action_executions/"+next, `{"state": "SUCCESS", "output": 7}`, 200)
	ex := s.waitState("/v2/executions/"+exID, "SUCCESS")
	if !strings.Contains(ex["output"].(string), `"cb": 7`) {
		t.Errorf("output after rerun: %v", ex["output"])
	}
	// Only failed tasks of failed workflows rerun.
	status, body = s.do(http.MethodPut, "/v2/tasks/"+taskID, "application/json", `{"state": "RUNNING"}`)
	if status != 400 || !strings.Contains(body, "only a task in ERROR can be rerun") {
		t.Errorf("rerun of a successful task: %d %s", status, body)
	}
}

// TestListCaps: a list query past its documented caps (filters, filter
// values, sort keys) is a 400 naming the cap, where SQLite would have
// failed with a 500; a query string net/url cannot read entirely (past its
// 10,000 parameters) is a 400, where every filter was dropped and rows the
// filters exclude were returned.
func TestListCaps(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.must(http.MethodPost, "/v2/workflows", "version: '2.0'\nwait_wf:\n  tasks:\n    w:\n      action: std.async_noop\n", 201)
	s.must(http.MethodPost, "/v2/executions", `{"workflow_name": "wait_wf"}`, 201)

	values := func(n int) string {
		v := make([]string, n)
		for i := range v {
			v[i] = fmt.Sprint(i)
		}
		return strings.Join(v, ",")
	}
	for _, tt := range []struct {
		name, query, cap string
	}{
		{"40,000 in: values", "state=in:" + values(40_000), "1000"},
		{"1,001 values in all", "id=in:" + values(600) + "&state=nin:" + values(401), "1000"},
		{"1,001 filters", strings.Repeat("&description=x", 1001), "50"},
		{"51 filters with nulls", strings.Repeat("&description=x", 40) + "&nulls=" + strings.Repeat("state_info,", 11), "50"},
		{"11 sort keys", "sort_keys=" + strings.TrimSuffix(strings.Repeat("created_at,", 11), ","), "10"},
		{"10,001 parameters", "workflow_name=other" + strings.Repeat("&", 10_000), "10000"},
		{"a semicolon", "workflow_name=other;x=1", "query string"},
	} {
		for _, path := range []string{"/v2/executions", "/v2/action_executions", "/v2/tasks", "/v2/workflows"} {
			status, body := s.do(http.MethodGet, path+"?"+tt.query, "", "")
			if status != http.StatusBadRequest || !strings.Contains(body, tt.cap) {
				t.Errorf("%s on %s: %d %.200s; want 400 naming %s", tt.name, path, status, body, tt.cap)
			}
		}
	}
	// At the caps, lists answer.
	for _, q := range []string{
		"state=in:" + values(1000),
		strings.TrimPrefix(strings.Repeat("&description=x", 50), "&"),
		"sort_keys=" + strings.TrimSuffix(strings.Repeat("created_at,", 10), ","),
		"workflow_name=wait_wf" + strings.Repeat("&", 9_999),
	} {
		if status, body := s.do(http.MethodGet, "/v2/executions?"+q, "", ""); status != http.StatusOK {
			t.Errorf("at the cap (%.60s…): %d %.200s", q, status, body)
		}
	}
}

// TestActionListFields: the store may leave out what fields= does not name,
// but what it names is whole: input when asked, never a placeholder.
func TestActionListFields(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.must(http.MethodPost, "/v2/workflows", "version: '2.0'\necho_wf:\n  tasks:\n    w:\n      action: std.echo\n      input: {output: 7}\n", 201)
	s.must(http.MethodPost, "/v2/executions", `{"workflow_name": "echo_wf"}`, 201)
	for _, tc := range []struct {
		fields string
		want   map[string]any
	}{
		{"id,state,name", map[string]any{"state": "SUCCESS", "name": "std.echo"}},
		{"name,input", map[string]any{"name": "std.echo", "input": `{"output": 7}`}},
	} {
		items := s.must(http.MethodGet, "/v2/action_executions?workflow_name=echo_wf&fields="+tc.fields, "", 200)["action_executions"].([]any)
		if len(items) != 1 {
			t.Fatalf("fields=%s: %v", tc.fields, items)
		}
		got := items[0].(map[string]any)
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("fields=%s: %s = %v, want %v", tc.fields, k, got[k], v)
			}
		}
		if len(got) != len(tc.want)+1 {
			t.Errorf("fields=%s: %v has other fields", tc.fields, got)
		}
	}
}
