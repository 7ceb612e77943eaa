package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/api"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/sqlite"
)

// server is the real router over a real engine and SQLite file.
type server struct {
	t   *testing.T
	url string
	eng *engine.Engine
	api *api.API
}

func newServer(t *testing.T, opts ...func(*engine.Config)) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "test.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	ts := httptest.NewServer(e)
	cfg := engine.Config{Store: st, BaseURL: ts.URL}
	for _, o := range opts {
		o(&cfg)
	}
	eng := engine.New(cfg)
	a := api.New(eng, nil)
	a.SetBaseURL(ts.URL)
	a.Register(e)
	done := make(chan struct{})
	go func() { eng.Run(ctx); close(done) }()
	t.Cleanup(func() {
		ts.Close()
		cancel()
		<-done
		st.Close()
	})
	return &server{t: t, url: ts.URL, eng: eng, api: a}
}

// do sends a request and returns the status and the raw body.
func (s *server) do(method, path, contentType, body string) (int, string) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// must sends a request that must answer want, and decodes its JSON body.
func (s *server) must(method, path, body string, want int) map[string]any {
	s.t.Helper()
	ct := "application/json"
	if (strings.HasPrefix(path, "/v2/workflows") || strings.HasPrefix(path, "/v2/workbooks") || path == "/v2/actions") && method != http.MethodGet {
		ct = "text/plain"
	}
	status, raw := s.do(method, path, ct, body)
	if status != want {
		s.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, status, want, raw)
	}
	var m map[string]any
	if raw != "" {
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			s.t.Fatalf("%s %s: body is not a JSON object: %v: %s", method, path, err, raw)
		}
	}
	return m
}

// waitState polls GET path until its "state" is want.
func (s *server) waitState(path, want string) map[string]any {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		m := s.must(http.MethodGet, path, "", 200)
		if m["state"] == want {
			return m
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("GET %s: state %v, want %s (last: %v)", path, m["state"], want, m)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

const asyncWF = `---
version: '2.0'
async_wf:
  input:
    - name: World
    - count: 3
  output:
    greeting: <% $.greeting %>
    cb: <% $.cb %>
  tasks:
    hello:
      action: std.echo output="Hello, <% $.name %>"
      publish:
        greeting: <% task().result %>
      on-success:
        - wait
    wait:
      action: std.async_noop
      publish:
        cb: <% task().result %>
`

// startAsync registers async_wf, starts it and returns the execution id
// and the id of the action execution it waits on.
func (s *server) startAsync() (exID, actionID string) {
	s.t.Helper()
	s.must(http.MethodPost, "/v2/workflows", asyncWF, 201)
	ex := s.must(http.MethodPost, "/v2/executions", `{"workflow_name": "async_wf", "input": "{\"name\": \"Bob\"}"}`, 201)
	exID = ex["id"].(string)
	deadline := time.Now().Add(10 * time.Second)
	for {
		list := s.must(http.MethodGet, "/v2/action_executions?state=RUNNING&name=std.async_noop", "", 200)
		if items := list["action_executions"].([]any); len(items) == 1 {
			return exID, items[0].(map[string]any)["id"].(string)
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("no pending action for execution %s", exID)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestAsyncWorkflowThroughCallback(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	exID, aID := s.startAsync()

	ex := s.must(http.MethodGet, "/v2/executions/"+exID, "", 200)
	if ex["state"] != "RUNNING" || ex["input"] != `{"name": "Bob", "count": 3}` || ex["published_global"] != "{}" {
		t.Fatalf("execution while waiting: %v", ex)
	}
	a := s.must(http.MethodGet, "/v2/action_executions/"+aID, "", 200)
	if a["accepted"] != false || a["output"] != nil || a["task_name"] != "wait" || a["tags"] != nil {
		t.Fatalf("pending action: %v", a)
	}

	done := s.must(http.MethodPut, "/v2/action_executions/"+aID, `{"state": "SUCCESS", "output": {"answer": 42}}`, 200)
	if done["state"] != "SUCCESS" || done["accepted"] != true || done["output"] != `{"result": {"answer": 42}}` {
		t.Fatalf("PUT answer: %v", done)
	}
	if _, ok := done["task_name"]; ok {
		t.Errorf("PUT answer has task_name; Mistral's does not: %v", done)
	}
	ex = s.waitState("/v2/executions/"+exID, "SUCCESS")
	if got, want := ex["output"], `{"greeting": "Hello, Bob", "cb": {"answer": 42}}`; got != want {
		t.Errorf("output = %v, want %v", got, want)
	}
	tasks := s.must(http.MethodGet, "/v2/executions/"+exID+"/tasks", "", 200)["tasks"].([]any)
	if len(tasks) != 2 {
		t.Fatalf("tasks = %v", tasks)
	}
	var waitID string
	for _, raw := range tasks {
		tk := raw.(map[string]any)
		if tk["state"] != "SUCCESS" {
			t.Errorf("task %v: state %v", tk["name"], tk["state"])
		}
		if tk["name"] == "wait" {
			waitID = tk["id"].(string)
		}
	}
	task := s.must(http.MethodGet, "/v2/tasks/"+waitID, "", 200)
	if task["result"] != `{"answer": 42}` || task["published"] != `{"cb": {"answer": 42}}` || task["processed"] != true {
		t.Errorf("task: %v", task)
	}
	if !strings.Contains(task["runtime_context"].(string), `"event": "on-success"`) {
		t.Errorf("runtime_context = %v", task["runtime_context"])
	}
}

func TestCallbackSemantics(t *testing.T) {
	t.Parallel()
	s := newServer(t, func(c *engine.Config) { c.MaxOutputBytes = 1000 })
	_, aID := s.startAsync()
	put := "/v2/action_executions/" + aID
	dash := "/v2/action-executions/" + aID

	tests := []struct {
		name, method, path, body string
		status                   int
		fragments                []string
	}{
		{"bad state", "PUT", put, `{"state": "DELAYED"}`, 400, []string{`Error. Expected one of ['SUCCESS', 'ERROR', 'CANCELLED', 'PAUSED', 'RUNNING'], actual: DELAYED`, `"faultcode":"Client"`}},
		{"missing state", "PUT", put, `{"output": 1}`, 400, []string{`actual: Unset`}},
		{"unknown attribute", "PUT", put, `{"state": "SUCCESS", "foo": 1}`, 400, []string{`Unknown attribute for argument action_ex: foo`}},
		{"not JSON", "PUT", put, `{"state": `, 400, []string{`Request is not in valid JSON format`}},
		{"too large", "PUT", put, `{"state": "SUCCESS", "output": "` + strings.Repeat("x", 2000) + `"}`, 413, []string{`the limit is 1000 bytes`}},
		{"unknown id", "PUT", "/v2/action_executions/00000000-0000-0000-0000-000000000000", `{"state": "SUCCESS"}`, 404, []string{`ActionExecution not found [id=00000000-0000-0000-0000-000000000000]`}},
		{"unknown id, guide's route", "POST", "/v2/action-executions/nope", `{"state": "SUCCESS"}`, 404, []string{`ActionExecution not found [id=nope]`}},
		{"pause", "PUT", put, `{"state": "PAUSED"}`, 200, []string{`"state":"PAUSED"`}},
		{"pause again is a no-op", "PUT", put, `{"state": "PAUSED"}`, 200, []string{`"state":"PAUSED"`}},
		{"resume", "PUT", put, `{"state": "RUNNING"}`, 200, []string{`"state":"RUNNING"`}},
		{"complete through the guide's route with a number", "POST", dash, `{"state": "SUCCESS", "output": 3}`, 200, []string{`"output":"{\"result\": 3}"`, `"accepted":true`}},
		{"the same again", "PUT", put, `{"state": "SUCCESS", "output": 3}`, 200, []string{`"state":"SUCCESS"`}},
		{"the same with PUT on the guide's route", "PUT", dash, `{"state": "SUCCESS", "output": 3}`, 200, []string{`"state":"SUCCESS"`}},
		{"a different output", "PUT", put, `{"state": "SUCCESS", "output": 4}`, 409, []string{`already completed: state SUCCESS was recorded at 20`, `via api`}},
		{"a different state", "PUT", put, `{"state": "ERROR"}`, 409, []string{`state SUCCESS was recorded`}},
		{"reviving it", "PUT", put, `{"state": "RUNNING"}`, 409, []string{`already completed`}},
	}
	for _, tt := range tests { // in order: each step builds on the last
		status, body := s.do(tt.method, tt.path, "application/json", tt.body)
		if status != tt.status {
			t.Errorf("%s: status %d, want %d (body %s)", tt.name, status, tt.status, body)
		}
		for _, f := range tt.fragments {
			if !strings.Contains(body, f) {
				t.Errorf("%s: body %s lacks %q", tt.name, body, f)
			}
		}
	}
}

func TestCallbackOutputs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body, stored string
	}{
		{`{"state": "SUCCESS", "output": {"a": 1}}`, `{"result": {"a": 1}}`},
		{`{"state": "SUCCESS", "output": [1, 2]}`, `{"result": [1, 2]}`},
		{`{"state": "SUCCESS", "output": "hello"}`, `{"result": "hello"}`},
		{`{"state": "SUCCESS", "output": "{\"x\": 1}"}`, `{"result": {"x": 1}}`},
		{`{"state": "SUCCESS", "output": 2.5}`, `{"result": 2.5}`},
		{`{"state": "SUCCESS", "output": 5.0}`, `{"result": 5.0}`},
		{`{"state": "SUCCESS", "output": null}`, `{"result": null}`},
		{`{"state": "SUCCESS"}`, `{"result": {}}`},
		{`{"state": "ERROR"}`, `{"result": "Unknown error"}`},
		{`{"state": "ERROR", "output": {"reason": "boom"}}`, `{"result": {"reason": "boom"}}`},
		{`{"state": "CANCELLED", "output": 1}`, `{"result": null}`},
	}
	s := newServer(t)
	s.must(http.MethodPost, "/v2/workflows", "version: '2.0'\nwait_wf:\n  tasks:\n    w:\n      action: std.async_noop\n", 201)
	for _, tt := range tests {
		ex := s.must(http.MethodPost, "/v2/executions", `{"workflow_name": "wait_wf"}`, 201)
		tasks := s.must(http.MethodGet, "/v2/executions/"+ex["id"].(string)+"/tasks", "", 200)["tasks"].([]any)
		taskID := tasks[0].(map[string]any)["id"].(string)
		actions := s.must(http.MethodGet, "/v2/tasks/"+taskID+"/action_executions", "", 200)["action_executions"].([]any)
		aID := actions[0].(map[string]any)["id"].(string)
		got := s.must(http.MethodPut, "/v2/action_executions/"+aID, tt.body, 200)
		if got["output"] != tt.stored {
			t.Errorf("%s: stored output %v, want %s", tt.body, got["output"], tt.stored)
		}
	}
}

func TestErrorsAndShapes(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.must(http.MethodPost, "/v2/workflows", asyncWF, 201)
	tests := []struct {
		name, method, path, ct, body string
		status                       int
		fragments                    []string
	}{
		{"root", "GET", "/", "", "", 200, []string{`{"versions":[{"id":"v2.0","status":"CURRENT","links":[{"href":"http://127.0.0.1:`, `/v2","target":"v2","rel":"self"}]}]}`}},
		{"v2 redirect", "GET", "/v2", "", "", 302, nil},
		{"v2 root", "GET", "/v2/", "", "", 200, []string{`{"uri":"http://127.0.0.1:`}},
		{"duplicate workflow", "POST", "/v2/workflows", "text/plain", asyncWF, 409, []string{`{"faultstring":"Duplicate entry for WorkflowDefinition ['name', 'namespace', 'project_id']: async_wf, , None"}`}},
		{"bad YAML", "POST", "/v2/workflows", "text/plain", "version: '2.0'\nwf:\n  tasks:\n    a: [\n", 400, []string{`Definition could not be parsed: line `, `column `}},
		{"unknown property", "POST", "/v2/workflows", "text/plain", "version: '2.0'\nwf:\n  tasks:\n    a:\n      actionx: std.noop\n", 400, []string{`Invalid DSL: line 5, column 7`, `actionx`}},
		{"unknown target", "POST", "/v2/workflows", "text/plain", "version: '2.0'\nwf:\n  tasks:\n    a:\n      on-success: nonexistent\n", 400, []string{`Task 'nonexistent' not found.`, `line 5`}},
		{"get workflow by name", "GET", "/v2/workflows/async_wf", "", "", 200, []string{`"name":"async_wf"`, `"input":"name=\"World\", count=\"3\""`, `"interface":"{\"input\": [{\"name\": \"World\"}, {\"count\": 3}], \"output\": [\"greeting\", \"cb\"]}"`, `"updated_at":null`}},
		{"unknown workflow", "GET", "/v2/workflows/nope", "", "", 404, []string{`Workflow not found [workflow_identifier=nope, namespace=]`}},
		{"unknown execution", "GET", "/v2/executions/nope", "", "", 404, []string{`{"faultcode":"Client","faultstring":"WorkflowExecution not found [id=nope]","debuginfo":null}`}},
		{"start unknown workflow", "POST", "/v2/executions", "application/json", `{"workflow_name": "nope"}`, 404, []string{`Workflow not found`}},
		{"start without workflow", "POST", "/v2/executions", "application/json", `{"description": "x"}`, 400, []string{`Workflow ID or workflow name must be provided`}},
		{"unexpected input", "POST", "/v2/executions", "application/json", `{"workflow_name": "async_wf", "input": {"nope": 1}}`, 400, []string{`Invalid input [name=async_wf, class=DirectWorkflowSpec, unexpected=['nope']]`}},
		{"input not an object", "POST", "/v2/executions", "application/json", `{"workflow_name": "async_wf", "input": "[1]"}`, 400, []string{`JsonType field value must be a dictionary`}},
		{"tasks of a non-uuid", "GET", "/v2/executions/nope/tasks", "", "", 400, []string{`unable to convert to uuid`}},
		{"unknown task", "GET", "/v2/tasks/nope", "", "", 404, []string{`not found`}},
		{"bad limit", "GET", "/v2/executions?limit=0", "", "", 400, []string{`Limit must be positive.`}},
		{"bad sort dir", "GET", "/v2/executions?sort_keys=created_at&sort_dirs=up", "", "", 400, []string{`Unknown sort direction, must be 'desc' or 'asc'.`}},
		{"bad field", "GET", "/v2/executions?fields=id,foo", "", "", 400, []string{`Some fields do not exist  [foo]`}},
		{"sort key injection", "GET", "/v2/executions?sort_keys=created_at%3BDROP%20TABLE%20jobs", "", "", 400, []string{`Unknown sort key`}},
		{"filter injection", "GET", "/v2/executions?state%3D1%20OR%201=1", "", "", 400, []string{`Unknown filter field`}},
		{"filter value is a parameter", "GET", "/v2/executions?state=RUNNING'%20OR%20'1'='1", "", "", 200, []string{`{"executions":[]}`}},
		{"update nothing", "PUT", "/v2/executions/nope", "application/json", `{}`, 400, []string{`The property state, description, or env is not provided for update.`}},
		{"description with state", "PUT", "/v2/executions/nope", "application/json", `{"state": "PAUSED", "description": "x"}`, 400, []string{`must be updated separately from state`}},
		{"ad-hoc echo", "POST", "/v2/action_executions", "application/json", `{"name": "std.echo", "input": "{\"output\": \"hi\"}"}`, 201, []string{`"id":null`, `"state":"SUCCESS"`, `"output":"{\"result\": \"hi\"}"`}},
		{"ad-hoc unknown", "POST", "/v2/action_executions", "application/json", `{"name": "std.nope"}`, 400, []string{`Failed to find action [action_name=std.nope]`}},
		{"ad-hoc without name", "POST", "/v2/action_executions", "application/json", `{}`, 400, []string{`Please provide at least action name to run action.`}},
		{"ad-hoc async sync", "POST", "/v2/action_executions", "application/json", `{"name": "std.async_noop", "params": {"run_sync": true}}`, 400, []string{`Action does not support synchronous execution.`}},
		{"ad-hoc fail", "POST", "/v2/action_executions", "application/json", `{"name": "std.fail"}`, 201, []string{`"state":"ERROR"`, `Fail action expected exception.`}},
		{"ad-hoc async", "POST", "/v2/action_executions", "application/json", `{"name": "std.async_noop"}`, 201, []string{`"state":"RUNNING"`, `"accepted":false`, `"output":null`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := s.do(tt.method, tt.path, tt.ct, tt.body)
			if status != tt.status {
				t.Errorf("status %d, want %d (body %s)", status, tt.status, body)
			}
			for _, f := range tt.fragments {
				if !strings.Contains(body, f) {
					t.Errorf("body %s lacks %q", body, f)
				}
			}
		})
	}
}

// TestPublishedGlobal: GET of an execution shows, as a JSON string, what
// its tasks published with an on-* clause's publish: global.
func TestPublishedGlobal(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.must(http.MethodPost, "/v2/workflows", `---
version: '2.0'
global_wf:
  tasks:
    one:
      action: std.echo output=7
      on-success:
        publish:
          global:
            seven: <% task().result %>
`, 201)
	ex := s.must(http.MethodPost, "/v2/executions", `{"workflow_name": "global_wf"}`, 201)
	if _, ok := ex["published_global"]; ok {
		t.Errorf("POST answer has published_global; Mistral's does not: %v", ex)
	}
	ex = s.waitState("/v2/executions/"+ex["id"].(string), "SUCCESS")
	if got := ex["published_global"]; got != `{"seven": 7}` {
		t.Errorf("published_global = %#v, want %q", got, `{"seven": 7}`)
	}
}

// TestAdhocActions: create, list, get, update, use and delete an ad-hoc
// action through the API; built-ins cannot be replaced or deleted.
func TestAdhocActions(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	created := s.must(http.MethodPost, "/v2/actions", `version: '2.0'
greet:
  description: Say hello
  base: std.echo output="Hello, <% $.name %>"
  input: [name]
`, 201)
	acts := created["actions"].([]any)
	if len(acts) != 1 {
		t.Fatalf("created = %v", created)
	}
	g := acts[0].(map[string]any)
	if g["name"] != "greet" || g["is_system"] != false || g["input"] != "name" || g["description"] != "Say hello" ||
		!strings.Contains(g["definition"].(string), "base: std.echo") {
		t.Errorf("created action = %v", g)
	}
	s.must(http.MethodPost, "/v2/actions", "version: '2.0'\ngreet:\n  base: std.noop\n", 409)
	s.must(http.MethodPost, "/v2/actions", "version: '2.0'\nstd.echo:\n  base: std.noop\n", 409)
	s.must(http.MethodPost, "/v2/actions", "version: '2.0'\nx:\n  input: [a]\n", 400)

	list := s.must(http.MethodGet, "/v2/actions", "", 200)["actions"].([]any)
	var names []string
	for _, a := range list {
		names = append(names, a.(map[string]any)["name"].(string))
	}
	if !slices.Contains(names, "greet") || !slices.Contains(names, "std.echo") {
		t.Errorf("action list = %v", names)
	}
	if got := s.must(http.MethodGet, "/v2/actions/greet", "", 200); got["id"] != g["id"] {
		t.Errorf("GET greet = %v", got)
	}
	for _, name := range []string{"std.echo", "echo"} {
		if got := s.must(http.MethodGet, "/v2/actions/"+name, "", 200); got["name"] != "std.echo" || got["is_system"] != true || got["input"] != "output, delay=0" {
			t.Errorf("GET %s = %v", name, got)
		}
	}
	if got := s.must(http.MethodGet, "/v2/actions/noop", "", 200); got["name"] != "std.noop" {
		t.Errorf("GET noop = %v", got)
	}

	s.must(http.MethodPut, "/v2/actions", `version: '2.0'
greet:
  base: std.echo output="Hi, <% $.name %>"
  input: [name]
  output: <% $ + '.' %>
`, 200)
	s.must(http.MethodPost, "/v2/workflows", "version: '2.0'\nuse_greet:\n  tasks:\n    t:\n      action: greet name=Bob\n      publish: {g: <% task().result %>}\n", 201)
	ex := s.must(http.MethodPost, "/v2/executions", `{"workflow_name": "use_greet"}`, 201)
	ex = s.waitState("/v2/executions/"+ex["id"].(string), "SUCCESS")
	if ex["output"] != `{"g": "Hi, Bob."}` {
		t.Errorf("output = %v, want the updated action's result", ex["output"])
	}

	run := s.must(http.MethodPost, "/v2/action_executions", `{"name": "greet", "input": {"name": "Zoe"}}`, 201)
	if run["name"] != "greet" || run["output"] != `{"result": "Hi, Zoe."}` {
		t.Errorf("run-action greet = %v", run)
	}

	s.must(http.MethodDelete, "/v2/actions/std.echo", "", 400)
	s.must(http.MethodDelete, "/v2/actions/greet", "", 204)
	s.must(http.MethodGet, "/v2/actions/greet", "", 404)
	s.must(http.MethodDelete, "/v2/actions/greet", "", 404)
}

// TestWorkbooks: a workbook's workflows and actions are stored as
// "<workbook>.<name>", name one another by short names, and are replaced
// and deleted with it.
func TestWorkbooks(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	const wb = `version: '2.0'
name: shop
tags: [demo]
actions:
  greet:
    base: std.echo output="Hello, <% $.name %>"
    input: [name]
workflows:
  order:
    tasks:
      hello:
        action: greet name=Bob
        publish: {g: <% task().result %>}
        on-success: ship
      ship:
        workflow: deliver
        publish: {d: <% task().result %>}
  deliver:
    output: {how: van}
    tasks:
      go: {action: std.noop}
`
	if v := s.must(http.MethodPost, "/v2/workbooks/validate", "version: '2.0'\nworkflows: {}\n", 200); v["valid"] != false {
		t.Errorf("validate without a name = %v", v)
	}
	created := s.must(http.MethodPost, "/v2/workbooks", wb, 201)
	if created["name"] != "shop" || created["definition"] != wb || created["scope"] != "private" {
		t.Errorf("created = %v", created)
	}
	s.must(http.MethodPost, "/v2/workbooks", wb, 409)
	if got := s.must(http.MethodGet, "/v2/workbooks/shop", "", 200); got["id"] != created["id"] {
		t.Errorf("GET shop = %v", got)
	}
	if list := s.must(http.MethodGet, "/v2/workbooks", "", 200)["workbooks"].([]any); len(list) != 1 {
		t.Errorf("workbooks = %v", list)
	}
	s.must(http.MethodGet, "/v2/workflows/shop.deliver", "", 200)
	s.must(http.MethodGet, "/v2/actions/shop.greet", "", 200)

	ex := s.must(http.MethodPost, "/v2/executions", `{"workflow_name": "shop.order"}`, 201)
	ex = s.waitState("/v2/executions/"+ex["id"].(string), "SUCCESS")
	if ex["output"] != `{"g": "Hello, Bob", "d": {"how": "van"}}` { // published, in the order the tasks ended
		t.Errorf("output = %v", ex["output"])
	}

	// Without deliver, the update deletes it.
	s.must(http.MethodPut, "/v2/workbooks", strings.Replace(wb, "  deliver:\n    output: {how: van}\n    tasks:\n      go: {action: std.noop}\n", "", 1), 200)
	s.must(http.MethodGet, "/v2/workflows/shop.deliver", "", 404)
	s.must(http.MethodGet, "/v2/workflows/shop.order", "", 200)

	s.must(http.MethodDelete, "/v2/workbooks/shop", "", 204)
	s.must(http.MethodGet, "/v2/workbooks/shop", "", 404)
	s.must(http.MethodGet, "/v2/workflows/shop.order", "", 404)
	s.must(http.MethodGet, "/v2/actions/shop.greet", "", 404)
}

// TestCallbackDepthLimit: a callback body nested past jsonvalue.MaxInputDepth is
// a 400 naming the limit; one at the limit is accepted (issue 11, item 1).
func TestCallbackDepthLimit(t *testing.T) {
	t.Parallel()
	nested := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	for _, tt := range []struct {
		depth int
		want  int
	}{{200, 400}, {10000, 400}, {127, 200}} { // the body's object is one level more
		s := newServer(t)
		_, aID := s.startAsync()
		body := `{"state": "SUCCESS", "output": ` + nested(tt.depth) + `}`
		code, got := s.do(http.MethodPut, "/v2/action_executions/"+aID, "application/json", body)
		if code != tt.want {
			t.Errorf("depth %d: status %d, want %d: %.200s", tt.depth, code, tt.want, got)
		}
		if tt.want == 400 && (!strings.Contains(got, "faultstring") || !strings.Contains(got, "128 levels")) {
			t.Errorf("depth %d: body %.300s, want a faultstring naming the limit", tt.depth, got)
		}
	}
}

// TestRepeatedResultCanonical: a result sent again is recognised by its
// canonical JSON (keys sorted, numbers as Python prints them: 1.50 is 1.5,
// 1e2 is 100.0), not by its bytes: 200. Another value is 409 — and 1 is
// not 1.0, as in Python.
func TestRepeatedResultCanonical(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	_, id := s.startAsync()
	path := "/v2/action_executions/" + id
	s.must(http.MethodPut, path, `{"state": "SUCCESS", "output": {"b": 1.5, "a": [1, 2], "c": 1e2, "d": "é"}}`, 200)
	s.must(http.MethodPut, path, `{"state": "SUCCESS", "output": {"d": "\u00e9", "c": 100.0, "a": [1,2], "b": 1.50}}`, 200)
	for _, other := range []string{
		`{"a": [2, 1], "b": 1.5, "c": 1e2, "d": "é"}`,
		`{"a": [1.0, 2], "b": 1.5, "c": 1e2, "d": "é"}`,
		`{"a": [1, 2], "b": 1.5, "c": 1e2}`,
	} {
		if status, body := s.do(http.MethodPut, path, "application/json", `{"state": "SUCCESS", "output": `+other+`}`); status != http.StatusConflict {
			t.Errorf("output %s after another: %d %s, want 409", other, status, body)
		}
	}
}

// downStore answers every read as a database that cannot be reached.
type downStore struct{ engine.Store }

func (downStore) GetExecution(context.Context, string) (*engine.Execution, error) {
	return nil, fault.Errorf(fault.EUNAVAILABLE, "the database is unavailable; try again")
}

// TestUnavailableAnswer: while the database is down the API answers 503
// in Mistral's shape, saying so, with Retry-After.
func TestUnavailableAnswer(t *testing.T) {
	s := newServer(t, func(c *engine.Config) { c.Store = downStore{c.Store} })
	resp, err := http.Get(s.url + "/v2/executions/e1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" ||
		!strings.Contains(string(b), `"faultstring":"the database is unavailable; try again"`) {
		t.Errorf("GET with the database down: %d, Retry-After %q, %s; want 503, 1, the message", resp.StatusCode, resp.Header.Get("Retry-After"), b)
	}
}
