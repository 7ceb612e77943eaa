package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sirocco-project/sirocco/internal/audit"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// ErrNoAuditTrail is ReadAudit's answer for a database without the audit
// tables.
var ErrNoAuditTrail = fault.Errorf(fault.ENOTFOUND, "the database has no audit trail (tables audit and audit_head)")

// ReadAudit reads the audit trail of the database dsn names without
// opening it as a Store (one connection, read only: no migrations, no
// pool, so it is safe beside running servers), in one REPEATABLE READ
// transaction so that the head and the records are one snapshot. It
// returns the head (nil when the table audit_head has no row) and hands
// each record to fn in the order of seq, the chain's order, as the rows
// arrive (the trail is never held in memory). A column that cannot be
// decoded (the time, the groups, a hash) does not stop the reading: the record
// carries it in Damage, and the verifier reports it as edited. Errors
// name the database as Describe does, never with its password.
func ReadAudit(ctx context.Context, dsn string, fn func(*audit.Record) error) (*audit.Head, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("read audit trail: the PostgreSQL DSN cannot be read: %s", Redact(err.Error()))
	}
	name := Describe(dsn)
	cfg.RuntimeParams["application_name"] = "sirocco audit"
	// Refused writes whatever a bug here would try.
	cfg.RuntimeParams["default_transaction_read_only"] = "on"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("read audit trail of %s: %w", name, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("read audit trail of %s: %w", name, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var tables int
	if err := tx.QueryRow(ctx, `SELECT (to_regclass('audit') IS NOT NULL)::int + (to_regclass('audit_head') IS NOT NULL)::int`).Scan(&tables); err != nil {
		return nil, fmt.Errorf("read audit trail of %s: %w", name, err)
	}
	if tables != 2 {
		return nil, ErrNoAuditTrail
	}
	head, err := readAuditHead(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("read audit head of %s: %w", name, err)
	}
	rows, err := tx.Query(ctx, `SELECT `+auditColumns+` FROM audit ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("read audit trail of %s: %w", name, err)
	}
	defer rows.Close()
	if err := eachAuditRecord(rows, fn); err != nil {
		return nil, fmt.Errorf("read audit trail of %s: %w", name, err)
	}
	return head, nil
}

// readAuditHead reads the one row of audit_head, nil when there is none;
// an unreadable hash is the head's Damage.
func readAuditHead(ctx context.Context, tx pgx.Tx) (*audit.Head, error) {
	var seq *int64
	var hash, anchor *string
	err := tx.QueryRow(ctx, `SELECT seq, hash, anchor FROM audit_head WHERE id = 1`).Scan(&seq, &hash, &anchor)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	head := &audit.Head{Anchor: deref(anchor)}
	if seq != nil {
		head.Seq = *seq
	}
	if head.Hash, err = audit.ParseHash(deref(hash)); err != nil || seq == nil {
		head.Damage = "the head's number or hash cannot be read"
	}
	return head, nil
}

// eachAuditRecord hands each row of rows (the columns of auditColumns) to
// fn as an audit.Record. The schema forbids NULL in all but answer, but
// whoever altered the trail may have altered the schema too: NULL reads
// as "" (a seq of NULL as 0, out of order).
func eachAuditRecord(rows pgx.Rows, fn func(*audit.Record) error) error {
	for rows.Next() {
		var r audit.Record
		var seq *int64
		var at *time.Time
		var actor, channel, addr, kind, actionID, state, outcome, reason, comment, answer, groups, digest, prev, hash *string
		if err := rows.Scan(&seq, &at, &actor, &channel, &addr, &kind, &actionID, &state, &outcome,
			&reason, &comment, &answer, &groups, &digest, &prev, &hash); err != nil {
			return err
		}
		if seq != nil {
			r.Seq = *seq
		}
		r.Actor, r.Channel, r.Addr, r.ActionExecutionID, r.State = deref(actor), deref(channel), deref(addr), deref(actionID), deref(state)
		r.Kind, r.Outcome = audit.Kind(deref(kind)), audit.Outcome(deref(outcome))
		r.Reason, r.Comment, r.Answer, r.ShownDigest = deref(reason), deref(comment), deref(answer), deref(digest)
		r.Damage = audit.DecodeColumns(&r, deref(groups), deref(prev), deref(hash))
		if at == nil {
			r.Damage = "its time cannot be read"
		} else {
			r.At = at.UTC()
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
	return rows.Err()
}
