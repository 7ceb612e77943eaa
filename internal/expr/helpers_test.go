package expr

import (
	"errors"
	"testing"

	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

// errBoom is what the test Func "fail" returns.
var errBoom = errors.New("boom")

// testContext is the data context and functions shared by the table tests
// and the golden file testdata/cases.txt.
func testContext(t testing.TB) *Context {
	t.Helper()
	data, err := jsonvalue.Decode([]byte(`{
		"name": "bob",
		"obj": {"a": 1, "b": [1, 2]},
		"nums": [1, 2, 3],
		"users": [{"name": "ann", "age": 30}, {"name": "cy", "age": 20}],
		"empty": [],
		"s": "{\"k\": [1, 2.5]}",
		"uni": "café",
		"nothing": null,
		"flag": true,
		"f": 2.5,
		"items": [10, 20],
		"my-key": "dash"
	}`))
	if err != nil {
		t.Fatal(err)
	}
	tasks := map[string]any{
		"t1": map[string]any{"id": "t1-id", "name": "t1", "state": "SUCCESS", "result": map[string]any{"x": int64(42)}, "published": map[string]any{"p": "v"}},
		"t2": map[string]any{"id": "t2-id", "name": "t2", "state": "ERROR", "state_info": "failed", "result": nil},
	}
	return &Context{
		Data: data,
		Funcs: FuncMap{
			// task() is the current task (t1); task(name) looks one up.
			"task": func(args ...any) (any, error) {
				if len(args) == 0 {
					return tasks["t1"], nil
				}
				name, _ := args[0].(string)
				return tasks[name], nil
			},
			"execution": func(args ...any) (any, error) {
				// Deliberately non-canonical values: Funcs may return them.
				return map[string]any{"id": "exec-1", "input": map[string]string{"name": "World"}, "params": map[string]any{"n": 3}}, nil
			},
			"env":   func(args ...any) (any, error) { return map[string]any{"region": "r1"}, nil },
			"fail":  func(args ...any) (any, error) { return nil, errBoom },
			"echo":  func(args ...any) (any, error) { return args, nil },
			"tasks": func(args ...any) (any, error) { return args, nil },
			"shout": func(args ...any) (any, error) { return "LOUD", nil },
		},
		Params: map[string][]string{"task": {"task_name"}, "tasks": {"workflow_execution_id", "recursive", "state", "flat"}},
	}
}

// mustJSON encodes v for comparisons that must tell 5 from 5.0.
func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := jsonvalue.Encode(v)
	if err != nil {
		t.Fatalf("Encode(%#v): %v", v, err)
	}
	return string(b)
}
