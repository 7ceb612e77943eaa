package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
)

func (t *tx) AddJob(ctx context.Context, j *engine.Job) error {
	err := t.q.QueryRow(ctx, `INSERT INTO jobs (kind, ref, due_at) VALUES ($1, $2, $3) RETURNING id`, j.Kind, j.Ref, utc(j.DueAt)).Scan(&j.ID)
	return dbErr(err, "add job")
}

// DeleteJob deletes a job its owner holds: a worker whose lease another
// took over gets fault.ErrConflict, and its transaction changes nothing.
func (t *tx) DeleteJob(ctx context.Context, id int64, owner string) error {
	tag, err := t.q.Exec(ctx, `DELETE FROM jobs WHERE id = $1 AND lease_owner = $2`, id, owner)
	return guarded(tag, err, "delete job")
}

// ClaimJobs leases the earliest due jobs. SKIP LOCKED passes over jobs
// another replica is claiming this moment: each job goes to one.
func (t *tx) ClaimJobs(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]*engine.Job, error) {
	rows, err := t.q.Query(ctx, `UPDATE jobs SET lease_until = $1, lease_owner = $4
		WHERE id IN (SELECT id FROM jobs WHERE due_at <= $2 AND (lease_until IS NULL OR lease_until <= $2)
			ORDER BY due_at LIMIT $3 FOR UPDATE SKIP LOCKED)
		RETURNING id, kind, ref, due_at`, utc(leaseUntil), utc(now), limit, owner)
	if err != nil {
		return nil, dbErr(err, "claim jobs")
	}
	defer rows.Close()
	var jobs []*engine.Job
	for rows.Next() {
		var j engine.Job
		if err := rows.Scan(&j.ID, &j.Kind, &j.Ref, &j.DueAt); err != nil {
			return nil, dbErr(err, "claim jobs")
		}
		jobs = append(jobs, &j)
	}
	return jobs, dbErr(rows.Err(), "claim jobs")
}

func (t *tx) ExtendJobLease(ctx context.Context, id int64, owner string, until time.Time) error {
	tag, err := t.q.Exec(ctx, `UPDATE jobs SET lease_until = $1 WHERE id = $2 AND lease_owner = $3`, utc(until), id, owner)
	return guarded(tag, err, "extend job lease")
}

// NextJobDue returns when the earliest job becomes runnable: its due time,
// or the end of its lease if later.
func (s *Store) NextJobDue(ctx context.Context) (time.Time, bool, error) {
	var due *time.Time
	if err := s.db.QueryRow(ctx, `SELECT min(GREATEST(due_at, lease_until)) FROM jobs`).Scan(&due); err != nil {
		return time.Time{}, false, fmt.Errorf("next job: %w", err)
	}
	if due == nil {
		return time.Time{}, false, nil
	}
	return *due, true, nil
}
