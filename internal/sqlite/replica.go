package sqlite

import (
	"context"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// Heartbeat records that the replica r lives, at r.HeartbeatAt.
func (s *Store) Heartbeat(ctx context.Context, r *engine.Replica) error {
	return s.write(ctx, func(q txQuerier) error {
		_, err := q.ExecContext(ctx, `INSERT INTO replicas (id, host, pid, version, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, version = excluded.version,
				started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at`,
			r.ID, r.Host, r.PID, r.Version, fmtTime(r.StartedAt), fmtTime(r.HeartbeatAt))
		return dbErr(err, "heartbeat")
	})
}

// ListReplicas returns the replicas heard from at or after since.
func (s *Store) ListReplicas(ctx context.Context, since time.Time) ([]*engine.Replica, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, host, pid, version, started_at, heartbeat_at FROM replicas
		WHERE heartbeat_at >= ? ORDER BY started_at, id`, fmtTime(since))
	if err != nil {
		return nil, dbErr(err, "list replicas")
	}
	defer rows.Close()
	var out []*engine.Replica
	for rows.Next() {
		var r engine.Replica
		var started, beat string
		if err := rows.Scan(&r.ID, &r.Host, &r.PID, &r.Version, &started, &beat); err != nil {
			return nil, dbErr(err, "list replicas")
		}
		r.StartedAt, r.HeartbeatAt = parseTime(started), parseTime(beat)
		out = append(out, &r)
	}
	return out, dbErr(rows.Err(), "list replicas")
}

// SweepReplicas deletes the replicas silent since before.
func (s *Store) SweepReplicas(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := s.write(ctx, func(q txQuerier) error {
		res, err := q.ExecContext(ctx, `DELETE FROM replicas WHERE heartbeat_at < ?`, fmtTime(before))
		if err != nil {
			return dbErr(err, "sweep replicas")
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// RemoveReplica deletes a replica's row.
func (s *Store) RemoveReplica(ctx context.Context, id string) error {
	return s.write(ctx, func(q txQuerier) error {
		_, err := q.ExecContext(ctx, `DELETE FROM replicas WHERE id = ?`, id)
		return dbErr(err, "remove replica")
	})
}
