package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/sirocco-project/sirocco/internal/auth"
)

// The login throttle's records (auth.Reader.LoginFailures,
// auth.Tx.PutLoginFailures), table login_throttles (migration 0018). The
// writer's single connection serialises every transaction, which is the
// hold on the keys that LoginFailures promises.

const throttleKey = `kind = ? AND account = ? AND address = ?`

func (r authReader) LoginFailures(ctx context.Context, now time.Time, keys []auth.LimitKey) ([]auth.Failures, error) {
	out := make([]auth.Failures, len(keys))
	for i, k := range keys {
		var f auth.Failures
		var last, until string
		var prev sql.NullString
		err := r.db.QueryRowContext(ctx, `SELECT failures, last_failure, prev_failure, expires_at FROM login_throttles WHERE `+throttleKey,
			k.Kind, k.Account, k.Address).Scan(&f.Count, &last, &prev, &until)
		if err == sql.ErrNoRows {
			continue
		}
		if err != nil {
			return nil, dbErr(err, "read login failures")
		}
		f.Last, f.Until = parseTime(last), parseTime(until)
		if p := parseTimePtr(prev); p != nil {
			f.Prev = *p
		}
		if now.Before(f.Until) {
			out[i] = f
		}
	}
	return out, nil
}

func (r authReader) CountLoginFailures(ctx context.Context) (int, error) {
	var n int
	err := r.db.QueryRowContext(ctx, `SELECT n FROM login_throttle_count`).Scan(&n)
	return n, dbErr(err, "count login failures")
}

func (tx *authTx) PutLoginFailures(ctx context.Context, now time.Time, keys []auth.LimitKey, recs []auth.Failures, maxRows int) error {
	if len(recs) != len(keys) {
		return fmt.Errorf("put login failures: %d records for %d keys", len(recs), len(keys))
	}
	affected := func(query string, args ...any) (int, error) {
		res, err := tx.q.ExecContext(ctx, query, args...)
		if err != nil {
			return 0, dbErr(err, "put login failures")
		}
		n, err := res.RowsAffected()
		return int(n), dbErr(err, "put login failures")
	}
	added, delta := 0, 0 // records added; change of the row count
	for i, k := range keys {
		f := recs[i]
		if f.Count <= 0 {
			n, err := affected(`DELETE FROM login_throttles WHERE `+throttleKey, k.Kind, k.Account, k.Address)
			if err != nil {
				return err
			}
			delta -= n
			continue
		}
		var prev any
		if !f.Prev.IsZero() {
			prev = fmtTime(f.Prev)
		}
		// UPDATE, then INSERT if there was none, rather than one upsert:
		// the row count must know which it was.
		n, err := affected(`UPDATE login_throttles SET failures = ?, last_failure = ?, prev_failure = ?, expires_at = ? WHERE `+throttleKey,
			f.Count, fmtTime(f.Last), prev, fmtTime(f.Until), k.Kind, k.Account, k.Address)
		if err != nil {
			return err
		}
		if n == 0 {
			if _, err := affected(`INSERT INTO login_throttles (kind, account, address, failures, last_failure, prev_failure, expires_at)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, k.Kind, k.Account, k.Address, f.Count, fmtTime(f.Last), prev, fmtTime(f.Until)); err != nil {
				return err
			}
			added++
			delta++
		}
	}
	if added > 0 {
		swept, err := affected(`DELETE FROM login_throttles WHERE (kind, account, address) IN
			(SELECT kind, account, address FROM login_throttles WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)`, fmtTime(now), auth.LimitSweep)
		if err != nil {
			return err
		}
		delta -= swept
	}
	if delta == 0 {
		return nil
	}
	var rows int
	if err := tx.q.QueryRowContext(ctx, `UPDATE login_throttle_count SET n = n + ? RETURNING n`, delta).Scan(&rows); err != nil {
		return dbErr(err, "count login failures")
	}
	if added == 0 || rows <= maxRows {
		return nil
	}
	// Past the cap: evict the records that tell least, never this call's.
	keep := strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", len(keys)), ", ")
	args := make([]any, 0, 3*len(keys)+1)
	for _, k := range keys {
		args = append(args, k.Kind, k.Account, k.Address)
	}
	args = append(args, min(rows-maxRows, auth.LimitSweep))
	evicted, err := affected(`DELETE FROM login_throttles WHERE (kind, account, address) IN
		(SELECT kind, account, address FROM login_throttles WHERE (kind, account, address) NOT IN (VALUES `+keep+`)
		ORDER BY failures, last_failure, kind, account, address LIMIT ?)`, args...)
	if err != nil {
		return err
	}
	_, err = affected(`UPDATE login_throttle_count SET n = n - ?`, evicted)
	return err
}
