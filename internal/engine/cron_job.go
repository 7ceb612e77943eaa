package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sirocco-project/sirocco/internal/fault"
)

// JobCronFire fires a cron trigger; Ref is "<trigger id> <due time>"
// (cronRef).
const JobCronFire = "cron_fire"

// errCronMoved ends a firing whose trigger another firing (a replica, a
// second job) advanced first: that one started the execution.
var errCronMoved = errors.New("the cron trigger moved meanwhile")

// runCronJob fires a cron trigger's due time. The trigger's advance
// (guarded by its version), the execution it starts and the job's deletion
// are one transaction: each due time gives one execution, whichever
// replica runs it and however often it is retried. A time missed while no
// server ran fires once, at once; the next is the pattern's first time
// after now, as Mistral does.
func (e *Engine) runCronJob(ctx context.Context, j *Job) error {
	return e.fireCron(ctx, j)
}

// fireCron fires the trigger and due time of job j (its DeleteJob runs in
// the transaction when j.ID is not 0).
func (e *Engine) fireCron(ctx context.Context, j *Job) error {
	drop := func() error {
		if j.ID == 0 {
			return nil
		}
		return e.update(ctx, func(w *work) error { return w.tx.DeleteJob(ctx, j.ID, e.owner) })
	}
	id, due, err := parseCronRef(j.Ref)
	if err != nil {
		e.log.Warn("cron job with a bad ref; dropping it", "ref", j.Ref, "err", err)
		return drop()
	}
	c, err := e.store.GetCronTrigger(ctx, id)
	if fault.Code(err) == fault.ENOTFOUND {
		return drop() // deleted meanwhile
	}
	if err != nil {
		return err
	}
	if c.State != CronActive || !c.NextExecutionTime.Equal(due) {
		return drop() // paused, stopped, or fired by another job
	}
	if c.CreatedBy != "" && e.creators != nil {
		reason, err := e.creators.MayStart(ctx, c.CreatedBy)
		if err != nil {
			return fmt.Errorf("check the creator of cron trigger %s: %w", c.Name, err)
		}
		if reason != "" {
			return e.stopCron(ctx, j, c, reason)
		}
	}
	params := decodeOrdered(c.WorkflowParamsJSON)
	req := StartRequest{
		WorkflowID:  c.WorkflowID,
		Namespace:   c.WorkflowNamespace,
		Description: cronDescription(c),
		Input:       decodeObject(c.WorkflowInputJSON),
		Params:      params.Map(),
		ParamsOrder: params.Keys(),
		CreatedBy:   c.CreatedBy,
		inTx: func(w *work, ex *Execution) error {
			if j.ID != 0 {
				if err := w.tx.DeleteJob(ctx, j.ID, e.owner); err != nil {
					return err
				}
			}
			return w.advanceCron(c, ex)
		},
	}
	_, err = e.StartExecution(ctx, req)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errCronMoved):
		return drop()
	case errors.Is(err, fault.ErrConflict) && j.ID != 0:
		return err // the job's lease was lost: its new holder fires it
	case isClientFault(err):
		// The workflow cannot start (deleted, or its input no longer
		// fits): said on the trigger rather than retried for ever.
		return e.stopCron(ctx, j, c, fmt.Sprintf("The execution due at %s UTC could not start: %s", due.Format(time.DateTime), fault.Message(err)))
	}
	return err
}

// isClientFault reports errors that a retry cannot cure.
func isClientFault(err error) bool {
	switch fault.Code(err) {
	case fault.EINVALID, fault.ENOTFOUND, fault.EFORBIDDEN:
		return true
	}
	return false
}

// advanceCron moves trigger c (as read before the transaction) past the
// due time it fires, in the transaction that starts ex: to the pattern's
// first time after now (or after its due time, if that is later), one
// execution fewer, or deleted when none remain (as Mistral does).
func (w *work) advanceCron(c *CronTrigger, ex *Execution) error {
	cur, err := w.tx.GetCronTrigger(w.ctx, c.ID)
	if fault.Code(err) == fault.ENOTFOUND {
		return errCronMoved
	}
	if err != nil {
		return err
	}
	if cur.Version != c.Version || cur.State != CronActive || !cur.NextExecutionTime.Equal(c.NextExecutionTime) {
		return errCronMoved
	}
	due := cur.NextExecutionTime
	if cur.RemainingExecutions != nil {
		n := *cur.RemainingExecutions - 1
		cur.RemainingExecutions = &n
	}
	if cur.Pattern == "" || (cur.RemainingExecutions != nil && *cur.RemainingExecutions <= 0) {
		if err := w.tx.DeleteCronTrigger(w.ctx, cur.ID, cur.Version); err != nil {
			return cronGuard(err)
		}
		return nil
	}
	now := w.e.now()
	from := now
	if due.After(from) {
		from = due
	}
	next, err := cronNext(cur.Pattern, from)
	if err != nil {
		return err
	}
	last := append([]CronExecution{{ID: ex.ID, At: due}}, cur.LastExecutions()...)
	cur.LastExecutionsJSON = encodeOrNull(last[:min(len(last), cronKeepLast)])
	cur.NextExecutionTime, cur.UpdatedAt = next, &now
	if err := w.tx.UpdateCronTrigger(w.ctx, cur); err != nil {
		return cronGuard(err)
	}
	return w.addJob(JobCronFire, cronRef(cur.ID, next), next)
}

// cronGuard turns a lost version guard into errCronMoved.
func cronGuard(err error) error {
	if errors.Is(err, fault.ErrConflict) || fault.Code(err) == fault.ENOTFOUND {
		return errCronMoved
	}
	return err
}

// stopCron stops trigger c with reason (its state and state_info say so
// on the API and the dashboard) and records it in the audit trail, in the
// transaction that deletes job j.
func (e *Engine) stopCron(ctx context.Context, j *Job, c *CronTrigger, reason string) error {
	err := e.update(ctx, func(w *work) error {
		if j.ID != 0 {
			if err := w.tx.DeleteJob(ctx, j.ID, e.owner); err != nil {
				return err
			}
		}
		cur, err := w.tx.GetCronTrigger(ctx, c.ID)
		if err != nil {
			return cronGuard(err)
		}
		if cur.Version != c.Version {
			return errCronMoved
		}
		now := e.now()
		cur.State, cur.StateInfo, cur.UpdatedAt = CronStopped, &reason, &now
		if err := w.tx.UpdateCronTrigger(ctx, cur); err != nil {
			return cronGuard(err)
		}
		return w.auditAdmin(nil, "", "", fmt.Sprintf("stop cron trigger %s (id %s): %s", cur.Name, cur.ID, reason))
	})
	if errors.Is(err, errCronMoved) {
		return nil
	}
	if err == nil {
		e.log.Warn("cron trigger stopped", "trigger", c.Name, "reason", reason)
	}
	return err
}
