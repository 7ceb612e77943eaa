package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/api"
	"github.com/sirocco-project/sirocco/internal/engine"
)

var (
	anyID   = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	anyTime = regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d`)
)

// shape is a JSON answer with its ids and times replaced, keys in the
// order sent: what a report's layout is compared on.
func shape(raw string) string {
	return anyTime.ReplaceAllString(anyID.ReplaceAllString(raw, "<id>"), "<t>")
}

// compact strips the layout of a JSON text written for reading.
func compact(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatalf("bad expectation: %v\n%s", err, s)
	}
	return b.String()
}

// demoReport is the workflow of Mistral 15.0.0's report transcript
// (reference/mistral-parity-transcripts.txt), without its environment.
const demoReport = `version: '2.0'
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

// The three reports of the transcript, in Mistral's shape and key order
// (last_heartbeat is null: Sirocco has no heartbeats).
const (
	failedTask = `{"action_executions": [{"accepted": true, "last_heartbeat": null, "id": "<id>", "name": "std.fail",
	  "created_at": "<t>", "updated_at": "<t>", "state": "ERROR", "state_info": null}],
	 "workflow_executions": [], "id": "<id>", "name": "bad", "created_at": "<t>", "updated_at": "<t>", "state": "ERROR",
	 "state_info": "The action raised an exception [action=Fail action, action_ex_id=<id>, msg='Fail action expected exception.']"}`
	wantFullReport = `{"statistics": {"total_tasks_count": 3, "running_tasks_count": 0, "success_tasks_count": 2,
	  "error_tasks_count": 1, "idle_tasks_count": 0, "paused_tasks_count": 0, "estimated_time": 0},
	 "root_workflow_execution": {"id": "<id>", "name": "demo_wf", "created_at": "<t>", "updated_at": "<t>",
	  "state": "SUCCESS", "state_info": null, "task_executions": [
	   {"action_executions": [{"accepted": true, "last_heartbeat": null, "id": "<id>", "name": "std.echo",
	     "created_at": "<t>", "updated_at": "<t>", "state": "SUCCESS", "state_info": null}],
	    "workflow_executions": [], "id": "<id>", "name": "greet", "created_at": "<t>", "updated_at": "<t>",
	    "state": "SUCCESS", "state_info": null},
	   ` + failedTask + `,
	   {"action_executions": [{"accepted": true, "last_heartbeat": null, "id": "<id>", "name": "std.noop",
	     "created_at": "<t>", "updated_at": "<t>", "state": "SUCCESS", "state_info": null}],
	    "workflow_executions": [], "id": "<id>", "name": "cleanup", "created_at": "<t>", "updated_at": "<t>",
	    "state": "SUCCESS", "state_info": null}]}}`
	wantErrorsReport = `{"statistics": {"total_tasks_count": 1, "running_tasks_count": 0, "success_tasks_count": 0,
	  "error_tasks_count": 1, "idle_tasks_count": 0, "paused_tasks_count": 0, "estimated_time": 0},
	 "root_workflow_execution": {"id": "<id>", "name": "demo_wf", "created_at": "<t>", "updated_at": "<t>",
	  "state": "SUCCESS", "state_info": null, "task_executions": [` + failedTask + `]}}`
	wantStatsReport = `{"statistics": {"total_tasks_count": 3, "running_tasks_count": 0, "success_tasks_count": 2,
	  "error_tasks_count": 1, "idle_tasks_count": 0, "paused_tasks_count": 0, "estimated_time": 0}}`
)

// TestExecutionReport: GET /v2/executions/<id>/report answers Mistral
// 15's three reports of its transcript, field for field.
func TestExecutionReport(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.must(http.MethodPost, "/v2/workflows", demoReport, 201)
	id := s.must(http.MethodPost, "/v2/executions", `{"workflow_name": "demo_wf", "input": {"who": "ops"}}`, 201)["id"].(string)
	s.waitState("/v2/executions/"+id, "SUCCESS")
	for _, tc := range []struct{ query, want string }{
		{"", wantFullReport},
		{"?errors_only=false&max_depth=-1", wantFullReport},
		{"?errors_only=true&max_depth=1", wantErrorsReport},
		{"?statistics_only=true", wantStatsReport},
		{"?statistics_only=True&errors_only=True", strings.Replace(strings.Replace(wantStatsReport, `"total_tasks_count": 3`, `"total_tasks_count": 1`, 1), `"success_tasks_count": 2`, `"success_tasks_count": 0`, 1)},
	} {
		status, raw := s.do(http.MethodGet, "/v2/executions/"+id+"/report"+tc.query, "", "")
		if status != 200 {
			t.Fatalf("report%s: %d %s", tc.query, status, raw)
		}
		if got, want := shape(raw), compact(t, tc.want); got != want {
			t.Errorf("report%s:\n got %s\nwant %s", tc.query, got, want)
		}
	}
	for _, tc := range []struct {
		path   string
		status int
		fault  string
	}{
		{"/v2/executions/" + id + "/report?max_depth=deep", 400, "max_depth"},
		{"/v2/executions/" + id + "/report?errors_only=perhaps", 400, "errors_only"},
		{"/v2/executions/" + id + "/report?limit=3", 400, `Unknown argument: \"limit\"`},
		{"/v2/executions/01a24fb9-63a2-7c6f-8266-40d49f825c91/report", 404, "WorkflowExecution not found"},
	} {
		status, raw := s.do(http.MethodGet, tc.path, "", "")
		if status != tc.status || !strings.Contains(raw, tc.fault) || !strings.Contains(raw, `"faultstring"`) {
			t.Errorf("GET %s: %d %s, want %d naming %q", tc.path, status, raw, tc.status, tc.fault)
		}
	}
}

// treeWorkflows reads testdata/reports/tree.yaml: a root whose tasks call
// a workflow that succeeds and one that fails (handled), each calling a
// leaf; the failing one retries its failed task once first. Its reports
// were recorded from Mistral (TestReportsMatchMistral).
func treeWorkflows(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "reports", "tree.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestExecutionTree: max_depth and errors_only on reports and on both
// sub-execution lists, as Mistral walks the tree; and its bound.
func TestExecutionTree(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.must(http.MethodPost, "/v2/workflows", treeWorkflows(t), 201)
	root := s.must(http.MethodPost, "/v2/executions", `{"workflow_name": "root_wf"}`, 201)["id"].(string)
	s.waitState("/v2/executions/"+root, "SUCCESS")

	subs := func(path string) string {
		t.Helper()
		return workflowNames(s.must(http.MethodGet, path, "", 200)["executions"].([]any))
	}
	base := "/v2/executions/" + root + "/executions"
	for _, tc := range []struct{ query, want string }{
		{"", "root_wf good_wf leaf_wf bad_wf leaf_wf"},
		{"?max_depth=-1&errors_only=", "root_wf good_wf leaf_wf bad_wf leaf_wf"}, // what the CLI sends by default
		{"?max_depth=0", "root_wf"},
		{"?max_depth=1", "root_wf good_wf bad_wf"},
		{"?errors_only=True&max_depth=-1", "root_wf bad_wf"}, // the leaf's task in bad_wf succeeded
		{"?errors_only=true&max_depth=0", "root_wf"},
	} {
		if got := subs(base + tc.query); got != tc.want {
			t.Errorf("sub-executions%s: %s, want %s", tc.query, got, tc.want)
		}
	}
	tasks := s.must(http.MethodGet, "/v2/executions/"+root+"/tasks", "", 200)["tasks"].([]any)
	taskID := map[string]string{}
	for _, raw := range tasks {
		tk := raw.(map[string]any)
		taskID[tk["name"].(string)] = tk["id"].(string)
	}
	for _, tc := range []struct{ task, query, want string }{
		{"good_call", "", "good_wf leaf_wf"},
		{"good_call", "?max_depth=0", "good_wf"},
		{"good_call", "?errors_only=true", ""},
		{"bad_call", "?errors_only=true", "bad_wf"},
		{"handled", "", ""},
	} {
		if got := subs("/v2/tasks/" + taskID[tc.task] + "/executions" + tc.query); got != tc.want {
			t.Errorf("sub-executions of task %s%s: %q, want %q", tc.task, tc.query, got, tc.want)
		}
	}
	if st, raw := s.do(http.MethodGet, base+"?state=ERROR", "", ""); st != 400 || !strings.Contains(raw, `Unknown argument: \"state\"`) {
		t.Errorf("a list filter on sub-executions: %d %s, want 400", st, raw)
	}

	// The report of the same tree: max_depth 0 shows the sub-workflows
	// without their tasks; statistics count what the report holds.
	report := func(query string) map[string]any {
		t.Helper()
		return s.must(http.MethodGet, "/v2/executions/"+root+"/report"+query, "", 200)
	}
	r := report("?max_depth=0")
	stats := r["statistics"].(map[string]any)
	if stats["total_tasks_count"] != 3.0 || stats["success_tasks_count"] != 2.0 || stats["error_tasks_count"] != 1.0 {
		t.Errorf("max_depth=0 statistics: %v", stats)
	}
	good := r["root_workflow_execution"].(map[string]any)["task_executions"].([]any)[0].(map[string]any)
	sub := good["workflow_executions"].([]any)[0].(map[string]any)
	if _, ok := sub["task_executions"]; ok || sub["name"] != "good_wf" {
		t.Errorf("max_depth=0: the sub-workflow entry %v, want good_wf without task_executions", sub)
	}
	// Everything: 3 root tasks, 1 + 2 in the sub-workflows, 1 in each leaf.
	if stats := report("")["statistics"].(map[string]any); stats["total_tasks_count"] != 8.0 || stats["error_tasks_count"] != 2.0 {
		t.Errorf("full statistics: %v", stats)
	}
	// Errors only: bad_call, then in bad_wf only boom, retried once.
	r = report("?errors_only=true")
	bad := r["root_workflow_execution"].(map[string]any)["task_executions"].([]any)
	if len(bad) != 1 || bad[0].(map[string]any)["name"] != "bad_call" {
		t.Fatalf("errors_only: %v", bad)
	}
	inner := bad[0].(map[string]any)["workflow_executions"].([]any)[0].(map[string]any)["task_executions"].([]any)
	if len(inner) != 1 {
		t.Fatalf("errors_only inside bad_wf: %v", inner)
	}
	boom := inner[0].(map[string]any)
	if boom["name"] != "boom" || boom["retry_count"] != 1.0 || len(boom["action_executions"].([]any)) != 2 {
		t.Errorf("the retried task: %v, want boom, retry_count 1, two action executions", boom)
	}
	if _, ok := bad[0].(map[string]any)["retry_count"]; ok {
		t.Errorf("retry_count on a task never retried: %v", bad[0])
	}

	// Bounded: past the limit a 400 says how to ask for less.
	api.SetMaxTreeEntries(s.api, 6)
	for _, path := range []string{"/v2/executions/" + root + "/report", base} {
		if st, raw := s.do(http.MethodGet, path, "", ""); st != 400 || !strings.Contains(raw, "more than 6 executions, tasks and action executions") {
			t.Errorf("GET %s past the bound: %d %s", path, st, raw)
		}
	}
	if got := subs(base + "?max_depth=0"); got != "root_wf" { // the root, its 3 tasks, the 2 executions they started
		t.Errorf("within the bound: %s", got)
	}
}

// TestReportsMatchMistral runs testdata/reports/tree.yaml and compares
// its reports and sub-execution lists with those Mistral 15.0.0 gave for
// the same workflow (testdata/reports/mistral.json): the same fields, in
// the same order, with the same values but ids and times — and
// last_heartbeat, which Sirocco leaves null (README, differences).
func TestReportsMatchMistral(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	tree := treeWorkflows(t)
	raw, err := os.ReadFile(filepath.Join("testdata", "reports", "mistral.json"))
	if err != nil {
		t.Fatal(err)
	}
	var recorded struct {
		Reports       map[string]json.RawMessage `json:"reports"`
		SubExecutions map[string][]string        `json:"sub_executions"`
	}
	if err := json.Unmarshal(raw, &recorded); err != nil {
		t.Fatal(err)
	}
	s.must(http.MethodPost, "/v2/workflows", tree, 201)
	root := s.must(http.MethodPost, "/v2/executions", `{"workflow_name": "root_wf"}`, 201)["id"].(string)
	s.waitState("/v2/executions/"+root, "SUCCESS")
	heartbeat := regexp.MustCompile(`"last_heartbeat":"<t>"`)
	for query, want := range recorded.Reports {
		var b bytes.Buffer
		if err := json.Compact(&b, want); err != nil {
			t.Fatal(err)
		}
		_, got := s.do(http.MethodGet, "/v2/executions/"+root+"/report"+query, "", "")
		if w := heartbeat.ReplaceAllString(shape(b.String()), `"last_heartbeat":null`); shape(got) != w {
			t.Errorf("report%s:\n got %s\nwant %s", query, shape(got), w)
		}
	}
	taskID := map[string]string{"root": root}
	for _, raw := range s.must(http.MethodGet, "/v2/executions/"+root+"/tasks", "", 200)["tasks"].([]any) {
		tk := raw.(map[string]any)
		taskID[tk["name"].(string)] = tk["id"].(string)
	}
	for path, want := range recorded.SubExecutions {
		// "/executions/root?…" or "/tasks/<task name>?…"
		kind, rest, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
		name, query, _ := strings.Cut(rest, "?")
		got := workflowNames(s.must(http.MethodGet, "/v2/"+kind+"/"+taskID[name]+"/executions?"+query, "", 200)["executions"].([]any))
		if got != strings.Join(want, " ") {
			t.Errorf("%s: %q, want %q", path, got, strings.Join(want, " "))
		}
	}
}

// TestReportEstimatedTime: a running execution's report estimates what it
// has left from its workflow's earlier successful runs, on the engine's
// clock: -1 with none to go by, the mean run time less its own so far, 1
// once past it; 0 for an execution that is not running.
func TestReportEstimatedTime(t *testing.T) {
	t.Parallel()
	clock := &stepClock{now: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
	s := newServer(t, func(c *engine.Config) { c.Clock = clock })
	estimate := func(id string) any {
		t.Helper()
		return s.must(http.MethodGet, "/v2/executions/"+id+"/report?statistics_only=true", "", 200)["statistics"].(map[string]any)["estimated_time"]
	}
	first, action := s.startAsync()
	if got := estimate(first); got != -1.0 {
		t.Errorf("with no earlier run: estimated_time %v, want -1", got)
	}
	clock.advance(100 * time.Second)
	s.must(http.MethodPut, "/v2/action_executions/"+action, `{"state": "SUCCESS", "output": "done"}`, 200)
	s.waitState("/v2/executions/"+first, "SUCCESS")
	if got := estimate(first); got != 0.0 {
		t.Errorf("a finished execution: estimated_time %v, want 0", got)
	}
	clock.advance(100 * time.Second)
	second := s.must(http.MethodPost, "/v2/executions", `{"workflow_name": "async_wf", "input": {"name": "Al"}}`, 201)["id"].(string)
	clock.advance(30 * time.Second)
	if got := estimate(second); got != 70.0 {
		t.Errorf("30 s into a run that took 100 s before: estimated_time %v, want 70", got)
	}
	clock.advance(100 * time.Second)
	if got := estimate(second); got != 1.0 {
		t.Errorf("past the mean: estimated_time %v, want 1", got)
	}
}
