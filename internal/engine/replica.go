package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"time"
)

// Replica is a server process working on the store: each records itself
// (a heartbeat) every HeartbeatInterval, and one that missed
// LiveHeartbeats of them in a row is taken for gone.
type Replica struct {
	ID          string
	Host        string
	PID         int
	Version     string
	StartedAt   time.Time
	HeartbeatAt time.Time
}

// ReplicaStore records the replicas sharing a store.
type ReplicaStore interface {
	// Heartbeat records r (a new one, or r.ID's row again with its
	// HeartbeatAt and the rest of its fields).
	Heartbeat(ctx context.Context, r *Replica) error
	// ListReplicas returns the replicas whose last heartbeat is at or after
	// since, oldest start first (then by id).
	ListReplicas(ctx context.Context, since time.Time) ([]*Replica, error)
	// SweepReplicas deletes the replicas whose last heartbeat is before
	// before, and says how many.
	SweepReplicas(ctx context.Context, before time.Time) (int, error)
	// RemoveReplica deletes a replica's row (it stops); no error when
	// there is none.
	RemoveReplica(ctx context.Context, id string) error
}

// DefaultHeartbeatInterval is how often a replica records that it lives.
const DefaultHeartbeatInterval = 5 * time.Second

// LiveHeartbeats is how many heartbeats a replica may miss before it is
// no longer listed as live.
const LiveHeartbeats = 3

// sweepHeartbeats is how many heartbeats a replica may miss before its row
// is deleted: long enough to show a replica that just died as gone
// rather than forget it at once, short enough that the table stays small.
const sweepHeartbeats = 60

// newReplicaID names a replica readably (its host and pid) and uniquely
// (a random suffix: a pid is reused after a restart, or in a container).
func newReplicaID(host string, pid int) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	host = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '_'
	}, host)
	if len(host) > 48 {
		host = host[:48]
	}
	return fmt.Sprintf("%s-%d-%s", host, pid, hex.EncodeToString(b[:]))
}

func (e *Engine) initReplica(r Replica) {
	if r.Host == "" {
		r.Host, _ = os.Hostname()
	}
	if r.PID == 0 {
		r.PID = os.Getpid()
	}
	if r.ID == "" {
		r.ID = newReplicaID(r.Host, r.PID)
	}
	e.self = r
}

// ReplicaID identifies this engine's replica among those sharing the store.
func (e *Engine) ReplicaID() string { return e.self.ID }

// HeartbeatInterval is how often each replica records that it lives.
func (e *Engine) HeartbeatInterval() time.Duration { return e.heartbeat }

// Replicas returns the live replicas: those heard from within
// LiveHeartbeats heartbeat intervals.
func (e *Engine) Replicas(ctx context.Context) ([]*Replica, error) {
	list, err := e.store.ListReplicas(ctx, e.now().Add(-LiveHeartbeats*e.heartbeat))
	if err != nil {
		return nil, fmt.Errorf("list replicas: %w", err)
	}
	return list, nil
}

// beat records this replica as alive now, and sweeps the rows of replicas
// long gone.
func (e *Engine) beat(ctx context.Context) error {
	now := e.now()
	r := e.self
	if r.StartedAt.IsZero() {
		e.self.StartedAt, r.StartedAt = now, now
	}
	r.HeartbeatAt = now
	if err := e.store.Heartbeat(ctx, &r); err != nil {
		return fmt.Errorf("heartbeat: %w", err)
	}
	if _, err := e.store.SweepReplicas(ctx, now.Add(-sweepHeartbeats*e.heartbeat)); err != nil {
		return fmt.Errorf("sweep replicas: %w", err)
	}
	return nil
}

// heartbeats beats every heartbeat interval until ctx ends, then removes
// this replica's row: a replica that stops cleanly leaves the list at
// once.
func (e *Engine) heartbeats(ctx context.Context) {
	t := time.NewTicker(e.heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			rm, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if err := e.store.RemoveReplica(rm, e.self.ID); err != nil {
				e.log.Warn("remove replica", "id", e.self.ID, "err", err)
			}
			cancel()
			return
		case <-t.C:
			if err := e.beat(ctx); err != nil && ctx.Err() == nil {
				e.log.Warn("replica heartbeat failed", "err", err)
			}
		}
	}
}

// Resyncer is implemented by a Publisher that can tell its subscribers to
// fetch again everything they show (events were lost).
type Resyncer interface{ Resync() }

// listen follows the notices of the other replicas until ctx ends.
func (e *Engine) listen(ctx context.Context, n Notifier) {
	for {
		err := n.Listen(ctx, e.receive)
		if ctx.Err() != nil {
			return
		}
		e.log.Error("listening to the other replicas failed; retrying", "err", err)
		e.receive(Notice{Resync: true})
		select {
		case <-ctx.Done():
			return
		case <-e.after(time.Second):
		}
	}
}

// receive acts on a notice of another replica: it publishes its events,
// wakes the job worker for its jobs and drops the workflow cache when
// definitions changed.
func (e *Engine) receive(n Notice) {
	if n.Replica != "" && n.Replica == e.self.ID {
		return // acted on at commit
	}
	if n.Definitions || n.Resync {
		e.wfs.clear()
	}
	if n.Jobs || n.Resync {
		e.Notify()
	}
	if e.pub == nil {
		return
	}
	for _, ev := range n.Events {
		e.pub.Publish(ev)
	}
	if r, ok := e.pub.(Resyncer); ok && n.Resync {
		r.Resync()
	}
}
