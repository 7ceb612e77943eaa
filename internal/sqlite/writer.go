package sqlite

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// Update runs fn in a write transaction and returns once it is committed.
//
// Writes are group-committed: one writer goroutine takes every Update that
// is waiting, runs them in one transaction and commits them together, so
// concurrent requests share one fsync. Each fn still succeeds or fails
// alone, and no caller hears of success before the commit: when an fn fails
// after writing, the batch is rolled back and run again with a savepoint
// per fn (commitBatch). So fn may run more than once: it must have no effect
// but its writes, and leave results only from its last run.
func (s *Store) Update(ctx context.Context, fn func(engine.Tx) error) error {
	return s.write(ctx, func(q txQuerier) error { return fn(newTx(q)) })
}

// write is Update below the engine's Tx: fn gets the writer's querier, on
// which the engine's transactions and the account store's (auth.go) are
// both built.
func (s *Store) write(ctx context.Context, fn func(txQuerier) error) error {
	req := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case s.writes <- req:
	case <-s.closed:
		return errStoreClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.done:
		return err
	case <-s.writerDone:
		// The writer answered every update it took before it stopped; one
		// still queued was never run.
		select {
		case err := <-req.done:
			return err
		default:
			return errStoreClosed
		}
	}
}

var errStoreClosed = errors.New("store is closed")

type writeReq struct {
	ctx  context.Context
	fn   func(txQuerier) error
	done chan error
}

// maxBatch bounds how many updates share one commit.
const maxBatch = 256

// writer owns the write connection: it batches waiting updates into one
// transaction each round.
func (s *Store) writer() {
	defer close(s.writerDone)
	last := 0 // updates in the recent batches (their peak, decaying)
	lagTimer := time.NewTimer(time.Hour)
	lagTimer.Stop()
	defer lagTimer.Stop()
	for {
		// While the search index lags, a quiet writer applies the lag
		// when it is due; one closing applies it before it stops.
		var lagDue <-chan time.Time
		if s.lag.ids > 0 {
			lagTimer.Reset(max(0, time.Until(s.lag.since.Add(s.searchLag))))
			lagDue = lagTimer.C
		}
		var batch []*writeReq
		select {
		case req := <-s.writes:
			batch = append(batch, req)
		case <-lagDue:
			s.applyLag()
			continue
		case <-s.closed:
			if s.lag.ids > 0 {
				s.lag.since = time.Time{}
				s.applyLag()
			}
			return
		}
		lagTimer.Stop()
	more:
		for len(batch) < maxBatch {
			select {
			case req := <-s.writes:
				batch = append(batch, req)
			default:
				break more
			}
		}
		// When fewer updates wait than recent batches held, the rest are
		// likely on their way (their callers, answered by the last commit,
		// are sending the next ones): wait for them a little so that they
		// share this commit, its WAL frames and its fsync. A caller alone
		// never waits (its batches hold one), nor does a full batch.
		if want := lingerAim(last); len(batch) < want && s.linger > 0 {
			batch = s.gather(batch, want)
		}
		// last is the recent peak, decaying by one a batch, so that a
		// batch that came short does not lower the next one's aim.
		last = max(len(batch), last-1)
		s.commitBatch(batch)
	}
}

// lingerAim is how many updates the writer waits for, given the recent
// peak: the peak itself, and at least lingerFloor once the peak shows
// several concurrent writers (as PostgreSQL's commit_delay acts only with
// commit_siblings others active). Updates then arrive densely enough to
// fill a batch within the linger; below that, an aim above the peak would
// only wait for callers who are not there. Measured (docs/BENCHMARKS.md):
// at 8 clients 40 % fewer commits and 10-17 % less CPU per workflow than
// aiming at the peak alone; no change at 2, 4 and 32.
func lingerAim(peak int) int {
	if peak >= lingerSiblings {
		return max(peak, lingerFloor)
	}
	return peak
}

const (
	lingerSiblings = 4
	lingerFloor    = 8
)

// gather adds waiting updates to batch until it holds want of them or the
// linger has passed.
func (s *Store) gather(batch []*writeReq, want int) []*writeReq {
	t := time.NewTimer(s.linger)
	defer t.Stop()
	for len(batch) < want {
		select {
		case req := <-s.writes:
			batch = append(batch, req)
		case <-t.C:
			return batch
		case <-s.closed:
			return batch
		}
	}
	return batch
}

func (s *Store) commitBatch(batch []*writeReq) {
	// Optimistically, each update runs straight in the transaction: a
	// savepoint per update costs about a tenth of the writer's time (two
	// statements, and a copy of every page the update touches). An update
	// that fails may have written something that cannot be undone alone, so
	// then the whole batch is rolled back and run again, a savepoint each.
	// A batch of one needs no savepoint: its rollback is the transaction's.
	if !s.runBatch(batch, false) {
		s.runBatch(batch, true)
	}
}

// runBatch runs the batch in one transaction and answers every caller,
// unless isolated is false and an update fails: then it rolls back and
// reports false without answering anyone.
func (s *Store) runBatch(batch []*writeReq, isolated bool) bool {
	ctx := context.Background() // a caller giving up must not abort the others' commit
	if _, err := s.wconn.Exec("BEGIN IMMEDIATE"); err != nil {
		for _, r := range batch {
			r.done <- fmt.Errorf("begin: %w", err)
		}
		return true
	}
	started := time.Now()
	results := make([]error, len(batch))
	committed := 0
	// A workflow's start or end records about three state changes.
	timeline := make([]engine.Event, 0, 4*len(batch))
	inbox := make([]inboxTouch, 0, len(batch))
	q := txQuerier{conn: s.wconn, timeline: &timeline, inbox: &inbox, wrote: new(bool), auditKey: s.auditKey, head: &batchHead{}}
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		if isolated {
			results[i] = runSavepoint(ctx, q, r.fn)
		} else {
			results[i] = runDirect(q, r.fn)
		}
		switch {
		case results[i] == nil:
			committed++
		case isolated || !*q.wrote || len(batch) == 1:
			// Undone by its savepoint, nothing to undo, or undone with the
			// transaction (a batch of one commits nothing).
		default:
			s.rollback()
			s.reruns.Add(1)
			s.busyNanos.Add(int64(time.Since(started)))
			return false
		}
	}
	failAll := func(err error) {
		for i := range results {
			if results[i] == nil {
				results[i] = err
			}
		}
	}
	ran := time.Now()
	var lag inboxLag // as the batch leaves it, if it commits
	if committed == 0 {
		s.rollback()
	} else if err := insertTimeline(ctx, q, *q.timeline); err != nil {
		s.rollback()
		failAll(err)
	} else if lag, err = s.stepInboxSearch(ctx, q, ran); err != nil {
		s.rollback()
		failAll(err)
	} else if err := flushAuditHead(ctx, q); err != nil {
		s.rollback()
		failAll(err)
	} else if _, err := s.wconn.Exec("COMMIT"); err != nil {
		// A COMMIT that fails (an I/O error, say) may leave the
		// transaction open: end it, so the next batch starts afresh.
		s.rollback()
		failAll(fmt.Errorf("commit: %w", err))
	} else {
		s.lag = lag
		s.batches.Add(1)
		s.wakeCheckpointer()
	}
	s.updates.Add(uint64(len(batch)))
	s.busyNanos.Add(int64(ran.Sub(started)))
	s.commitNanos.Add(int64(time.Since(ran)))
	for i, r := range batch {
		r.done <- results[i]
	}
	return true
}

// applyLag commits a batch of no update, which applies the search index's
// lag when it is due (stepInboxSearch). If that fails (an I/O error), it
// says so and waits another SearchLag before trying again, rather than
// trying at once, over and over.
func (s *Store) applyLag() {
	req := &writeReq{ctx: context.Background(), fn: func(txQuerier) error { return nil }, done: make(chan error, 1)}
	s.commitBatch([]*writeReq{req})
	if err := <-req.done; err != nil {
		slog.Error("store: apply the inbox search index's lag", "err", err)
		s.lag.since = time.Now()
	}
}

// rollback ends the writer's transaction, if one is open, undoing it.
func (s *Store) rollback() {
	if !s.wconn.InTransaction() {
		return
	}
	if _, err := s.wconn.Exec("ROLLBACK"); err != nil {
		slog.Error("store: rollback", "err", err)
	}
}

// WriterStats is what the writer has done since Open. When Busy plus
// Commit grows as fast as the clock, the writer is saturated and bounds
// throughput.
type WriterStats struct {
	Batches uint64        // transactions committed
	Updates uint64        // updates answered (committed or not)
	Reruns  uint64        // batches run again, a savepoint per update, because one failed
	Busy    time.Duration // time spent running updates
	Commit  time.Duration // time spent committing (WAL write and sync)
}

// WriterStats returns the writer's cumulative figures.
func (s *Store) WriterStats() WriterStats {
	return WriterStats{
		Batches: s.batches.Load(), Updates: s.updates.Load(), Reruns: s.reruns.Load(),
		Busy: time.Duration(s.busyNanos.Load()), Commit: time.Duration(s.commitNanos.Load()),
	}
}
