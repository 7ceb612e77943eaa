package engine_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/sqlite"
)

type laterClock struct{ d time.Duration }

func (c laterClock) Now() time.Time { return time.Now().UTC().Add(c.d) }

// TestTimersSurviveRestart: timers are rows, so an engine that stops before
// they fire loses none, and the next one fires the overdue ones at once.
func TestTimersSurviveRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
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

	// Three hours later, a new process on the same file.
	st2, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
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
