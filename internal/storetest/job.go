package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// testJobs: jobs are claimed earliest due first, up to the limit; a claim
// leases them, so no other worker runs them until the lease ends (then
// they are due again: their worker died); a lease can be extended, a job
// deleted; NextJobDue tells when the next one becomes runnable.
func testJobs(t *testing.T, h Harness) {
	s, _ := h.Open(t)
	ctx := context.Background()
	if _, ok, err := s.NextJobDue(ctx); err != nil || ok {
		t.Fatalf("NextJobDue without jobs: ok %v, %v", ok, err)
	}
	jobs := map[string]*engine.Job{}
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		for ref, due := range map[string]time.Duration{"a": -2 * time.Second, "b": -time.Second, "c": 0, "later": time.Hour} {
			jobs[ref] = &engine.Job{Kind: engine.JobTaskTimeout, Ref: ref, DueAt: t0.Add(due)}
			if err := tx.AddJob(ctx, jobs[ref]); err != nil {
				return err
			}
		}
		return nil
	})
	next := func(want time.Time) {
		t.Helper()
		if due, ok, err := s.NextJobDue(ctx); err != nil || !ok || !due.Equal(want) {
			t.Errorf("NextJobDue = %v, %v, %v; want %v", due, ok, err, want)
		}
	}
	claimN := func(now time.Time, limit int, want ...string) {
		t.Helper()
		var got []string
		update(t, s, func(ctx context.Context, tx engine.Tx) error {
			claimed, err := tx.ClaimJobs(ctx, "worker", now, now.Add(time.Minute), limit)
			for _, j := range claimed {
				if j.Kind != engine.JobTaskTimeout || !j.DueAt.Equal(jobs[j.Ref].DueAt) || j.ID != jobs[j.Ref].ID {
					t.Errorf("claimed %+v, added %+v", j, jobs[j.Ref])
				}
				got = append(got, j.Ref)
			}
			return err
		})
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("claim at %v (limit %d) = %v, want %v", now.Sub(t0), limit, got, want)
		}
	}
	next(t0.Add(-2 * time.Second))
	claimN(t0, 2, "a", "b")
	next(t0) // c; a and b are leased for a minute
	claimN(t0.Add(time.Second), 10, "c")
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		if err := tx.ExtendJobLease(ctx, jobs["a"].ID, "worker", t0.Add(5*time.Minute)); err != nil {
			return err
		}
		return tx.DeleteJob(ctx, jobs["b"].ID, "worker")
	})
	next(t0.Add(time.Second + time.Minute)) // c's lease ends first
	claimN(t0.Add(2*time.Minute), 10, "c")  // a extended, b gone
	claimN(t0.Add(6*time.Minute), 10, "a", "c")
}

// testJobLeaseOwner: a claim records who holds the job. Only the holder
// extends its lease or deletes it: once its lease expired and another
// worker claimed the job, the first worker's extension and deletion are
// fault.ErrConflict and change nothing (the whole transaction with them
// rolls back), while the new holder's go through. A job never claimed is
// deleted by nobody through DeleteJob.
func testJobLeaseOwner(t *testing.T, h Harness) {
	s, _ := h.Open(t)
	ctx := context.Background()
	j := &engine.Job{Kind: engine.JobTaskTimeout, Ref: "r", DueAt: t0}
	seed(t, s, 0)
	update(t, s, func(ctx context.Context, tx engine.Tx) error { return tx.AddJob(ctx, j) })
	if err := s.Update(ctx, func(tx engine.Tx) error { return tx.DeleteJob(ctx, j.ID, "a") }); !errors.Is(err, fault.ErrConflict) {
		t.Errorf("DeleteJob of an unclaimed job: err = %v, want ErrConflict", err)
	}
	claimAs := func(owner string, now time.Time) []*engine.Job {
		t.Helper()
		var jobs []*engine.Job
		update(t, s, func(ctx context.Context, tx engine.Tx) error {
			var err error
			jobs, err = tx.ClaimJobs(ctx, owner, now, now.Add(time.Minute), 10)
			return err
		})
		return jobs
	}
	if got := claimAs("a", t0); len(got) != 1 || got[0].ID != j.ID {
		t.Fatalf("a's claim = %v, want the job", got)
	}
	if err := s.Update(ctx, func(tx engine.Tx) error { return tx.ExtendJobLease(ctx, j.ID, "b", t0.Add(time.Hour)) }); !errors.Is(err, fault.ErrConflict) {
		t.Errorf("ExtendJobLease by a worker that does not hold it: err = %v, want ErrConflict", err)
	}
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		return tx.ExtendJobLease(ctx, j.ID, "a", t0.Add(2*time.Minute))
	})
	if got := claimAs("b", t0.Add(time.Minute)); len(got) != 0 {
		t.Errorf("b claimed %v during a's extended lease", got)
	}
	// a stalls past its lease; b takes the job over.
	if got := claimAs("b", t0.Add(3*time.Minute)); len(got) != 1 {
		t.Fatalf("b's claim after a's lease expired = %v, want the job", got)
	}
	// a wakes: its transaction, which recorded an effect before deleting
	// the job, fails and leaves nothing.
	err := s.Update(ctx, func(tx engine.Tx) error {
		if err := tx.CreateExecution(ctx, execution("a-effect", t0)); err != nil {
			return err
		}
		return tx.DeleteJob(ctx, j.ID, "a")
	})
	if !errors.Is(err, fault.ErrConflict) {
		t.Errorf("DeleteJob by the worker whose lease was taken over: err = %v, want ErrConflict", err)
	}
	if _, err := s.GetExecution(ctx, "a-effect"); fault.Code(err) != fault.ENOTFOUND {
		t.Errorf("the effect of a's failed transaction is there: %v", err)
	}
	if err := s.Update(ctx, func(tx engine.Tx) error { return tx.ExtendJobLease(ctx, j.ID, "a", t0.Add(time.Hour)) }); !errors.Is(err, fault.ErrConflict) {
		t.Errorf("ExtendJobLease by the worker whose lease was taken over: err = %v, want ErrConflict", err)
	}
	update(t, s, func(ctx context.Context, tx engine.Tx) error { return tx.DeleteJob(ctx, j.ID, "b") })
	if _, ok, err := s.NextJobDue(ctx); ok || err != nil {
		t.Errorf("after b deleted the job: a job is still due (%v)", err)
	}
}
