package postgres

import (
	"context"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// The replicas' heartbeats (engine.ReplicaStore), table replicas
// (migration 0003). Each is one statement: no transaction needed.

// Heartbeat records that the replica r lives, at r.HeartbeatAt.
func (s *Store) Heartbeat(ctx context.Context, r *engine.Replica) error {
	_, err := s.db.Exec(ctx, `INSERT INTO replicas (id, host, pid, version, started_at, heartbeat_at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, version = excluded.version,
			started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at`,
		r.ID, r.Host, int64(r.PID), r.Version, utc(r.StartedAt), utc(r.HeartbeatAt))
	return dbErr(err, "heartbeat")
}

// ListReplicas returns the replicas heard from at or after since.
func (s *Store) ListReplicas(ctx context.Context, since time.Time) ([]*engine.Replica, error) {
	return collect(ctx, s.db, "list replicas", func(sc pgxScanner) (*engine.Replica, error) {
		var r engine.Replica
		var pid int64
		err := sc.Scan(&r.ID, &r.Host, &pid, &r.Version, &r.StartedAt, &r.HeartbeatAt)
		r.PID = int(pid)
		return &r, err
	}, `SELECT id, host, pid, version, started_at, heartbeat_at FROM replicas
		WHERE heartbeat_at >= $1 ORDER BY started_at, id`, utc(since))
}

// SweepReplicas deletes the replicas silent since before.
func (s *Store) SweepReplicas(ctx context.Context, before time.Time) (int, error) {
	tag, err := s.db.Exec(ctx, `DELETE FROM replicas WHERE heartbeat_at < $1`, utc(before))
	if err != nil {
		return 0, dbErr(err, "sweep replicas")
	}
	return int(tag.RowsAffected()), nil
}

// RemoveReplica deletes a replica's row.
func (s *Store) RemoveReplica(ctx context.Context, id string) error {
	_, err := s.db.Exec(ctx, `DELETE FROM replicas WHERE id = $1`, id)
	return dbErr(err, "remove replica")
}
