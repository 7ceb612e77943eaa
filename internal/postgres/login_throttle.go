package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sirocco-project/sirocco/internal/auth"
)

// The login throttle's records (auth.Reader.LoginFailures,
// auth.Tx.PutLoginFailures), tables login_throttles and
// login_throttle_count (migration 0002).
//
// Under READ COMMITTED a row lock cannot hold a key that has no row yet,
// so LoginFailures in a transaction first takes a transaction-scoped
// advisory lock per key (two-int form: class throttleLockClass, a hash
// of the key), in ascending order of the hashes so that two transactions
// never wait on each other in a cycle. Another transaction's
// LoginFailures of any of those keys then waits until this one ends and
// reads its writes.

// throttleLockClass is the first key of the throttle's advisory locks;
// the two-int form's key space is apart from the single bigint keys of
// the migration and audit locks.
const throttleLockClass = 0x53544852 // "STHR"

const throttleKey = `kind = $1 AND account = $2 AND address = $3`

// throttleLock is the second key of k's advisory lock.
func throttleLock(k auth.LimitKey) int32 {
	h := fnv.New32a()
	for _, s := range []string{k.Kind, k.Account, k.Address} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return int32(h.Sum32())
}

func (r authReader) LoginFailures(ctx context.Context, now time.Time, keys []auth.LimitKey) ([]auth.Failures, error) {
	out := make([]auth.Failures, len(keys))
	for i, k := range keys {
		var f auth.Failures
		var prev *time.Time
		err := r.db.QueryRow(ctx, `SELECT failures, last_failure, prev_failure, expires_at FROM login_throttles WHERE `+throttleKey,
			k.Kind, k.Account, k.Address).Scan(&f.Count, &f.Last, &prev, &f.Until)
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, dbErr(err, "read login failures")
		}
		if prev != nil {
			f.Prev = *prev
		}
		if now.Before(f.Until) {
			out[i] = f
		}
	}
	return out, nil
}

// LoginFailures in a transaction holds keys until it ends (see above),
// then reads.
func (tx *authTx) LoginFailures(ctx context.Context, now time.Time, keys []auth.LimitKey) ([]auth.Failures, error) {
	locks := make([]int32, len(keys))
	for i, k := range keys {
		locks[i] = throttleLock(k)
	}
	slices.Sort(locks)
	for _, l := range slices.Compact(locks) {
		if _, err := tx.q.Exec(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, int32(throttleLockClass), l); err != nil {
			return nil, dbErr(err, "lock login failures")
		}
	}
	return tx.authReader.LoginFailures(ctx, now, keys)
}

func (r authReader) CountLoginFailures(ctx context.Context) (int, error) {
	var n int
	err := r.db.QueryRow(ctx, `SELECT n FROM login_throttle_count`).Scan(&n)
	return n, dbErr(err, "count login failures")
}

func (tx *authTx) PutLoginFailures(ctx context.Context, now time.Time, keys []auth.LimitKey, recs []auth.Failures, maxRows int) error {
	if len(recs) != len(keys) {
		return fmt.Errorf("put login failures: %d records for %d keys", len(recs), len(keys))
	}
	affected := func(query string, args ...any) (int, error) {
		tag, err := tx.q.Exec(ctx, query, args...)
		if err != nil {
			return 0, dbErr(err, "put login failures")
		}
		return int(tag.RowsAffected()), nil
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
		var prev *time.Time
		if !f.Prev.IsZero() {
			p := utc(f.Prev)
			prev = &p
		}
		// UPDATE, then INSERT if there was none, rather than one upsert:
		// the row count must know which it was. The key's advisory lock
		// (LoginFailures) keeps another transaction from inserting it
		// in between.
		n, err := affected(`UPDATE login_throttles SET failures = $4, last_failure = $5, prev_failure = $6, expires_at = $7 WHERE `+throttleKey,
			k.Kind, k.Account, k.Address, f.Count, utc(f.Last), prev, utc(f.Until))
		if err != nil {
			return err
		}
		if n == 0 {
			if _, err := affected(`INSERT INTO login_throttles (kind, account, address, failures, last_failure, prev_failure, expires_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, k.Kind, k.Account, k.Address, f.Count, utc(f.Last), prev, utc(f.Until)); err != nil {
				return err
			}
			added++
			delta++
		}
	}
	if added > 0 {
		// A row another transaction deleted meanwhile is not counted
		// twice: the count follows the rows this one deleted.
		swept, err := affected(`DELETE FROM login_throttles WHERE (kind, account, address) IN
			(SELECT kind, account, address FROM login_throttles WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2)`, utc(now), auth.LimitSweep)
		if err != nil {
			return err
		}
		delta -= swept
	}
	if delta == 0 {
		return nil
	}
	var rows int
	if err := tx.q.QueryRow(ctx, `UPDATE login_throttle_count SET n = n + $1 RETURNING n`, delta).Scan(&rows); err != nil {
		return dbErr(err, "count login failures")
	}
	if added == 0 || rows <= maxRows {
		return nil
	}
	// Past the cap: evict the records that tell least, never this call's.
	var a args
	keep := make([]string, len(keys))
	for i, k := range keys {
		keep[i] = "(" + a.add(k.Kind) + "::text, " + a.add(k.Account) + "::text, " + a.add(k.Address) + "::text)"
	}
	limit := a.add(min(rows-maxRows, auth.LimitSweep))
	evicted, err := affected(`DELETE FROM login_throttles WHERE (kind, account, address) IN
		(SELECT kind, account, address FROM login_throttles WHERE (kind, account, address) NOT IN (VALUES `+strings.Join(keep, ", ")+`)
		ORDER BY failures, last_failure, kind, account, address LIMIT `+limit+`)`, a...)
	if err != nil {
		return err
	}
	if evicted == 0 {
		return nil
	}
	_, err = affected(`UPDATE login_throttle_count SET n = n - $1`, evicted)
	return err
}
