package sqlite_test

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
	"github.com/sirocco-project/sirocco/internal/sqlite"
	"github.com/sirocco-project/sirocco/internal/storetest"
)

func open(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestContract runs the behaviours every store promises (package
// storetest) against SQLite; the tests below are SQLite's own.
func TestContract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, storetest.Harness{Open: func(t *testing.T) (engine.Store, auth.Store) {
		s := open(t, filepath.Join(t.TempDir(), "db"))
		return s, s.Auth()
	}, Serial: true})
}

var t0 = time.Date(2026, 11, 27, 21, 0, 0, 0, time.UTC)

// addActions writes n running ad-hoc action executions a00, a01, …, the
// i-th created i seconds after t0.
func addActions(t *testing.T, s *sqlite.Store, n int) {
	t.Helper()
	ctx := context.Background()
	err := s.Update(ctx, func(tx engine.Tx) error {
		for i := 0; i < n; i++ {
			at := t0.Add(time.Duration(i) * time.Second)
			if err := tx.CreateActionExecution(ctx, &engine.ActionExecution{ID: fmt.Sprintf("a%02d", i), Name: "std.async_noop",
				State: engine.StateRunning, ProjectID: "p", InputJSON: "{}", CreatedAt: at, UpdatedAt: at}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRollbackLosesNothingCommitted: after a reopen, migrations are not
// applied twice, the data is there, and a rolled-back change is not.
func TestRollbackLosesNothingCommitted(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "db")
	s := open(t, path)
	addActions(t, s, 2)
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
	s2 := open(t, path)
	a, err := s2.GetActionExecution(ctx, "a01")
	if err != nil {
		t.Fatal(err)
	}
	if a.State != engine.StateRunning {
		t.Errorf("rolled back change is visible: state %s", a.State)
	}
}

// TestReopenReleasesLeases: a SQLite file is served by one process, so
// the leases a new one finds belong to a dead one: their jobs run at once.
func TestReopenReleasesLeases(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "db")
	s := open(t, path)
	ctx := context.Background()
	claim := func(s *sqlite.Store, now time.Time) []*engine.Job {
		var jobs []*engine.Job
		if err := s.Update(ctx, func(tx engine.Tx) error {
			var err error
			jobs, err = tx.ClaimJobs(ctx, "test", now, now.Add(time.Minute), 10)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return jobs
	}
	if err := s.Update(ctx, func(tx engine.Tx) error {
		return tx.AddJob(ctx, &engine.Job{Kind: "k", Ref: "now", DueAt: t0})
	}); err != nil {
		t.Fatal(err)
	}
	if got := claim(s, t0); len(got) != 1 || got[0].Ref != "now" {
		t.Fatalf("first claim = %+v", got)
	}
	if got := claim(s, t0.Add(time.Second)); len(got) != 0 {
		t.Fatalf("leased job claimed again: %+v", got)
	}
	s.Close()
	s2 := open(t, path)
	if got := claim(s2, t0.Add(2*time.Second)); len(got) != 1 || got[0].Ref != "now" {
		t.Fatalf("after reopen = %+v", got)
	}
}

// TestBatchRerun holds the writer on one update while six more queue up,
// so that they share a batch; one of them fails (returns an error or
// panics). The batch runs without savepoints; when the failed update had
// written, the batch is rolled back and run again with a savepoint per
// update. Either way the failed update leaves nothing, its timeline
// included, and the others are committed exactly once.
func TestBatchRerun(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		writes     bool // the failing update writes before it fails
		panics     bool // and fails by panicking
		wantReruns uint64
	}{
		{"fails after writing", true, false, 1},
		{"fails before writing", false, false, 0},
		{"panics after writing", true, true, 1},
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
						// The timeline is held until the commit, not written.
						ev := engine.Event{Kind: "action_execution", ID: fmt.Sprint(i), State: engine.StateRunning, At: t0}
						if err := tx.AddStateChanges(ctx, []engine.Event{ev}); err != nil {
							return err
						}
						if i == 3 && !tc.writes {
							return errors.New("fails before writing")
						}
						if err := tx.AddJob(ctx, &engine.Job{Kind: "k", Ref: fmt.Sprint(i), DueAt: t0}); err != nil {
							return err
						}
						if i == 3 && tc.panics {
							panic("boom")
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
				jobs, err = tx.ClaimJobs(ctx, "test", t0, t0.Add(time.Minute), 100)
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
			for i := 0; i < n; i++ {
				evs, err := s.StateChanges(ctx, fmt.Sprint(i))
				if err != nil {
					t.Fatal(err)
				}
				if want := map[bool]int{true: 0, false: 1}[i == 3]; len(evs) != want {
					t.Errorf("update %d left %d timeline events, want %d", i, len(evs), want)
				}
			}
			if w := s.WriterStats(); w.Reruns != tc.wantReruns {
				t.Errorf("%d batches rerun, want %d", w.Reruns, tc.wantReruns)
			}
		})
	}
}

func TestBackup(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := open(t, filepath.Join(dir, "db"))
	addActions(t, s, 3)
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
