package engine_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

const envWorkflows = `version: '2.0'
env_parent:
  output:
    a: <% $.a %>
    b: <% $.b %>
    child: <% $.child %>
  tasks:
    t:
      action: std.echo output=<% env().a %>
      publish:
        a: <% task().result %>
        b: '{{ env().b }}'
      on-success: [sub]
    sub:
      workflow: env_child
      publish:
        child: <% task().result %>
env_child:
  output:
    seen: <% $.seen %>
  tasks:
    c:
      action: std.noop
      publish:
        seen: <% env() %>
`

// jsonOf decodes a JSON-typed field for comparison.
func jsonOf(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return v
}

// TestStartResolvesEnvByName: params {"env": "<name>"} starts the
// execution with the stored environment's variables, their expressions
// evaluated (env() in them sees the variables as stored), as Mistral's
// params show them; env() sees them in YAQL and Jinja, and in a
// sub-workflow, whose own params carry an empty env as in Mistral. Before,
// the name stayed a string and env().a failed the task.
func TestStartResolvesEnvByName(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, store string) {
		ctx := context.Background()
		e := newEngineOn(t, store, engine.Config{})
		if _, err := e.CreateWorkflows(ctx, nil, envWorkflows, "", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := e.CreateEnvironment(ctx, nil, engine.EnvironmentInput{Name: "env1",
			Variables: map[string]any{"a": int64(1), "b": "<% env().a + 1 %>"}}); err != nil {
			t.Fatal(err)
		}
		ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "env_parent", Params: map[string]any{"env": "env1"}})
		if err != nil {
			t.Fatal(err)
		}
		wantEnv := map[string]any{"a": 1.0, "b": 2.0}
		if got := jsonOf(t, ex.ParamsJSON); !reflect.DeepEqual(got, map[string]any{"env": wantEnv, "namespace": ""}) {
			t.Errorf("params = %v, want the environment's variables evaluated", got)
		}
		ex = settle(t, e, ex.ID, "")
		if ex.State != engine.StateSuccess {
			t.Fatalf("state %s (%s), want SUCCESS", ex.State, deref(ex.StateInfo))
		}
		want := map[string]any{"a": 1.0, "b": 2.0, "child": map[string]any{"seen": wantEnv}}
		if got := jsonOf(t, ex.OutputJSON); !reflect.DeepEqual(got, want) {
			t.Errorf("output = %v, want %v", got, want)
		}
		subs, err := e.ListExecutions(ctx, engine.ListQuery{Filters: []engine.Filter{{Field: "root_execution_id", Op: engine.OpEq, Values: []string{ex.ID}}}})
		if err != nil || len(subs) != 1 {
			t.Fatalf("sub-executions: %v %v", subs, err)
		}
		p, _ := jsonOf(t, subs[0].ParamsJSON).(map[string]any)
		if !reflect.DeepEqual(p["env"], map[string]any{}) || p["root_execution_id"] != ex.ID || p["task_execution_id"] != *subs[0].TaskExecutionID {
			t.Errorf("sub-workflow params = %v, want Mistral's: an empty env and its place in the tree", p)
		}
	})
}

// TestStartEnvErrors: what Mistral 15 answers to a bad params.env, and
// evaluate_env false keeping the expressions as given.
func TestStartEnvErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEngine(t, engine.Config{})
	if _, err := e.CreateWorkflows(ctx, nil, envWorkflows, "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateEnvironment(ctx, nil, engine.EnvironmentInput{Name: "env1",
		Variables: map[string]any{"a": int64(1), "b": "<% env().a + 1 %>"}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		params map[string]any
		want   string
	}{
		{map[string]any{"env": "nope"}, "Environment is not found: nope"},
		{map[string]any{"env": int64(5)}, "Unexpected value type for environment [env=5, type=<class 'int'>]"},
		{map[string]any{"env": []any{int64(1)}}, "Unexpected value type for environment [env=[1], type=<class 'list'>]"},
		{map[string]any{"env": map[string]any{"a": "<% execution().id %>"}}, "Can not evaluate YAQL expression [expression=execution().id"},
	} {
		_, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "env_parent", Params: c.params})
		if fault.Code(err) != fault.EINVALID || len(fault.Message(err)) < len(c.want) || fault.Message(err)[:len(c.want)] != c.want {
			t.Errorf("start with params %v: %v, want EINVALID %q", c.params, err, c.want)
		}
	}
	for _, c := range []struct {
		params map[string]any
		env    any
	}{
		{map[string]any{"env": "env1", "evaluate_env": false}, map[string]any{"a": 1.0, "b": "<% env().a + 1 %>"}},
		{map[string]any{"env": map[string]any{"k": int64(3), "s": "x <% env().k %>"}}, map[string]any{"k": 3.0, "s": "x 3"}},
		{map[string]any{"env": ""}, map[string]any{}},
		{map[string]any{"env": nil}, map[string]any{}},
	} {
		ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "env_child", Params: c.params})
		if err != nil {
			t.Errorf("start with params %v: %v", c.params, err)
			continue
		}
		if got := jsonOf(t, ex.ParamsJSON).(map[string]any)["env"]; !reflect.DeepEqual(got, c.env) {
			t.Errorf("start with params %v: env %v, want %v", c.params, got, c.env)
		}
	}
}

// TestSubworkflowEnvFollowsRoot: a sub-workflow's env() reads its root's
// environment when it runs, so a change of the root's env (execution-update
// --env) while the sub-workflow waits is what it sees, as in Mistral.
func TestSubworkflowEnvFollowsRoot(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEngine(t, engine.Config{})
	if _, err := e.CreateWorkflows(ctx, nil, `version: '2.0'
env_root:
  output:
    child: <% $.child %>
  tasks:
    sub:
      workflow: env_waiting_child
      publish:
        child: <% task().result %>
env_waiting_child:
  output:
    region: <% $.region %>
  tasks:
    wait:
      action: std.async_noop
      publish:
        region: <% env().region %>
`, "", ""); err != nil {
		t.Fatal(err)
	}
	ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "env_root", Params: map[string]any{"env": map[string]any{"region": "r1"}}})
	if err != nil {
		t.Fatal(err)
	}
	var a *engine.ActionExecution
	deadline := time.Now().Add(10 * time.Second)
	for a == nil { // the sub-workflow starts in the background
		subs, err := e.ListExecutions(ctx, engine.ListQuery{Filters: []engine.Filter{{Field: "root_execution_id", Op: engine.OpEq, Values: []string{ex.ID}}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(subs) == 1 {
			a = pendingAction(t, e, subs[0].ID, "wait")
		}
		if a == nil && time.Now().After(deadline) {
			t.Fatalf("no pending action in a sub-workflow of %s", ex.ID)
		}
		time.Sleep(2 * time.Millisecond)
	}
	if _, err := e.UpdateExecution(ctx, ex.ID, engine.ExecutionUpdate{Env: map[string]any{"region": "r2"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.UpdateActionExecution(ctx, a.ID, engine.Completion{State: engine.StateSuccess, Output: int64(1), HasOutput: true}); err != nil {
		t.Fatal(err)
	}
	ex = settle(t, e, ex.ID, "")
	if got := jsonOf(t, ex.OutputJSON); !reflect.DeepEqual(got, map[string]any{"child": map[string]any{"region": "r2"}}) {
		t.Errorf("output = %v (%s), want the root's environment as changed", got, ex.State)
	}
}
