package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
)

func (t *tx) AddJob(ctx context.Context, j *engine.Job) error {
	res, err := t.db.ExecContext(ctx, `INSERT INTO jobs (kind, ref, due_at) VALUES (?, ?, ?)`, j.Kind, j.Ref, fmtTime(j.DueAt))
	if err != nil {
		return dbErr(err, "add job")
	}
	j.ID, err = res.LastInsertId()
	return err
}

func (t *tx) DeleteJob(ctx context.Context, id int64, owner string) error {
	res, err := t.db.ExecContext(ctx, `DELETE FROM jobs WHERE id = ? AND lease_owner = ?`, id, owner)
	return guarded(res, err, "delete job")
}

func (t *tx) ClaimJobs(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]*engine.Job, error) {
	n := fmtTime(now)
	rows, err := t.db.QueryContext(ctx, `UPDATE jobs SET lease_until = ?, lease_owner = ?
		WHERE id IN (SELECT id FROM jobs WHERE due_at <= ? AND (lease_until IS NULL OR lease_until <= ?) ORDER BY due_at LIMIT ?)
		RETURNING id, kind, ref, due_at`, fmtTime(leaseUntil), owner, n, n, limit)
	if err != nil {
		return nil, dbErr(err, "claim jobs")
	}
	defer rows.Close()
	var jobs []*engine.Job
	for rows.Next() {
		var j engine.Job
		var due string
		if err := rows.Scan(&j.ID, &j.Kind, &j.Ref, &due); err != nil {
			return nil, dbErr(err, "claim jobs")
		}
		j.DueAt = parseTime(due)
		jobs = append(jobs, &j)
	}
	return jobs, dbErr(rows.Err(), "claim jobs")
}

func (t *tx) ExtendJobLease(ctx context.Context, id int64, owner string, until time.Time) error {
	res, err := t.db.ExecContext(ctx, `UPDATE jobs SET lease_until = ? WHERE id = ? AND lease_owner = ?`, fmtTime(until), id, owner)
	return guarded(res, err, "extend job lease")
}

// NextJobDue returns when the earliest job becomes runnable.
func (s *Store) NextJobDue(ctx context.Context) (time.Time, bool, error) {
	var due sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT MIN(MAX(due_at, COALESCE(lease_until, ''))) FROM jobs`).Scan(&due)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next job: %w", err)
	}
	if !due.Valid {
		return time.Time{}, false, nil
	}
	return parseTime(due.String), true, nil
}
