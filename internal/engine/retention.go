package engine

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sirocco-project/sirocco/internal/fault"
)

// The retention policy (-retention) purges finished executions, as
// Mistral's execution_expiration_policy does: root executions finished
// longer ago than a bound (older_than), and those past the newest M
// (max_finished_executions), each with its sub-executions, tasks, action
// executions, timeline, jobs, callback tokens, idempotency answers and
// approval votes. The audit trail is kept whole: its records stand on
// their own (a decision's record holds who decided what, with which
// groups and comment), so the chain still verifies and the votes, which
// are the execution's working state, go with their action.
//
// It runs as one job (JobRetention) of the job system: one replica at a
// time holds its lease, it deletes in transactions of at most Batch
// records (callbacks and other updates run between them), and when it has
// nothing left to delete it schedules its next run Every later.

// JobRetention is the periodic job of the retention policy; its Ref is
// retentionRef.
const JobRetention = "retention"

const retentionRef = "executions"

// Retention defaults.
const (
	DefaultRetentionEvery = 10 * time.Minute
	DefaultRetentionBatch = 200
	maxRetentionBatch     = 10_000
)

// Retention is the retention policy. At least one of OlderThan and Keep
// is set.
type Retention struct {
	// OlderThan purges roots finished longer ago (older_than); 0: none.
	OlderThan time.Duration
	// Keep keeps at most this many finished roots, the newest
	// (max_finished_executions); 0: no bound.
	Keep int
	// Every is how often the policy runs (evaluation_interval).
	Every time.Duration
	// Batch bounds the records deleted per transaction (batch_size).
	Batch int
	// Ignore are terminal states never purged (ignored_states).
	Ignore []State
}

// ParseRetention parses -retention: comma-separated items, in any order,
// of which the first or second is required:
//
//	30d, 12h, 90m   purge executions finished longer ago than that
//	max=N           keep at most the N newest finished executions
//	every=D         run every D (default 10m)
//	batch=N         delete at most N records per transaction (default 200)
//	ignore=STATE    never purge executions in STATE (SUCCESS, ERROR or
//	                CANCELLED); may be repeated
//
// "" and "off" mean no policy (nil).
func ParseRetention(s string) (*Retention, error) {
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "off") {
		return nil, nil
	}
	r := &Retention{Every: DefaultRetentionEvery, Batch: DefaultRetentionBatch}
	seen := map[string]bool{}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		key, val, hasKey := strings.Cut(item, "=")
		if !hasKey {
			key, val = "older", item
		}
		if seen[key] && key != "ignore" {
			return nil, fault.Errorf(fault.EINVALID, "-retention %q: %s is given twice", s, retentionItemName(key))
		}
		seen[key] = true
		var err error
		switch key {
		case "older":
			r.OlderThan, err = parseRetentionDuration(val)
			if err == nil && r.OlderThan < time.Minute {
				err = fmt.Errorf("%q is less than a minute", val)
			}
		case "max":
			r.Keep, err = strconv.Atoi(val)
			if err == nil && r.Keep < 1 {
				err = fmt.Errorf("max=%s: want at least 1", val)
			}
		case "every":
			r.Every, err = parseRetentionDuration(val)
			if err == nil && r.Every < time.Second {
				err = fmt.Errorf("every=%s: want at least 1s", val)
			}
		case "batch":
			r.Batch, err = strconv.Atoi(val)
			if err == nil && (r.Batch < 1 || r.Batch > maxRetentionBatch) {
				err = fmt.Errorf("batch=%s: want 1 to %d", val, maxRetentionBatch)
			}
		case "ignore":
			st := State(strings.ToUpper(val))
			if !st.Completed() {
				err = fmt.Errorf("ignore=%s: not a terminal state (SUCCESS, ERROR or CANCELLED)", val)
			}
			r.Ignore = append(r.Ignore, st)
		default:
			err = fmt.Errorf("unknown item %q: want a duration (30d, 12h, 90m), max=N, every=D, batch=N or ignore=STATE", item)
		}
		if err != nil {
			if ne, ok := err.(*strconv.NumError); ok {
				err = fmt.Errorf("%s=%s: want a number", key, ne.Num)
			}
			return nil, fault.Errorf(fault.EINVALID, "-retention %q: %v", s, err)
		}
	}
	if r.OlderThan == 0 && r.Keep == 0 {
		return nil, fault.Errorf(fault.EINVALID, "-retention %q: give an age (such as 30d) or max=N, or both", s)
	}
	if len(r.purgeStates()) == 0 {
		return nil, fault.Errorf(fault.EINVALID, "-retention %q: every terminal state is ignored; nothing could be purged", s)
	}
	return r, nil
}

func retentionItemName(key string) string {
	if key == "older" {
		return "the age"
	}
	return key + "="
}

// parseRetentionDuration reads a Go duration, or a whole number of days
// ("30d"), which Go's durations lack.
func parseRetentionDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%q is not a duration (30d, 12h, 90m)", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (30d, 12h, 90m)", s)
	}
	return d, nil
}

// String says what the policy does, for the log.
func (r *Retention) String() string {
	var parts []string
	if r.OlderThan > 0 {
		parts = append(parts, "finished more than "+r.OlderThan.String()+" ago")
	}
	if r.Keep > 0 {
		parts = append(parts, fmt.Sprintf("beyond the newest %d finished", r.Keep))
	}
	s := "purge root executions " + strings.Join(parts, " or ")
	if len(r.Ignore) > 0 {
		s += fmt.Sprintf(" except %v", r.Ignore)
	}
	return s + fmt.Sprintf(", every %s, %d records per transaction", r.Every, r.Batch)
}

func (r *Retention) purgeStates() []State {
	var out []State
	for _, s := range []State{StateSuccess, StateError, StateCancelled} {
		ignored := false
		for _, i := range r.Ignore {
			ignored = ignored || i == s
		}
		if !ignored {
			out = append(out, s)
		}
	}
	return out
}

// RetentionStats are the retention policy's cumulative figures on this
// replica.
type RetentionStats struct {
	Runs       uint64 // runs completed
	Executions uint64 // root executions purged, each with its tree
	Records    uint64 // executions, tasks, action executions and timeline rows deleted
}

type retentionCounters struct{ runs, executions, records atomic.Uint64 }

// RetentionStats returns what the retention policy has purged since the
// engine started.
func (e *Engine) RetentionStats() RetentionStats {
	return RetentionStats{Runs: e.purged.runs.Load(), Executions: e.purged.executions.Load(), Records: e.purged.records.Load()}
}

// scheduleRetention makes sure the policy's job exists and runs now (as
// Mistral's does when it starts); replicas starting together leave one.
func (e *Engine) scheduleRetention(ctx context.Context) {
	if e.retention == nil {
		return
	}
	err := e.store.Update(ctx, func(tx Tx) error {
		return tx.EnsureJob(ctx, &Job{Kind: JobRetention, Ref: retentionRef, DueAt: e.now()})
	})
	if err != nil && ctx.Err() == nil {
		e.log.Error("retention: schedule its job", "err", err)
	}
}

// runRetentionJob runs the policy once: transactions of at most Batch
// records until nothing is left to purge, then the job again Every later.
// It stops early when its lease is lost or the server stops; the next run
// goes on where it stopped.
func (e *Engine) runRetentionJob(ctx context.Context, j *Job) error {
	r := e.retention
	if r == nil {
		e.log.Warn("retention: its job was found but -retention is off on this replica; dropping the job (give every replica the same -retention)")
		return e.store.Update(ctx, func(tx Tx) error { return tx.DeleteJob(ctx, j.ID, e.owner) })
	}
	start := e.now()
	q := PurgeQuery{Keep: r.Keep, States: r.purgeStates(), Limit: r.Batch}
	if r.OlderThan > 0 {
		q.Before = start.Add(-r.OlderThan)
	}
	var total PurgeResult
	for ctx.Err() == nil {
		var res PurgeResult
		began := time.Now()
		err := e.store.Update(ctx, func(tx Tx) error {
			var err error
			res, err = tx.PurgeExecutions(ctx, q)
			return err
		})
		if err != nil {
			return fmt.Errorf("retention: purge: %w", err)
		}
		total.Executions += res.Executions
		total.Records += res.Records
		e.purged.executions.Add(uint64(res.Executions))
		e.purged.records.Add(uint64(res.Records))
		if hook := e.purgeBatchDone.Load(); hook != nil {
			(*hook)()
		}
		if res.Records == 0 {
			break
		}
		// Rest as long as the batch took: the purge has at most half of
		// the writer's time (SQLite has one), callbacks the rest.
		rest := time.NewTimer(time.Since(began))
		select {
		case <-ctx.Done():
		case <-rest.C:
		}
		rest.Stop()
	}
	if err := ctx.Err(); err != nil {
		// Stopped between batches (a shutdown, a lost lease): what went is
		// still recorded, as the trail outlives the executions. The job
		// is left for the next run.
		if total.Executions > 0 {
			actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if aerr := e.update(actx, func(w *work) error {
				return w.auditAdmin(nil, "", "", fmt.Sprintf("retention: executions purged: %d (records: %d), cut short; policy: %s", total.Executions, total.Records, r))
			}); aerr != nil {
				e.log.Warn("retention: could not record what a run cut short purged", "executions", total.Executions, "err", aerr)
			}
		}
		return err
	}
	next := e.now().Add(r.Every)
	err := e.update(ctx, func(w *work) error {
		if err := w.tx.DeleteJob(ctx, j.ID, e.owner); err != nil {
			return err
		}
		if err := w.tx.AddJob(ctx, &Job{Kind: JobRetention, Ref: retentionRef, DueAt: next}); err != nil {
			return err
		}
		if total.Executions == 0 {
			return nil
		}
		// The audit trail says that executions went, and why, since it
		// outlives them (its records of their approvals stay).
		return w.auditAdmin(nil, "", "", fmt.Sprintf("retention: executions purged: %d (records: %d); policy: %s", total.Executions, total.Records, r))
	})
	if err != nil {
		return fmt.Errorf("retention: schedule the next run: %w", err)
	}
	e.purged.runs.Add(1)
	level := slog.LevelInfo
	if total.Records == 0 {
		level = slog.LevelDebug // nothing to say every few minutes
	}
	e.log.Log(ctx, level, "retention: run done", "executions", total.Executions, "records", total.Records,
		"took", e.now().Sub(start).String(), "next", next)
	return nil
}
