package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// idleEngine is an engine on the named store whose job worker does not
// run until run is called: what it leaves as jobs stays visible.
func idleEngine(t *testing.T, store string) (e *engine.Engine, run func()) {
	t.Helper()
	var st engine.Store
	for _, s := range stores {
		if s.name == store {
			st = s.open(t)
		}
	}
	e = engine.New(engine.Config{Store: st, BaseURL: "http://sirocco.test"})
	return e, func() {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { e.Run(ctx); close(done) }()
		t.Cleanup(func() { cancel(); <-done })
	}
}

// jobsLeft tells whether any job row is left in e's store.
func jobsLeft(t *testing.T, e *engine.Engine) bool {
	t.Helper()
	_, ok, err := engine.StoreOf(e).NextJobDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// TestInstantActionsRunInTheirTransaction: std.echo, std.noop and std.fail
// run in the transaction that started them (no job, no worker needed),
// after the step that started them: a workflow that starts two branches
// at once is not found finished when the first ends.
func TestInstantActionsRunInTheirTransaction(t *testing.T) {
	t.Parallel()
	const flow = `version: '2.0'
wf:
  output:
    got: <% [$.a, $.l, $.r] %>
  tasks:
    first:
      action: std.echo output="a"
      publish: {a: <% task().result %>}
      on-success: [left, right]
    left:
      action: std.noop
      publish: {l: "left"}
    right:
      action: std.fail
      on-error: [recover]
    recover:
      action: std.echo output="r"
      publish: {r: <% task().result %>}
`
	eachStore(t, func(t *testing.T, store string) {
		t.Parallel()
		ctx := context.Background()
		e, _ := idleEngine(t, store)
		if _, err := e.CreateWorkflows(ctx, nil, flow, "", ""); err != nil {
			t.Fatal(err)
		}
		ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.GetExecution(ctx, ex.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != engine.StateSuccess || got.OutputJSON != `{"got": ["a", "left", "r"]}` {
			t.Fatalf("after the start's transaction: %s, output %s; want SUCCESS with [a, left, r]", got.State, got.OutputJSON)
		}
		tasks, err := e.ListTasks(ctx, engine.ListQuery{Filters: []engine.Filter{{Field: "workflow_execution_id", Op: "eq", Values: []string{ex.ID}}}})
		if err != nil {
			t.Fatal(err)
		}
		states := map[string]engine.State{}
		for _, tk := range tasks {
			states[tk.Name] = tk.State
		}
		want := map[string]engine.State{"first": engine.StateSuccess, "left": engine.StateSuccess, "right": engine.StateError,
			"recover": engine.StateSuccess}
		for name, s := range want {
			if states[name] != s {
				t.Errorf("task %s: %s; want %s (all: %v)", name, states[name], s, states)
			}
		}
		if jobsLeft(t, e) {
			t.Error("a job row is left: an instant action ran as a job")
		}
	})
}

// TestInstantActionsBounded: a loop of instant tasks runs at most
// maxInstantRuns (32) actions in one transaction; the rest go on as jobs,
// and the loop ends with every iteration run once.
func TestInstantActionsBounded(t *testing.T) {
	t.Parallel()
	const flow = `version: '2.0'
wf:
  output:
    n: <% $.n %>
  tasks:
    init:
      action: std.noop
      publish: {n: 0}
      on-success: [step]
    step:
      action: std.echo output=<% $.n + 1 %>
      publish: {n: <% task().result %>}
      on-success:
        - step: <% $.n < 100 %>
`
	eachStore(t, func(t *testing.T, store string) {
		t.Parallel()
		ctx := context.Background()
		e, run := idleEngine(t, store)
		if _, err := e.CreateWorkflows(ctx, nil, flow, "", ""); err != nil {
			t.Fatal(err)
		}
		ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf"})
		if err != nil {
			t.Fatal(err)
		}
		done, err := e.ListActionExecutions(ctx, engine.ListQuery{Filters: []engine.Filter{
			{Field: "workflow_execution_id", Op: "eq", Values: []string{ex.ID}}, {Field: "state", Op: "eq", Values: []string{"SUCCESS"}}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(done) != 32 || !jobsLeft(t, e) {
			t.Fatalf("after the start: %d actions done, a job left %v; want 32 and a job", len(done), jobsLeft(t, e))
		}
		run()
		got := settle(t, e, ex.ID, "")
		if got.State != engine.StateSuccess || !strings.Contains(got.OutputJSON, "100") {
			t.Fatalf("the loop ended %s with %s; want SUCCESS, n 100", got.State, got.OutputJSON)
		}
		all, err := e.ListActionExecutions(ctx, engine.ListQuery{Filters: []engine.Filter{{Field: "workflow_execution_id", Op: "eq", Values: []string{ex.ID}}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 101 {
			t.Errorf("%d action executions; want 101 (init and 100 steps, each once)", len(all))
		}
	})
}
