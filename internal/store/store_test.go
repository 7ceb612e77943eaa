package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/store"
)

func open(t *testing.T, path string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var t0 = time.Date(2026, 11, 27, 21, 0, 0, 0, time.UTC)

// seed writes an execution with one task and n action executions, the
// i-th created i seconds after t0.
func seed(t *testing.T, s *store.Store, n int) {
	t.Helper()
	ctx := context.Background()
	err := s.Update(ctx, func(tx engine.Tx) error {
		ex := &engine.Execution{ID: "ex", WorkflowID: "wf", WorkflowName: "wf", State: engine.StateRunning,
			ParamsJSON: "{}", InputJSON: "{}", OutputJSON: "{}", ContextJSON: "{}", Definition: "x", ProjectID: "p", CreatedAt: t0, UpdatedAt: t0}
		if err := tx.CreateExecution(ctx, ex); err != nil {
			return err
		}
		task := &engine.Task{ID: "task", Name: "t", Type: engine.TaskTypeAction, WorkflowExecutionID: "ex", WorkflowName: "wf",
			WorkflowID: "wf", State: engine.StateRunning, RuntimeContextJSON: "{}", InContextJSON: "{}", PublishedJSON: "{}",
			ResultJSON: "null", ProjectID: "p", CreatedAt: t0, UpdatedAt: t0}
		if err := tx.CreateTask(ctx, task); err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			state := engine.StateRunning
			if i%3 == 0 {
				state = engine.StateSuccess
			}
			at := t0.Add(time.Duration(i) * time.Second)
			a := &engine.ActionExecution{ID: fmt.Sprintf("a%02d", i), Name: "std.async_noop", TaskExecutionID: &task.ID,
				WorkflowExecutionID: &ex.ID, State: state, ProjectID: "p", InputJSON: "{}", CreatedAt: at, UpdatedAt: at}
			if err := tx.CreateActionExecution(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func ids(list []*engine.ActionExecution) []string {
	out := make([]string, len(list))
	for i, a := range list {
		out[i] = a.ID
	}
	return out
}

func TestGuardedUpdate(t *testing.T) {
	t.Parallel()
	s := open(t, filepath.Join(t.TempDir(), "db"))
	seed(t, s, 1)
	ctx := context.Background()
	a, err := s.GetActionExecution(ctx, "a00") // SUCCESS
	if err != nil {
		t.Fatal(err)
	}
	a.State = engine.StateError
	err = s.Update(ctx, func(tx engine.Tx) error {
		return tx.UpdateActionExecution(ctx, a, engine.StateRunning, engine.StatePaused)
	})
	if !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("guarded update of a finished action: err = %v, want ErrConflict", err)
	}
	got, _ := s.GetActionExecution(ctx, "a00")
	if got.State != engine.StateSuccess {
		t.Errorf("state changed to %s despite the guard", got.State)
	}
	if _, err := s.GetActionExecution(ctx, "nope"); fault.Code(err) != fault.ENOTFOUND {
		t.Errorf("unknown id: err = %v, want ENOTFOUND", err)
	}
}

func TestRollbackLosesNothingCommitted(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "db")
	s := open(t, path)
	seed(t, s, 2)
	ctx := context.Background()
	boom := errors.New("boom")
	err := s.Update(ctx, func(tx engine.Tx) error {
		a, _ := tx.GetActionExecution(ctx, "a01")
		a.State = engine.StateSuccess
		if err := tx.UpdateActionExecution(ctx, a); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	s.Close()
	// Reopen: migrations are not applied twice, the data is there, and the
	// rolled-back change is not.
	s2 := open(t, path)
	a, err := s2.GetActionExecution(ctx, "a01")
	if err != nil {
		t.Fatal(err)
	}
	if a.State != engine.StateRunning {
		t.Errorf("rolled back change is visible: state %s", a.State)
	}
}

func TestListQueries(t *testing.T) {
	t.Parallel()
	s := open(t, filepath.Join(t.TempDir(), "db"))
	seed(t, s, 10)
	ctx := context.Background()
	q := func(lq engine.ListQuery) []string {
		t.Helper()
		list, err := s.ListActionExecutions(ctx, lq)
		if err != nil {
			t.Fatalf("%+v: %v", lq, err)
		}
		return ids(list)
	}
	f := func(field, op string, v ...string) engine.Filter {
		return engine.Filter{Field: field, Op: op, Values: v}
	}
	tests := []struct {
		name string
		q    engine.ListQuery
		want string
	}{
		{"default order", engine.ListQuery{Limit: 3}, "[a00 a01 a02]"},
		{"desc", engine.ListQuery{Limit: 3, SortKeys: []string{"created_at"}, SortDirs: []string{"desc"}}, "[a09 a08 a07]"},
		{"marker", engine.ListQuery{Limit: 3, Marker: "a02"}, "[a03 a04 a05]"},
		{"marker desc", engine.ListQuery{Limit: 3, Marker: "a07", SortKeys: []string{"created_at"}, SortDirs: []string{"desc"}}, "[a06 a05 a04]"},
		{"eq", engine.ListQuery{Filters: []engine.Filter{f("state", engine.OpEq, "SUCCESS")}}, "[a00 a03 a06 a09]"},
		{"in", engine.ListQuery{Limit: 2, Filters: []engine.Filter{f("state", engine.OpIn, "RUNNING", "PAUSED")}}, "[a01 a02]"},
		{"neq with marker", engine.ListQuery{Marker: "a05", Filters: []engine.Filter{f("state", engine.OpNeq, "SUCCESS")}}, "[a07 a08]"},
		{"time gte", engine.ListQuery{Filters: []engine.Filter{f("created_at", engine.OpGte, "2026-11-27 21:00:08")}}, "[a08 a09]"},
		{"time eq", engine.ListQuery{Filters: []engine.Filter{f("created_at", engine.OpEq, "2026-11-27 21:00:04")}}, "[a04]"},
		{"bool", engine.ListQuery{Filters: []engine.Filter{f("accepted", engine.OpEq, "false"), f("id", engine.OpLt, "a02")}}, "[a00 a01]"},
		{"has", engine.ListQuery{Filters: []engine.Filter{f("id", engine.OpHas, "9")}}, "[a09]"},
	}
	for _, tt := range tests {
		if got := fmt.Sprint(q(tt.q)); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}

	bad := []engine.ListQuery{
		{SortKeys: []string{"created_at; DROP TABLE jobs"}},
		{SortKeys: []string{"definition"}},
		{SortDirs: []string{"sideways"}},
		{Filters: []engine.Filter{f("1=1 OR state", engine.OpEq, "x")}},
		{Filters: []engine.Filter{f("state", "like", "x")}},
		{Filters: []engine.Filter{f("accepted", engine.OpEq, "maybe")}},
		{Nulls: []string{"nope"}},
	}
	for _, lq := range bad {
		if _, err := s.ListActionExecutions(ctx, lq); fault.Code(err) != fault.EINVALID {
			t.Errorf("%+v: err = %v, want EINVALID", lq, err)
		}
	}
	if _, err := s.ListActionExecutions(ctx, engine.ListQuery{Marker: "nope"}); fault.Code(err) != fault.ENOTFOUND {
		t.Errorf("unknown marker: err = %v, want ENOTFOUND", err)
	}
}

func TestJobsLeaseAndRelease(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "db")
	s := open(t, path)
	ctx := context.Background()
	claim := func(s *store.Store, now time.Time) []*engine.Job {
		var jobs []*engine.Job
		if err := s.Update(ctx, func(tx engine.Tx) error {
			var err error
			jobs, err = tx.ClaimJobs(ctx, now, now.Add(time.Minute), 10)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return jobs
	}
	if err := s.Update(ctx, func(tx engine.Tx) error {
		if err := tx.AddJob(ctx, &engine.Job{Kind: "k", Ref: "now", DueAt: t0}); err != nil {
			return err
		}
		return tx.AddJob(ctx, &engine.Job{Kind: "k", Ref: "later", DueAt: t0.Add(time.Hour)})
	}); err != nil {
		t.Fatal(err)
	}
	if due, ok, err := s.NextJobDue(ctx); err != nil || !ok || !due.Equal(t0) {
		t.Fatalf("NextJobDue = %v %v %v, want %v", due, ok, err, t0)
	}
	if got := claim(s, t0); len(got) != 1 || got[0].Ref != "now" {
		t.Fatalf("first claim = %+v", got)
	}
	if got := claim(s, t0.Add(time.Second)); len(got) != 0 {
		t.Fatalf("leased job claimed again: %+v", got)
	}
	if got := claim(s, t0.Add(2*time.Minute)); len(got) != 1 {
		t.Fatalf("expired lease not claimable: %+v", got)
	}
	s.Close()
	// A new process releases the dead one's leases.
	s2 := open(t, path)
	if got := claim(s2, t0.Add(3*time.Minute)); len(got) != 1 || got[0].Ref != "now" {
		t.Fatalf("after reopen = %+v", got)
	}
}

// TestGroupCommit: concurrent updates share commits, yet each succeeds or
// fails alone, and a failing one leaves no trace.
func TestGroupCommit(t *testing.T) {
	t.Parallel()
	s := open(t, filepath.Join(t.TempDir(), "db"))
	ctx := context.Background()
	const n = 200
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func(i int) {
			errs <- s.Update(ctx, func(tx engine.Tx) error {
				if err := tx.AddJob(ctx, &engine.Job{Kind: "k", Ref: fmt.Sprint(i), DueAt: t0}); err != nil {
					return err
				}
				// Timeline rows wait for the commit of the batch: they must
				// be dropped with a failed update and kept in order otherwise.
				if err := tx.AddStateChanges(ctx, []engine.Event{
					{Kind: "action_execution", ID: fmt.Sprint(i), State: engine.StateRunning, At: t0},
					{Kind: "action_execution", ID: fmt.Sprint(i), State: engine.StateSuccess, At: t0},
				}); err != nil {
					return err
				}
				if i%10 == 0 {
					return fmt.Errorf("fail %d", i)
				}
				if i%25 == 1 {
					panic("boom")
				}
				return nil
			})
		}(i)
	}
	failed := 0
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			failed++
		}
	}
	if want := 20 + 8; failed != want { // i%10==0: 20; i%25==1 (1, 26, ..., 176): 8
		t.Errorf("%d updates failed, want %d", failed, want)
	}
	var jobs []*engine.Job
	if err := s.Update(ctx, func(tx engine.Tx) error {
		var err error
		jobs, err = tx.ClaimJobs(ctx, t0, t0.Add(time.Minute), 1000)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(jobs) != n-28 {
		t.Errorf("%d jobs committed, want %d", len(jobs), n-28)
	}
	for _, j := range jobs {
		var i int
		fmt.Sscan(j.Ref, &i)
		if i%10 == 0 || i%25 == 1 {
			t.Errorf("job %d of a failed update was committed", i)
		}
	}
	for i := 0; i < n; i++ {
		evs, err := s.StateChanges(ctx, fmt.Sprint(i))
		if err != nil {
			t.Fatal(err)
		}
		var states []engine.State
		for _, ev := range evs {
			states = append(states, ev.State)
		}
		want := []engine.State{engine.StateRunning, engine.StateSuccess}
		if i%10 == 0 || i%25 == 1 {
			want = nil
		}
		if fmt.Sprint(states) != fmt.Sprint(want) {
			t.Errorf("timeline of update %d: %v, want %v", i, states, want)
		}
	}
}

// TestBatchRerun holds the writer on one update while six more queue up,
// so that they share a batch; one of them fails. The batch runs without
// savepoints; when the failed update had written, the batch is rolled back
// and run again with a savepoint per update. Either way the failed update
// leaves nothing and the others are committed exactly once.
func TestBatchRerun(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		writes     bool // the failing update writes before it fails
		wantReruns uint64
	}{
		{"fails after writing", true, 1},
		{"fails before writing", false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := open(t, filepath.Join(t.TempDir(), "db"))
			ctx := context.Background()
			running, release := make(chan struct{}), make(chan struct{})
			first := make(chan error, 1)
			go func() {
				first <- s.Update(ctx, func(tx engine.Tx) error {
					close(running)
					<-release
					return nil
				})
			}()
			<-running
			const n = 6
			errs := make(chan error, n)
			for i := 0; i < n; i++ {
				go func() {
					errs <- s.Update(ctx, func(tx engine.Tx) error {
						if i == 3 && !tc.writes {
							return errors.New("fails before writing")
						}
						if err := tx.AddJob(ctx, &engine.Job{Kind: "k", Ref: fmt.Sprint(i), DueAt: t0}); err != nil {
							return err
						}
						if i == 3 {
							return errors.New("fails after writing")
						}
						return nil
					})
				}()
			}
			for s.Queued() < n {
				runtime.Gosched() // until all six wait behind the first update
			}
			close(release)
			if err := <-first; err != nil {
				t.Fatal(err)
			}
			failed := 0
			for i := 0; i < n; i++ {
				if err := <-errs; err != nil {
					failed++
				}
			}
			if failed != 1 {
				t.Errorf("%d updates failed, want 1", failed)
			}
			var jobs []*engine.Job
			if err := s.Update(ctx, func(tx engine.Tx) error {
				var err error
				jobs, err = tx.ClaimJobs(ctx, t0, t0.Add(time.Minute), 100)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			var refs []string
			for _, j := range jobs {
				refs = append(refs, j.Ref)
			}
			slices.Sort(refs)
			if want := []string{"0", "1", "2", "4", "5"}; !slices.Equal(refs, want) {
				t.Errorf("committed jobs %v, want %v (each once, none of the failed update)", refs, want)
			}
			if w := s.WriterStats(); w.Reruns != tc.wantReruns {
				t.Errorf("%d batches rerun, want %d", w.Reruns, tc.wantReruns)
			}
		})
	}
}

func TestUpdateAfterClose(t *testing.T) {
	t.Parallel()
	s, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := s.Update(context.Background(), func(engine.Tx) error { return nil }); err == nil {
		t.Error("Update after Close succeeded")
	}
}

func TestBackup(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := open(t, filepath.Join(dir, "db"))
	seed(t, s, 3)
	ctx := context.Background()
	out := filepath.Join(dir, "copy.db")
	if err := s.Backup(ctx, out); err != nil {
		t.Fatal(err)
	}
	if err := s.Backup(ctx, out); err == nil {
		t.Error("a backup over an existing file succeeded")
	}
	c := open(t, out)
	list, err := c.ListActionExecutions(ctx, engine.ListQuery{})
	if err != nil || len(list) != 3 {
		t.Fatalf("backup holds %d action executions (%v), want 3", len(list), err)
	}
}

// TestDeleteExecutionTakesItsJobs: deleting an execution removes its
// actions' jobs, its tasks' timers and its actions' callback tokens with it.
func TestDeleteExecutionTakesItsJobs(t *testing.T) {
	t.Parallel()
	s := open(t, filepath.Join(t.TempDir(), "db"))
	seed(t, s, 1)
	ctx := context.Background()
	for _, id := range []string{"a00", "unrelated"} {
		if err := update(s.Auth(), func(tx auth.Tx) error { return tx.PutCallbackToken(ctx, id, "hash of "+id, t0) }); err != nil {
			t.Fatal(err)
		}
	}
	err := s.Update(ctx, func(tx engine.Tx) error {
		for _, ref := range []string{"a00", "task", "unrelated"} {
			if err := tx.AddJob(ctx, &engine.Job{Kind: "k", Ref: ref, DueAt: t0}); err != nil {
				return err
			}
		}
		return tx.DeleteExecution(ctx, "ex")
	})
	if err != nil {
		t.Fatal(err)
	}
	var left []*engine.Job
	if err := s.Update(ctx, func(tx engine.Tx) error {
		var err error
		left, err = tx.ClaimJobs(ctx, t0, t0.Add(time.Minute), 10)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 || left[0].Ref != "unrelated" {
		t.Errorf("jobs left after deleting the execution: %+v", left)
	}
	if _, err := s.Auth().CallbackTokenHash(ctx, "a00"); fault.Code(err) != fault.ENOTFOUND {
		t.Errorf("the callback token of a deleted action: %v, want not found", err)
	}
	if _, err := s.Auth().CallbackTokenHash(ctx, "unrelated"); err != nil {
		t.Errorf("another action's callback token: %v", err)
	}
}

// GetActionScope reads an action with its task and execution in one go;
// an ad-hoc action has neither, and an unknown id is not found.
func TestGetActionScope(t *testing.T) {
	t.Parallel()
	s := open(t, filepath.Join(t.TempDir(), "db"))
	seed(t, s, 2)
	ctx := context.Background()
	if err := s.Update(ctx, func(tx engine.Tx) error {
		return tx.CreateActionExecution(ctx, &engine.ActionExecution{ID: "adhoc", Name: "std.echo", State: engine.StateRunning,
			ProjectID: "p", InputJSON: `{"output": 1}`, CreatedAt: t0, UpdatedAt: t0})
	}); err != nil {
		t.Fatal(err)
	}
	a, task, ex, err := s.GetActionScope(ctx, "a01")
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != "a01" || a.State != engine.StateRunning || task == nil || task.ID != "task" || task.Name != "t" ||
		ex == nil || ex.ID != "ex" || ex.Definition != "x" || ex.State != engine.StateRunning {
		t.Errorf("GetActionScope(a01) = %+v, %+v, %+v", a, task, ex)
	}
	a, task, ex, err = s.GetActionScope(ctx, "adhoc")
	if err != nil || a.ID != "adhoc" || a.InputJSON != `{"output": 1}` || task != nil || ex != nil {
		t.Errorf("GetActionScope(adhoc) = %+v, %+v, %+v, %v", a, task, ex, err)
	}
	if _, _, _, err := s.GetActionScope(ctx, "nope"); fault.Code(err) != fault.ENOTFOUND {
		t.Errorf("GetActionScope(nope) error = %v, want ENOTFOUND", err)
	}
}

// WriterStats counts committed transactions and every update run.
func TestWriterStats(t *testing.T) {
	t.Parallel()
	s := open(t, filepath.Join(t.TempDir(), "db"))
	ctx := context.Background()
	for _, fail := range []bool{false, true, false} {
		err := s.Update(ctx, func(tx engine.Tx) error {
			if fail {
				return errors.New("no")
			}
			return tx.AddJob(ctx, &engine.Job{Kind: "k", Ref: "r", DueAt: t0})
		})
		if (err != nil) != fail {
			t.Fatalf("update (fail=%v): %v", fail, err)
		}
	}
	w := s.WriterStats()
	if w.Batches != 2 || w.Updates != 3 || w.Reruns != 0 || w.Busy <= 0 || w.Commit <= 0 {
		t.Errorf("WriterStats() = %+v; want 2 batches, 3 updates, no reruns, busy and commit > 0", w)
	}
}
