package engine

import (
	"context"
	"time"
)

// RunDueJobs claims the jobs due by e's clock and runs each in turn, as
// the worker would but in the caller's goroutine, until none is due; it
// returns how many ran. Tests drive time with an injected clock and call
// it instead of running the worker.
func RunDueJobs(ctx context.Context, e *Engine) (int, error) {
	ran := 0
	for {
		var jobs []*Job
		now := e.now()
		err := e.store.Update(ctx, func(tx Tx) error {
			var err error
			jobs, err = tx.ClaimJobs(ctx, e.owner, now, now.Add(e.jobLease), 100)
			return err
		})
		if err != nil || len(jobs) == 0 {
			return ran, err
		}
		for _, j := range jobs {
			if err := e.runJob(ctx, j); err != nil {
				return ran, err
			}
			ran++
		}
	}
}

// FireCron fires trigger id's due time as a job would, without a job row:
// what two replicas racing for the same due time do.
func FireCron(ctx context.Context, e *Engine, id string, due time.Time) error {
	return e.fireCron(ctx, &Job{Kind: JobCronFire, Ref: cronRef(id, due)})
}
