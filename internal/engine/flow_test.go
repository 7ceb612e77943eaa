package engine_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/jsonvalue"
	"github.com/sirocco-project/sirocco/internal/pgtest"
	"github.com/sirocco-project/sirocco/internal/postgres"
	"github.com/sirocco-project/sirocco/internal/sqlite"
	"github.com/sirocco-project/sirocco/internal/storetest"
)

// flowCase is one file of testdata/flows: a workflow, its input, the
// callbacks to deliver in order, and what must come of it.
type flowCase struct {
	// Actions, when set, is a document of ad-hoc actions stored first.
	Actions   string         `yaml:"actions"`
	Workflow  string         `yaml:"workflow"`
	Input     map[string]any `yaml:"input"`
	Params    map[string]any `yaml:"params"`
	Callbacks []struct {
		Task   string `yaml:"task"`
		State  string `yaml:"state"`
		Output any    `yaml:"output"`
		// Execution, when set, is sent to the execution instead (PAUSED, RUNNING, CANCELLED...).
		Execution string `yaml:"execution"`
	} `yaml:"callbacks"`
	Expect struct {
		State     string            `yaml:"state"`
		StateInfo string            `yaml:"state_info"` // a fragment
		Output    any               `yaml:"output"`
		Tasks     map[string]string `yaml:"tasks"`
		// Actions counts the action executions of each task (retries make several).
		Actions map[string]int `yaml:"actions"`
		// Results holds task(name).result of the last execution of each named task.
		Results map[string]any `yaml:"results"`
	} `yaml:"expect"`
}

// stores are the stores that the engine's behaviour tests run on, each
// test once per store (TestFlows/sqlite/<case>, TestFlows/postgres/<case>):
// the same flow must behave the same, to the byte of its golden file,
// whichever store holds it. open returns an empty store, closed when t
// ends; postgres skips without PostgreSQL (see pgtest).
var stores = []struct {
	name string
	open func(t *testing.T) engine.Store
}{
	{"sqlite", func(t *testing.T) engine.Store {
		st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"), sqlite.Options{Sync: sqlite.SyncNormal})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}},
	{"postgres", func(t *testing.T) engine.Store {
		// A fresh database per test; the pool stays small, since tests
		// run in parallel beside other packages' clusters.
		st, err := postgres.Open(context.Background(), pgtest.DSN(t), postgres.Options{Sync: postgres.SyncNormal, MaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		// Closed in t.Cleanup, after the engine stops: goleak checks
		// that the pool's goroutines are gone.
		t.Cleanup(func() { st.Close() })
		return st
	}},
}

// eachStore runs test as a subtest per store of stores.
func eachStore(t *testing.T, test func(t *testing.T, store string)) {
	t.Helper()
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) { test(t, s.name) })
	}
}

func newEngine(t *testing.T, cfg engine.Config) *engine.Engine {
	t.Helper()
	e, _ := newRecordedEngine(t, cfg)
	return e
}

// newEngineOn is newEngine on the named store of stores.
func newEngineOn(t *testing.T, store string, cfg engine.Config) *engine.Engine {
	t.Helper()
	e, _ := newRecordedEngineOn(t, store, cfg)
	return e
}

// newRecordedEngine is newEngine whose store records the runtime contexts
// written (see checkRuntimeGolden).
func newRecordedEngine(t *testing.T, cfg engine.Config) (*engine.Engine, *recordingStore) {
	t.Helper()
	return newRecordedEngineOn(t, "sqlite", cfg)
}

// newRecordedEngineOn is newRecordedEngine on the named store of stores.
func newRecordedEngineOn(t *testing.T, store string, cfg engine.Config) (*engine.Engine, *recordingStore) {
	t.Helper()
	var st engine.Store
	for _, s := range stores {
		if s.name == store {
			st = s.open(t)
		}
	}
	if st == nil {
		t.Fatalf("no store %q", store)
	}
	ctx, cancel := context.WithCancel(context.Background())
	// Every flow is checked against the locking discipline.
	rec := newRecordingStore(storetest.CheckLocks(t, st))
	cfg.Store = rec
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://sirocco.test"
	}
	e := engine.New(cfg)
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done }) // runs before the store's Close
	return e, rec
}

// settle waits until the execution is no longer RUNNING, or has an action
// waiting in task (when task is not empty).
func settle(t *testing.T, e *engine.Engine, exID, task string) *engine.Execution {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ex, err := e.GetExecution(ctx, exID)
		if err != nil {
			t.Fatal(err)
		}
		if task == "" && ex.State != engine.StateRunning {
			return ex
		}
		if task != "" && pendingAction(t, e, exID, task) != nil {
			return ex
		}
		if time.Now().After(deadline) {
			t.Fatalf("execution %s did not settle (state %s %v, waiting for task %q)", exID, ex.State, deref(ex.StateInfo), task)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func pendingAction(t *testing.T, e *engine.Engine, exID, task string) *engine.ActionExecution {
	t.Helper()
	list, err := e.ListActionExecutions(context.Background(), engine.ListQuery{Filters: []engine.Filter{
		{Field: "workflow_execution_id", Op: engine.OpEq, Values: []string{exID}},
		{Field: "task_name", Op: engine.OpEq, Values: []string{task}},
		{Field: "state", Op: engine.OpIn, Values: []string{"RUNNING", "PAUSED"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) == 0 {
		return nil
	}
	return list[0]
}

// racyArrivals are the flows whose join arrivals race (an echo action's
// job against a callback), so the order of a join's triggered_by varies;
// join_async records a join's runtime context instead.
var racyArrivals = map[string]bool{"join_all": true, "join_one": true, "tasks_function": true}

func TestFlows(t *testing.T) {
	files, err := filepath.Glob("testdata/flows/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no flow cases: %v", err)
	}
	// One store after the other (eachStore's subtests are not parallel):
	// -update writes the goldens from SQLite before PostgreSQL reads them.
	eachStore(t, func(t *testing.T, store string) {
		for _, f := range files {
			t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(t *testing.T) {
				t.Parallel()
				raw, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				var c flowCase
				if err := yaml.Unmarshal(raw, &c); err != nil {
					t.Fatal(err)
				}
				rec := runFlow(t, store, c)
				name := filepath.Base(t.Name())
				if !racyArrivals[name] {
					checkRuntimeGolden(t, rec, "flow_"+name, store == "sqlite")
				}
			})
		}
	})
}

func runFlow(t *testing.T, store string, c flowCase) *recordingStore {
	ctx := context.Background()
	e, rec := newRecordedEngineOn(t, store, engine.Config{})
	if c.Actions != "" {
		if _, err := e.CreateActions(ctx, nil, c.Actions, "", ""); err != nil {
			t.Fatalf("create actions: %v", err)
		}
	}
	wfs, err := e.CreateWorkflows(ctx, nil, c.Workflow, "", "")
	if err != nil {
		t.Fatalf("create workflow: %v", err)
	}
	input, err := jsonvalue.Normalize(c.Input)
	if err != nil {
		t.Fatal(err)
	}
	in, _ := jsonvalue.Unordered(input).(map[string]any)
	params, err := jsonvalue.Normalize(c.Params)
	if err != nil {
		t.Fatal(err)
	}
	pm, _ := jsonvalue.Unordered(params).(map[string]any)
	ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: wfs[0].Name, Input: in, Params: pm})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	for _, cb := range c.Callbacks {
		if cb.Execution != "" {
			if cb.Execution == "RUNNING" { // resume: wait until it paused
				if got := settle(t, e, ex.ID, ""); got.State != engine.StatePaused {
					t.Fatalf("resume: execution is %s, not PAUSED", got.State)
				}
			}
			if _, err := e.UpdateExecution(ctx, ex.ID, engine.ExecutionUpdate{State: engine.State(cb.Execution)}); err != nil {
				t.Fatalf("execution %s: %v", cb.Execution, err)
			}
			continue
		}
		settle(t, e, ex.ID, cb.Task)
		a := pendingAction(t, e, ex.ID, cb.Task)
		out, err := jsonvalue.Normalize(cb.Output)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.UpdateActionExecution(ctx, a.ID, engine.Completion{State: engine.State(cb.State), Output: out, HasOutput: cb.Output != nil}); err != nil {
			t.Fatalf("callback %s %s: %v", cb.Task, cb.State, err)
		}
	}
	got := settle(t, e, ex.ID, "")
	if want := c.Expect.State; want != "" && string(got.State) != want {
		t.Errorf("state = %s, want %s (state_info %v)", got.State, want, deref(got.StateInfo))
	}
	if c.Expect.StateInfo != "" && !strings.Contains(deref(got.StateInfo), c.Expect.StateInfo) {
		t.Errorf("state_info = %q, want it to contain %q", deref(got.StateInfo), c.Expect.StateInfo)
	}
	if c.Expect.Output != nil {
		want, _ := jsonvalue.Normalize(c.Expect.Output)
		gotOut, _ := jsonvalue.Decode([]byte(got.OutputJSON))
		if !jsonvalue.Equal(gotOut, want) { // the cases' YAML maps carry no order
			w, _ := json.Marshal(want)
			t.Errorf("output = %s, want %s", got.OutputJSON, w)
		}
	}
	if c.Expect.Tasks != nil {
		tasks, err := e.ListTasks(ctx, engine.ListQuery{Filters: []engine.Filter{{Field: "workflow_execution_id", Op: engine.OpEq, Values: []string{ex.ID}}}})
		if err != nil {
			t.Fatal(err)
		}
		states := map[string]string{}
		for _, tk := range tasks {
			states[tk.Name] = string(tk.State)
		}
		if !reflect.DeepEqual(states, c.Expect.Tasks) {
			t.Errorf("task states = %v, want %v", states, c.Expect.Tasks)
		}
	}
	if c.Expect.Actions != nil || c.Expect.Results != nil {
		tasks, err := e.ListTasks(ctx, engine.ListQuery{Filters: []engine.Filter{{Field: "workflow_execution_id", Op: engine.OpEq, Values: []string{ex.ID}}}})
		if err != nil {
			t.Fatal(err)
		}
		counts := map[string]int{}
		results := map[string]any{}
		for _, tk := range tasks {
			list, err := e.ListActionExecutions(ctx, engine.ListQuery{Filters: []engine.Filter{{Field: "task_execution_id", Op: engine.OpEq, Values: []string{tk.ID}}}})
			if err != nil {
				t.Fatal(err)
			}
			counts[tk.Name] += len(list)
			results[tk.Name], _ = jsonvalue.Decode([]byte(tk.ResultJSON))
		}
		for name, want := range c.Expect.Actions {
			if counts[name] != want {
				t.Errorf("task %s has %d action executions, want %d", name, counts[name], want)
			}
		}
		for name, w := range c.Expect.Results {
			want, _ := jsonvalue.Normalize(w)
			if !jsonvalue.Equal(results[name], want) {
				t.Errorf("task %s result = %#v, want %#v", name, results[name], want)
			}
		}
	}
	return rec
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func TestTimeline(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, store string) {
		t.Parallel()
		ctx := context.Background()
		e := newEngineOn(t, store, engine.Config{})
		ex := startOne(t, e, "std.async_noop")
		settle(t, e, ex.ID, "t")
		a := pendingAction(t, e, ex.ID, "t")
		if _, err := e.UpdateActionExecution(ctx, a.ID, engine.Completion{State: engine.StateSuccess, Via: engine.ViaDashboard, Comment: "looks fine"}); err != nil {
			t.Fatal(err)
		}
		settle(t, e, ex.ID, "")
		events, err := e.Timeline(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, ev := range events {
			got = append(got, string(ev.State)+"/"+ev.Via+"/"+ev.Note)
		}
		if want := []string{"RUNNING//", "SUCCESS/dashboard/looks fine"}; !reflect.DeepEqual(got, want) {
			t.Errorf("action timeline = %v, want %v", got, want)
		}
		all, err := e.Timeline(ctx, ex.ID)
		if err != nil {
			t.Fatal(err)
		}
		// execution RUNNING, task RUNNING, action RUNNING, action SUCCESS, task SUCCESS, execution SUCCESS
		if len(all) != 6 || all[0].Kind != "execution" || all[5].Kind != "execution" || all[5].State != engine.StateSuccess {
			t.Errorf("execution timeline = %+v", all)
		}
	})
}

// TestAdHocTimeline: an action run outside any workflow has a timeline too.
func TestAdHocTimeline(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, store string) {
		t.Parallel()
		ctx := context.Background()
		e := newEngineOn(t, store, engine.Config{})
		a, err := e.RunAction(ctx, engine.RunRequest{Name: "std.async_noop"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.UpdateActionExecution(ctx, a.ID, engine.Completion{State: engine.StateError, Via: engine.ViaCLI}); err != nil {
			t.Fatal(err)
		}
		events, err := e.Timeline(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != 2 || events[0].State != engine.StateRunning || events[1].State != engine.StateError ||
			events[1].Via != engine.ViaCLI || events[1].ExecutionID != "" {
			t.Errorf("ad-hoc timeline = %+v", events)
		}
	})
}
