package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/sirocco-project/sirocco/internal/audit"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// ErrNoAuditTrail is ReadAuditFile's answer for a database without the
// audit tables.
var ErrNoAuditTrail = fault.Errorf(fault.ENOTFOUND, "the database has no audit trail (tables audit and audit_head)")

// ReadAuditFile reads the audit trail of the database at dbPath without
// opening it as a Store (read only: no migrations, no lease release, so
// it is safe beside a running server), in one read transaction so that
// the head and the records are one snapshot. It returns the head (nil
// when the table audit_head has no row) and hands each record to fn in
// the order of seq, the chain's order. A column that cannot be decoded
// (a time, the groups, a hash) does not stop the reading: the record
// carries it in Damage, and the verifier reports it as edited.
func ReadAuditFile(ctx context.Context, dbPath string, fn func(*audit.Record) error) (*audit.Head, error) {
	if _, err := os.Stat(dbPath); err != nil {
		return nil, fmt.Errorf("read audit trail: %w", err)
	}
	db, err := sql.Open("sqlite", "file:"+escapePath(dbPath)+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, fmt.Errorf("read audit trail: %w", err)
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("read audit trail of %s: %w", dbPath, err)
	}
	defer tx.Rollback()
	var tables int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('audit', 'audit_head')`).Scan(&tables); err != nil {
		return nil, fmt.Errorf("read audit trail of %s: %w", dbPath, err)
	}
	if tables != 2 {
		return nil, ErrNoAuditTrail
	}
	head, err := readAuditHead(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("read audit head of %s: %w", dbPath, err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("read audit trail of %s: %w", dbPath, err)
	}
	defer rows.Close()
	if err := eachAuditRecord(rows, fn); err != nil {
		return nil, fmt.Errorf("read audit trail of %s: %w", dbPath, err)
	}
	return head, nil
}

// readAuditHead reads the one row of audit_head, nil when there is none.
func readAuditHead(ctx context.Context, tx *sql.Tx) (*audit.Head, error) {
	var seq sql.NullInt64
	var hash, anchor sql.NullString
	err := tx.QueryRowContext(ctx, `SELECT seq, hash, anchor FROM audit_head WHERE id = 1`).Scan(&seq, &hash, &anchor)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	head := &audit.Head{Seq: seq.Int64, Anchor: anchor.String}
	if head.Hash, err = audit.ParseHash(hash.String); err != nil || !seq.Valid {
		head.Damage = "the head's number or hash cannot be read"
	}
	return head, nil
}

// eachAuditRecord hands each row of rs (the columns of auditColumns, as
// ReadAuditFile selects them) to fn as an audit.Record. Columns a writer
// never leaves NULL may be NULL in a changed file: they read as "".
func eachAuditRecord(rs rows, fn func(*audit.Record) error) error {
	for rs.Next() {
		var r audit.Record
		var seq sql.NullInt64
		var at, actor, channel, addr, kind, actionID, state, outcome, reason, comment, answer, groups, digest, prev, hash sql.NullString
		if err := rs.Scan(&seq, &at, &actor, &channel, &addr, &kind, &actionID, &state, &outcome,
			&reason, &comment, &answer, &groups, &digest, &prev, &hash); err != nil {
			return err
		}
		r.Seq = seq.Int64 // NULL: 0, out of order
		r.Actor, r.Channel, r.Addr, r.ActionExecutionID, r.State = actor.String, channel.String, addr.String, actionID.String, state.String
		r.Kind, r.Outcome = audit.Kind(kind.String), audit.Outcome(outcome.String)
		r.Reason, r.Comment, r.Answer, r.ShownDigest = reason.String, comment.String, answer.String, digest.String
		r.Damage = decodeAuditColumns(&r, at.String, groups.String, prev.String, hash.String)
		if err := fn(&r); err != nil {
			return err
		}
	}
	return rs.Err()
}

// decodeAuditColumns sets r's time from its stored text, then the rest
// as every store does (audit.DecodeColumns), and returns what could not
// be decoded ("" when all could).
func decodeAuditColumns(r *audit.Record, at, groups, prev, hash string) string {
	var err error
	if r.At, err = parseAuditTime(at); err != nil {
		return fmt.Sprintf("its time %q cannot be read", at)
	}
	return audit.DecodeColumns(r, groups, prev, hash)
}

// parseAuditTime reads the audit's time column: RFC 3339 (audit.FormatTime,
// to the nanosecond) or the store's usual timeFormat (to the microsecond).
func parseAuditTime(s string) (time.Time, error) {
	if t, err := audit.ParseTime(s); err == nil {
		return t, nil
	}
	if t, ok := parseTimeFast(s); ok {
		return t, nil
	}
	return time.Parse(timeFormat, s)
}
