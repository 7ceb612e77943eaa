package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/sirocco-project/sirocco/internal/fault"
)

// maxIdleWait bounds how long the worker sleeps without a wake-up: a job
// or timer added by another replica, or a lease that expired, runs within
// it even when the replica's notice was lost (the notice wakes the worker
// at once otherwise).
const maxIdleWait = time.Second

// Run runs the job worker until ctx ends, then waits for the jobs in
// flight. Jobs left from before a restart run at once. It also records
// this replica's heartbeats and, over a store shared by several replicas
// (a Notifier), acts on their notices.
func (e *Engine) Run(ctx context.Context) error {
	slots := make(chan struct{}, e.workers)
	if err := e.beat(ctx); err != nil && ctx.Err() == nil {
		e.log.Warn("replica heartbeat failed", "err", err)
	}
	e.scheduleRetention(ctx)
	background := e.runBackground(ctx)
	defer background()
	e.running.Store(true)
	defer e.running.Store(false)
	e.startedOnce.Do(func() { close(e.started) })
	defer e.wg.Wait()
	for {
		free := cap(slots) - len(slots)
		var jobs []*Job
		if free > 0 {
			now := e.now()
			err := e.store.Update(ctx, func(tx Tx) error {
				var err error
				jobs, err = tx.ClaimJobs(ctx, e.owner, now, now.Add(e.jobLease), free)
				return err
			})
			if err != nil && ctx.Err() == nil {
				e.log.Error("claim jobs", "err", err)
			}
		}
		for _, j := range jobs {
			slots <- struct{}{}
			e.wg.Add(1)
			go func(j *Job) {
				defer e.wg.Done()
				defer func() { <-slots; e.Notify() }()
				// A job whose lease is lost stops: another worker runs it.
				jctx, lost := context.WithCancel(ctx)
				defer lost()
				stop := e.holdLease(jctx, lost, j)
				defer stop()
				e.jobLog.write(j, e.owner, JobStarted)
				err := e.runJob(jctx, j)
				e.jobLog.write(j, e.owner, JobEnded)
				switch {
				case errors.Is(err, fault.ErrConflict) || (jctx.Err() != nil && ctx.Err() == nil):
					e.log.Warn("job lost its lease to another worker; its effects were rolled back", "kind", j.Kind, "ref", j.Ref, "err", err)
				case err != nil && ctx.Err() == nil:
					e.log.Error("job failed; it runs again when its lease expires", "kind", j.Kind, "ref", j.Ref, "err", err)
				}
			}(j)
		}
		if len(jobs) > 0 && len(jobs) == free {
			continue // maybe more are due
		}
		wait := maxIdleWait
		if due, ok, err := e.store.NextJobDue(ctx); err == nil && ok {
			if d := due.Sub(e.now()); d < wait {
				wait = d
			}
		}
		if wait < time.Millisecond {
			wait = time.Millisecond
		}
		select {
		case <-ctx.Done():
			return nil
		case <-e.wake:
		case <-e.after(wait):
		}
	}
}

// Job log events.
const (
	JobStarted = "start" // logged after the claim committed, before the job runs
	JobEnded   = "end"   // logged after the job's outcome committed (or failed)
)

// JobLogEntry is a line of the job log (Config.JobLog).
type JobLogEntry struct {
	Job   int64     `json:"job"`
	Kind  string    `json:"kind"`
	Ref   string    `json:"ref"`
	Owner string    `json:"owner"` // the lease owner: LeaseOwner of the engine
	Event string    `json:"event"` // JobStarted or JobEnded
	At    time.Time `json:"at"`    // the wall clock, when the line is written
}

// jobLog writes the job log; nil writes nothing.
type jobLog struct {
	mu sync.Mutex
	w  io.Writer
}

// write appends one line in one Write, so that a log file opened with
// O_APPEND holds whole lines even when the process is killed.
func (l *jobLog) write(j *Job, owner, event string) {
	if l == nil {
		return
	}
	b, _ := json.Marshal(JobLogEntry{Job: j.ID, Kind: j.Kind, Ref: j.Ref, Owner: owner, Event: event, At: time.Now().UTC()})
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = l.w.Write(append(b, '\n'))
}

// runBackground starts the heartbeats and, when the store is a Notifier,
// the listener; the function it returns waits for them to end with ctx.
func (e *Engine) runBackground(ctx context.Context) (wait func()) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); e.heartbeats(ctx) }()
	if n, ok := e.store.(Notifier); ok {
		wg.Add(1)
		go func() { defer wg.Done(); e.listen(ctx, n) }()
	}
	return wg.Wait
}

// holdLease extends a running job's lease until stop is called, so that a
// long action (std.sleep, a slow std.http) is never taken for abandoned and
// run a second time while it still runs. If the lease was lost meanwhile
// (this worker stalled past it and another claimed the job), it calls lost.
func (e *Engine) holdLease(ctx context.Context, lost context.CancelFunc, j *Job) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(e.jobLease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				until := e.now().Add(e.jobLease)
				err := e.store.Update(ctx, func(tx Tx) error { return tx.ExtendJobLease(ctx, j.ID, e.owner, until) })
				if errors.Is(err, fault.ErrConflict) {
					lost()
					return
				}
				if err != nil && ctx.Err() == nil {
					e.log.Warn("extend job lease", "kind", j.Kind, "ref", j.Ref, "err", err)
				}
			}
		}
	}()
	return func() { close(done); <-finished }
}

// Ready reports whether the engine can work: its database answers and its
// job worker runs.
func (e *Engine) Ready(ctx context.Context) error {
	if !e.running.Load() {
		return errors.New("the job worker is not running")
	}
	if _, _, err := e.store.NextJobDue(ctx); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	return nil
}

// PendingActions counts the asynchronous action executions awaiting a result.
func (e *Engine) PendingActions(ctx context.Context) (int, error) {
	p, err := e.store.Inbox(ctx, InboxQuery{Limit: 1})
	if err != nil {
		return 0, err
	}
	return p.Pending, nil
}

func (e *Engine) runJob(ctx context.Context, j *Job) error {
	switch j.Kind {
	case JobRunAction:
		return e.runActionJob(ctx, j)
	case JobTaskTimeout, JobTaskWaitBefore, JobTaskRetry, JobTaskWaitAfter, JobStartWorkflow:
		return e.runTimerJob(ctx, j)
	case JobDeliver:
		return e.runDeliveryJob(ctx, j)
	case JobCronFire:
		return e.runCronJob(ctx, j)
	case JobRetention:
		return e.runRetentionJob(ctx, j)
	case JobApprovalRung:
		return e.runRungJob(ctx, j)
	}
	e.log.Warn("unknown job kind; dropping it", "kind", j.Kind, "ref", j.Ref)
	return e.store.Update(ctx, func(tx Tx) error { return tx.DeleteJob(ctx, j.ID, e.owner) })
}

// runActionJob runs an action execution's action. Its I/O happens outside
// any transaction; the outcome and the job's deletion commit together, so a
// crash in between runs the action again (at-least-once: receivers of
// std.mistral_http deduplicate on Mistral-Action-Execution-Id).
func (e *Engine) runActionJob(ctx context.Context, j *Job) error {
	a, err := e.store.GetActionExecution(ctx, j.Ref)
	if err != nil || a.State != StateRunning {
		if err != nil && fault.Code(err) != fault.ENOTFOUND {
			return err
		}
		// Gone or finished meanwhile (a callback can beat the request).
		return e.update(ctx, func(w *work) error { return w.tx.DeleteJob(ctx, j.ID, e.owner) })
	}
	act, err := e.resolveAction(ctx, e.store, a.Name, a.WorkflowNamespace, "")
	if err != nil {
		return err
	}
	in, err := act.check(decodeObject(a.InputJSON))
	if err != nil {
		return err
	}
	state, result := e.invoke(ctx, act, a, in)
	if ctx.Err() != nil {
		return ctx.Err() // shutting down: the job runs again after restart
	}
	var record *string
	if b := act.builtin().name; b == "std.mistral_http" || b == "std.http" {
		record = strPtr(encodeOrNull(requestRecord(act.builtinInput(in), e, a)))
	}
	return e.update(ctx, func(w *work) error {
		// First: a worker that lost the lease changes nothing.
		if err := w.tx.DeleteJob(ctx, j.ID, e.owner); err != nil {
			return err
		}
		a, err := w.tx.GetActionExecution(ctx, j.Ref)
		if err != nil {
			return err
		}
		if a.WorkflowExecutionID != nil {
			if _, err := w.lockTree(*a.WorkflowExecutionID); err != nil {
				return err
			}
			// Read again under the lock: a callback may have beaten it.
			if a, err = w.tx.GetActionExecution(ctx, j.Ref); err != nil {
				return err
			}
		}
		if record != nil && a.State == StateRunning {
			a.RequestJSON = record
			if err := w.writeAction(a, StateRunning); err != nil {
				return err
			}
			w.publish(Event{Kind: "action_execution", ID: a.ID, State: a.State, Async: a.Async, ExecutionID: deref(a.WorkflowExecutionID), Detail: true})
		}
		if act.async && state == StateSuccess {
			return nil // sent: now it waits for its callback
		}
		if a.State.Completed() {
			return nil // completed by someone else meanwhile
		}
		return w.recordResult(a, state, result)
	})
}

// recordResult completes a with what running its action returned; a
// conflict means someone completed it meanwhile, which changes nothing.
func (w *work) recordResult(a *ActionExecution, state State, result any) error {
	outJSON, err := encode(map[string]any{"result": result})
	if err != nil {
		outJSON = encodeOrNull(map[string]any{"result": err.Error()})
		state = StateError
	}
	if err := w.completeAction(a, state, outJSON, ViaEngine, ""); err != nil && !errors.Is(err, fault.ErrConflict) {
		return err
	}
	return nil
}
