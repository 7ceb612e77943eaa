package web_test

import (
	"context"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// seedDeep writes, straight through the store as rows from before the
// input depth limit would be, a completed execution whose values are the
// adversarial ones: input, params and published global nested 10,000
// deep, an output that is 100,000 numbers wide, a 1 MB state info, a task
// whose published value holds a 1 MB string, an action whose output is
// 10,000 deep, and a 1.25 MB decision comment.
func seedDeep(tb testing.TB, e *env) (exID, taskID, actionID string) {
	tb.Helper()
	deep := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	deepObj := strings.Repeat(`{"k":`, 10000) + "1" + strings.Repeat("}", 10000)
	wide := "[" + strings.Repeat("12345,", 100000) + "0]"
	long := `{"s":"` + strings.Repeat("x", 1<<20) + `"}`
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	exID, taskID, actionID = "ex-deep", "task-deep", "act-deep"
	output := `{"result":` + deep + `}`
	info := strings.Repeat("failure ", 1<<17)
	err := e.st.Update(context.Background(), func(tx engine.Tx) error {
		ex := &engine.Execution{ID: exID, WorkflowID: "wf", WorkflowName: "approve", State: engine.StateError, StateInfo: &info,
			ParamsJSON: `{"env":` + deepObj + `}`, InputJSON: `{"requester":` + deep + `}`, OutputJSON: wide, ContextJSON: "{}",
			PublishedGlobalJSON: `{"g":` + deep + `}`,
			Definition:          "x", ProjectID: engine.DefaultProject, CreatedAt: at, UpdatedAt: at}
		if err := tx.CreateExecution(context.Background(), ex); err != nil {
			return err
		}
		task := &engine.Task{ID: taskID, Name: "ask", Type: engine.TaskTypeAction,
			WorkflowExecutionID: exID, WorkflowName: "approve", WorkflowID: "wf", State: engine.StateSuccess,
			RuntimeContextJSON: "{}", InContextJSON: "{}", PublishedJSON: long, ResultJSON: deep,
			ProjectID: engine.DefaultProject, CreatedAt: at, UpdatedAt: at, StartedAt: &at, FinishedAt: &at}
		if err := tx.CreateTask(context.Background(), task); err != nil {
			return err
		}
		wf, tn := "approve", "ask"
		a := &engine.ActionExecution{ID: actionID, Name: "std.async_noop", WorkflowName: &wf, TaskName: &tn,
			TaskExecutionID: &taskID, WorkflowExecutionID: &exID, State: engine.StateSuccess, ProjectID: engine.DefaultProject,
			Async: true, InputJSON: deepObj, OutputJSON: &output, CreatedAt: at, UpdatedAt: at, CompletedAt: &at}
		if err := tx.CreateActionExecution(context.Background(), a); err != nil {
			return err
		}
		// A decision's comment, as long as a form may post.
		return tx.AddStateChanges(context.Background(), []engine.Event{{Kind: "action_execution", ID: actionID, State: engine.StateSuccess,
			ExecutionID: exID, Via: engine.ViaDashboard, Note: strings.Repeat("note ", 1<<18), At: at}})
	})
	if err != nil {
		tb.Fatal(err)
	}
	return exID, taskID, actionID
}

// TestDeepValuesRenderBounded: a value nested 10,000 deep once made the
// action page about 400 MB and the execution page about 200 MB (indenting
// cost the square of the depth). Every page that shows stored values now
// stays small and allocates little, whatever their shape, and says where
// the whole value can be downloaded.
func TestDeepValuesRenderBounded(t *testing.T) {
	// Not parallel: the allocation figure is the process's, and parallel
	// tests would add theirs.
	e := newEnv(t)
	exID, _, actionID := seedDeep(t, e)
	for _, tc := range []struct {
		path string
		raw  []string // download links the page must offer
	}{
		{"/actions/" + actionID, []string{"/actions/act-deep/input.json", "/actions/act-deep/output.json", "/executions/ex-deep/input.json", "/executions/ex-deep/params.json"}},
		{"/executions/" + exID, []string{"/executions/ex-deep/input.json", "/executions/ex-deep/output.json", "/executions/ex-deep/params.json",
			"/executions/ex-deep/published.json", "/tasks/task-deep/result.json", "/tasks/task-deep/published.json"}},
		{"/executions/" + exID + "?fragment=1", nil},
	} {
		e.get(tc.path) // warm up: templates, connections
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		p := e.get(tc.path)
		runtime.ReadMemStats(&after)
		if p.status != http.StatusOK {
			t.Fatalf("%s: status %d", tc.path, p.status)
		}
		t.Logf("%s: %d bytes, %d bytes allocated", tc.path, len(p.body), after.TotalAlloc-before.TotalAlloc)
		if n := len(p.body); n > 300<<10 {
			t.Errorf("%s: page is %d bytes, want at most 300 KiB", tc.path, n)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
			t.Errorf("%s: the request allocated %d bytes, want at most 16 MiB", tc.path, alloc)
		}
		for _, href := range tc.raw {
			if p.doc.Find(`a[href="`+href+`"]`).Length() == 0 {
				t.Errorf("%s: no download link to %s", tc.path, href)
			}
		}
		if tc.raw != nil && !strings.Contains(p.body, "…") {
			t.Errorf("%s: nothing shows that values were shortened", tc.path)
		}
	}
}

// TestRawDownloads: the links of shortened values download the stored
// text byte for byte, as a JSON attachment; other names, unknown records
// and values not recorded are 404.
func TestRawDownloads(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	exID, taskID, actionID := seedDeep(t, e)
	ctx := context.Background()
	a, err := e.eng.GetActionExecution(ctx, actionID)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := e.eng.GetExecution(ctx, exID)
	if err != nil {
		t.Fatal(err)
	}
	task, err := e.eng.GetTask(ctx, taskID)
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"/actions/" + actionID + "/input.json":    a.InputJSON,
		"/actions/" + actionID + "/output.json":   *a.OutputJSON,
		"/executions/" + exID + "/input.json":     ex.InputJSON,
		"/executions/" + exID + "/output.json":    ex.OutputJSON,
		"/executions/" + exID + "/params.json":    ex.ParamsJSON,
		"/executions/" + exID + "/published.json": ex.PublishedGlobalJSON,
		"/tasks/" + taskID + "/result.json":       task.ResultJSON,
		"/tasks/" + taskID + "/published.json":    task.PublishedJSON,
	} {
		p := e.get(path)
		if p.status != http.StatusOK || p.body != want {
			t.Errorf("GET %s: %d, %d bytes; want 200 and the %d stored bytes", path, p.status, len(p.body), len(want))
		}
		if ct := p.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("GET %s: Content-Type %q", path, ct)
		}
		file := path[strings.LastIndexByte(path, '/')+1:]
		if cd := p.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, file) {
			t.Errorf("GET %s: Content-Disposition %q, want an attachment named for %s", path, cd, file)
		}
		if p.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: no nosniff", path)
		}
	}
	_, pending := e.startApproval("bob")
	for _, path := range []string{
		"/actions/" + actionID + "/context.json", "/actions/" + actionID + "/output", "/tasks/" + taskID + "/input.json",
		"/actions/nope/input.json", "/executions/nope/output.json", "/tasks/nope/result.json",
		"/actions/" + actionID + "/request.json", // nothing was sent
		"/actions/" + pending + "/output.json",   // not delivered yet
	} {
		if p := e.get(path); p.status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, p.status)
		}
	}
}

// TestRawDownloadsNeedALogin: a download needs what its page needs.
func TestRawDownloadsNeedALogin(t *testing.T) {
	t.Parallel()
	e := newEnvAuth(t, "a long enough password")
	_, taskID, actionID := seedDeep(t, e)
	paths := []string{"/actions/" + actionID + "/output.json", "/executions/ex-deep/input.json", "/tasks/" + taskID + "/result.json"}
	for _, path := range paths {
		p := e.get(path)
		if loc := p.header.Get("Location"); p.status != http.StatusSeeOther || loc != "/login?next="+url.QueryEscape(path) {
			t.Errorf("anonymous GET %s: %d Location %q, want 303 to the login page", path, p.status, loc)
		}
	}
	form := e.get("/login")
	if p := e.post("/login", url.Values{"_csrf": {form.csrf()}, "username": {"admin"}, "password": {"a long enough password"}}); p.status != http.StatusSeeOther {
		t.Fatalf("login: %d", p.status)
	}
	for _, path := range paths {
		if p := e.get(path); p.status != http.StatusOK {
			t.Errorf("GET %s after login: %d", path, p.status)
		}
	}
}

// TestDeepDefaultInputBounded: the start form is pre-filled with the
// workflow's input defaults, which a definition may nest deeply; it is
// indented only while that fits, and stays whole (the form posts it).
func TestDeepDefaultInputBounded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	deep := strings.Repeat("[", 3000) + strings.Repeat("]", 3000)
	def := "---\nversion: '2.0'\ndeep_default:\n  input:\n    - shallow: {a: [1]}\n    - nested: " + deep + "\n  tasks:\n    t:\n      action: std.noop\n"
	if _, err := e.eng.CreateWorkflows(context.Background(), nil, def, "", engine.ScopePrivate); err != nil {
		t.Fatal(err)
	}
	p := e.get("/workflows/deep_default")
	if p.status != http.StatusOK {
		t.Fatalf("status %d", p.status)
	}
	if n := len(p.body); n > 300<<10 {
		t.Errorf("page is %d bytes, want at most 300 KiB", n)
	}
	want := `{"shallow":{"a":[1]},"nested":` + deep + `}` // in the order declared
	if got := p.doc.Find(`textarea[name="input"]`).Text(); got != want {
		t.Errorf("pre-filled input: %.80q…, want the defaults whole on one line", got)
	}
}
