package postgres

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Group commit. Each transaction costs PostgreSQL a BEGIN, a COMMIT with
// its WAL flush, a turn at the lock every committing transaction that
// notifies takes (one at a time, across the cluster), and its own
// statements for the timeline, the notices and the audit trail's head.
// Under load the updates of one replica therefore share transactions, as
// the SQLite store's writer shares commits: at most Committers
// transactions run at once; an update arriving while they all run waits,
// and when one ends, the updates waiting by then run in the next
// transaction together, one after another, and commit at once. An update
// that finds a transaction free runs at once, alone, as without grouping.
//
// Each update still succeeds or fails alone. One that fails before it
// writes anything (an unknown id, a conflict found by reading) just
// answers its error, and the group goes on. When one fails otherwise
// (after writing, a statement's error, a lock not granted in time), the
// group's transaction is rolled back and each of its updates runs again
// in a transaction of its own, so fn may run more than once, as engine.Store
// allows. A grouped transaction holds the locks of the updates it has run
// while it runs the next; so that two of them (on two replicas) cannot
// wait for each other until PostgreSQL's deadlock check (a second), a
// grouped transaction waits for a row lock at most 200 ms
// (groupLockTimeoutSQL) and then fails, and its updates run again alone,
// where waiting is safe.

// LocalCommitters is how many transactions a store's updates run in at
// once, unless Options.Committers says otherwise, when the database is on
// this machine: it then shares the CPUs with the server, and fewer, larger
// groups leave it more of them (docs/BENCHMARKS.md: on 2 cores, two
// replicas, 1,280 workflows/s with 2, 1,130 with 4, 990 with 6). Across a
// network, round trips dominate instead: a group runs its updates one
// after another, so more transactions must run at once (with 1 ms more
// per round trip, 2 gave 209/s, 4 gave 391/s and 8 gave 488/s, against
// 271/s without grouping); there the default is half the pool.
const LocalCommitters = 2

// defaultCommitters is the number of transactions at once for a database
// at host (a name, an address, or a unix socket's directory) and a pool
// of maxConns connections.
func defaultCommitters(host string, maxConns int32) int {
	if localHost(host) {
		return LocalCommitters
	}
	return max(LocalCommitters, int(maxConns)/2)
}

// localHost reports whether host is this machine: a unix socket, a
// loopback name or address, or one of this machine's addresses.
func localHost(host string) bool {
	if host == "" || strings.HasPrefix(host, "/") || strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false // a name: taken for another machine, not resolved
	}
	if ip.IsLoopback() {
		return true
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
			return true
		}
	}
	return false
}

// maxGroup bounds how many updates share one transaction.
const maxGroup = 64

// groupLockTimeoutSQL bounds a grouped transaction's lock waits (see above).
const groupLockTimeoutSQL = `SET LOCAL lock_timeout = '200ms'`

// group is the store's group commit's state.
type group struct {
	mu sync.Mutex
	// free is how many more transactions may start now.
	free int
	// waiting are the updates that found none free, in arrival order.
	waiting []*groupReq
	// onWait, when set (tests), is called with how many updates wait
	// each time one starts waiting.
	onWait func(n int)
}

// groupReq is an update waiting for a grouped transaction.
type groupReq struct {
	ctx  context.Context
	fn   func(*txq) error
	done chan error
}

// errAlone answers a grouped update whose transaction failed: it runs
// again in one of its own.
var errAlone = errors.New("run again alone")

// errGroupMember marks a grouped transaction that failed in one of its
// updates (rather than committing).
var errGroupMember = errors.New("an update of the group failed")

// writeGrouped runs fn at once if a transaction is free, else waits for
// the next grouped one.
func (s *Store) writeGrouped(ctx context.Context, fn func(*txq) error) error {
	g := s.group
	g.mu.Lock()
	if g.free > 0 {
		g.free--
		g.mu.Unlock()
		err := s.writeAlone(ctx, fn)
		s.handOn()
		return err
	}
	r := &groupReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	g.waiting = append(g.waiting, r)
	n, onWait := len(g.waiting), g.onWait
	g.mu.Unlock()
	if onWait != nil {
		onWait(n)
	}
	// The update is answered whether or not its caller still waits (a
	// caller leaving must not abort the others' commit): it has no way
	// back out of the group once queued, as with the SQLite writer.
	if err := <-r.done; err != errAlone {
		return err
	}
	return s.writeAlone(ctx, fn)
}

// handOn ends a transaction's turn: the updates waiting, if any, run next
// (on another goroutine, so that the caller is answered now), else the
// turn is given back.
func (s *Store) handOn() {
	if next := s.group.next(); next != nil {
		go s.serve(next)
	}
}

// next takes the updates waiting, up to maxGroup, or gives the turn back
// and returns nil when none wait.
func (g *group) next() []*groupReq {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.waiting) == 0 {
		g.free++
		return nil
	}
	n := min(len(g.waiting), maxGroup)
	batch := g.waiting[:n:n]
	g.waiting = g.waiting[n:]
	if len(g.waiting) == 0 {
		g.waiting = nil // let the backing array go
	}
	return batch
}

// serve runs groups of waiting updates until none wait.
func (s *Store) serve(batch []*groupReq) {
	for ; batch != nil; batch = s.group.next() {
		s.runGroup(batch)
	}
}

// runGroup runs batch in one transaction and answers each of its updates.
func (s *Store) runGroup(batch []*groupReq) {
	if len(batch) == 1 {
		r := batch[0]
		r.done <- s.writeAlone(r.ctx, r.fn)
		return
	}
	// gone: not run, its caller has left; failed: its error, when it
	// failed without writing (it stands if the group commits).
	gone := make([]error, len(batch))
	failed := make([]error, len(batch))
	s.stats.updates.Add(uint64(len(batch)))
	err := s.attempt(context.Background(), func(q *txq) error {
		for i, r := range batch {
			if err := r.ctx.Err(); err != nil {
				gone[i] = err
				continue
			}
			q.wrote = false
			marks := [3]int{len(*q.timeline), len(*q.notices), len(q.audits)}
			if err := r.fn(q); err != nil {
				// An update refused before it wrote (an unknown id, a
				// conflict found by reading) leaves nothing to undo,
				// unless a statement failed, which aborts the
				// transaction: the others go on.
				if q.wrote || marks != [3]int{len(*q.timeline), len(*q.notices), len(q.audits)} ||
					q.conn.PgConn().TxStatus() == 'E' {
					return errGroupMember
				}
				failed[i] = err
			}
		}
		return nil
	}, true)
	if err != nil {
		s.stats.reruns.Add(1)
	}
	for i, r := range batch {
		switch {
		case gone[i] != nil:
			r.done <- gone[i]
		case err == nil:
			// Committed: an update that failed without writing failed
			// on what the group committed.
			r.done <- failed[i]
		case !errors.Is(err, errGroupMember) && isUnavailable(err):
			// The commit failed for want of the database: each caller
			// hears it, as alone (whether it committed is unknown).
			r.done <- unavailable(err)
		default:
			// An update failed after writing, or a statement did (a
			// deferred insert's error surfaces with the next statement or
			// the commit, a lock not granted in time): each finds out
			// alone — also one that had failed without writing, since it
			// may have read what the others wrote and is now undone.
			r.done <- errAlone
		}
	}
}

// writerStats are the store's cumulative figures (WriterStats).
type writerStats struct {
	batches, updates, reruns atomic.Uint64
	busy, commit             atomic.Int64 // nanoseconds
}

// WriterStats is what the store's updates have done since Open, as the
// SQLite store's writer reports it: transactions committed, updates run
// (each run counts, a grouped one and its rerun alone too), groups rolled
// back for their updates to run again alone, and the time spent running
// updates and committing.
type WriterStats struct {
	Batches uint64
	Updates uint64
	Reruns  uint64
	Busy    time.Duration
	Commit  time.Duration
}

// WriterStats returns the store's cumulative figures.
func (s *Store) WriterStats() WriterStats {
	return WriterStats{
		Batches: s.stats.batches.Load(), Updates: s.stats.updates.Load(), Reruns: s.stats.reruns.Load(),
		Busy: time.Duration(s.stats.busy.Load()), Commit: time.Duration(s.stats.commit.Load()),
	}
}
