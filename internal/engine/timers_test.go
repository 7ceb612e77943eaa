package engine_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/pgtest"
	"github.com/sirocco-project/sirocco/internal/postgres"
	"github.com/sirocco-project/sirocco/internal/sqlite"
)

type laterClock struct{ d time.Duration }

func (c laterClock) Now() time.Time { return time.Now().UTC().Add(c.d) }

// TestTimersSurviveRestart: timers are rows, so an engine that stops before
// they fire loses none, and the next one fires the overdue ones at once.
func TestTimersSurviveRestart(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, store string) {
		t.Parallel()
		testTimersSurviveRestart(t, store)
	})
}

// reopenable returns a function that opens the same database of the named
// store each time it is called, as a process starting again would.
func reopenable(t *testing.T, store string) func() engine.Store {
	t.Helper()
	ctx := context.Background()
	var open func() (engine.Store, error)
	switch store {
	case "sqlite":
		path := filepath.Join(t.TempDir(), "db")
		open = func() (engine.Store, error) { return sqlite.Open(ctx, path, sqlite.Options{}) }
	case "postgres":
		dsn := pgtest.DSN(t)
		open = func() (engine.Store, error) { return postgres.Open(ctx, dsn, postgres.Options{MaxConns: 4}) }
	default:
		t.Fatalf("no store %q", store)
	}
	return func() engine.Store {
		t.Helper()
		st, err := open()
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
}

func testTimersSurviveRestart(t *testing.T, store string) {
	ctx := context.Background()
	open := reopenable(t, store)
	st := open()
	// The first engine never runs its worker: as if it died right after
	// the workflow started.
	first := engine.New(engine.Config{Store: st})
	def := `version: '2.0'
wf:
  tasks:
    waits:
      action: std.echo output=late
      wait-before: 3600
      publish: {r: <% task().result %>}
    times_out:
      action: std.async_noop
      timeout: 7200
      on-error: handled
    handled:
      action: std.noop
`
	if _, err := first.CreateWorkflows(ctx, nil, def, "", ""); err != nil {
		t.Fatal(err)
	}
	ex, err := first.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf"})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()

	// Three hours later, a new process on the same database.
	st2 := open()
	defer st2.Close()
	second := engine.New(engine.Config{Store: st2, Clock: laterClock{3 * time.Hour}})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { second.Run(runCtx); close(done) }()
	defer func() { cancel(); <-done }()

	got := settle(t, second, ex.ID, "")
	if got.State != engine.StateSuccess || got.OutputJSON != `{"r": "late"}` {
		t.Errorf("after restart: state %s, output %s, state_info %v", got.State, got.OutputJSON, deref(got.StateInfo))
	}
	tasks, err := second.ListTasks(ctx, engine.ListQuery{Filters: []engine.Filter{{Field: "name", Op: engine.OpEq, Values: []string{"times_out"}}}})
	if err != nil || len(tasks) != 1 {
		t.Fatalf("times_out task: %v %v", tasks, err)
	}
	if tasks[0].State != engine.StateError || deref(tasks[0].StateInfo) != "Task timed out [timeout(s)=7200]." {
		t.Errorf("overdue timeout: task %s %q", tasks[0].State, deref(tasks[0].StateInfo))
	}
}
