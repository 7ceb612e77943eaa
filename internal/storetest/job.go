package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
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
			claimed, err := tx.ClaimJobs(ctx, now, now.Add(time.Minute), limit)
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
		if err := tx.ExtendJobLease(ctx, jobs["a"].ID, t0.Add(5*time.Minute)); err != nil {
			return err
		}
		return tx.DeleteJob(ctx, jobs["b"].ID)
	})
	next(t0.Add(time.Second + time.Minute)) // c's lease ends first
	claimN(t0.Add(2*time.Minute), 10, "c")  // a extended, b gone
	claimN(t0.Add(6*time.Minute), 10, "a", "c")
}
