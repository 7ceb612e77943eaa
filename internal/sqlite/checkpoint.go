package sqlite

import (
	"context"
	"log/slog"
	"time"
)

// checkpointEvery bounds how often the checkpointer runs while commits go
// on. Every checkpoint copies each page changed since the last one, and a
// busy server changes the same few pages (the right edges of its tables
// and indexes) in every commit: at 100 ms instead of 20 ms they are copied
// a fifth as often (3 interleaved pairs of benchmark runs: 12 % less CPU
// per workflow, 8-24 % more callbacks/s); 250 ms and 1 s gained nothing
// more, and let the WAL grow longer for the readers to search.
const checkpointEvery = 100 * time.Millisecond

// checkpointer copies committed pages from the WAL into the database file
// on a connection of its own, woken by the writer's commits. SQLite would
// otherwise do it inside a commit of the writer (every wal_autocheckpoint
// pages), stalling every update of that batch for 10 ms and more: the
// slowest callbacks were those. A PASSIVE checkpoint never waits for the
// writer; the writer's own automatic checkpoint stays as the backstop that
// lets the WAL start over, and finds little left to copy.
func (s *Store) checkpointer() {
	defer close(s.checkpointDone)
	for {
		select {
		case <-s.closed:
			return
		case <-s.checkpointWake:
		}
		var busy, logPages, done int
		if err := s.cdb.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logPages, &done); err != nil {
			slog.Warn("checkpoint", "err", err)
		}
		select {
		case <-s.closed:
			return
		case <-time.After(checkpointEvery):
		}
	}
}

// wakeCheckpointer tells the checkpointer that a commit added pages.
func (s *Store) wakeCheckpointer() {
	select {
	case s.checkpointWake <- struct{}{}:
	default:
	}
}
