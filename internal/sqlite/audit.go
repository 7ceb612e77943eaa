package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sirocco-project/sirocco/internal/audit"
	"github.com/sirocco-project/sirocco/internal/engine"
)

// The audit trail (migration 0012): records chained by hash, and the head
// with its anchor. Records are sealed here, in the writer's transaction,
// so that the head read, the record inserted and the head written are
// one step: a savepoint rerun (commitBatch) undoes them together, and the
// single writer numbers records without gaps.

// appendAudit seals r after the stored head with the store's key, inserts
// it and writes the new head. Its time is kept to the microsecond, as the
// store keeps times, and its groups sorted, so that what is read back
// hashes as what was sealed.
func appendAudit(ctx context.Context, q txQuerier, r *audit.Record) error {
	r.At = r.At.UTC().Truncate(time.Microsecond)
	r.Groups = slices.Sorted(slices.Values(r.Groups))
	head, err := auditHead(ctx, q)
	if err != nil {
		return err
	}
	next, err := audit.Seal(head, r, q.auditKey)
	if err != nil {
		return fmt.Errorf("seal audit record: %w", err)
	}
	var answer any
	if r.Answer != "" {
		answer = r.Answer
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO audit (seq, at, actor, channel, addr, kind, action_execution_id, state,
		outcome, reason, comment, answer, groups, shown_digest, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Seq, fmtTime(r.At), r.Actor, r.Channel, r.Addr, string(r.Kind), r.ActionExecutionID, r.State,
		string(r.Outcome), r.Reason, r.Comment, answer, groupsJSON(r.Groups), r.ShownDigest, r.Prev.String(), r.Hash.String()); err != nil {
		return dbErr(err, "append audit record")
	}
	return putAuditHead(ctx, q, next)
}

// auditHead reads the head in the writer's transaction: the zero head
// (seq 0) when there is none yet.
func auditHead(ctx context.Context, q querier) (audit.Head, error) {
	var head audit.Head
	var hash string
	err := q.QueryRowContext(ctx, `SELECT seq, hash, anchor FROM audit_head WHERE id = 1`).Scan(&head.Seq, &hash, &head.Anchor)
	if errors.Is(err, sql.ErrNoRows) {
		return audit.Head{}, nil
	}
	if err != nil {
		return head, dbErr(err, "read audit head")
	}
	if head.Hash, err = audit.ParseHash(hash); err != nil {
		return head, fmt.Errorf("read audit head: its hash %w", err)
	}
	return head, nil
}

func putAuditHead(ctx context.Context, q txQuerier, h audit.Head) error {
	_, err := q.ExecContext(ctx, `INSERT INTO audit_head (id, seq, hash, anchor) VALUES (1, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, anchor = excluded.anchor`,
		h.Seq, h.Hash.String(), h.Anchor)
	return dbErr(err, "write audit head")
}

// AppendAudit implements engine.Tx: the engine's record, sealed into the
// trail.
func (t *tx) AppendAudit(ctx context.Context, a *engine.AuditRecord) error {
	r := &audit.Record{At: a.At, Actor: a.Actor, Channel: a.Channel, Addr: a.Addr, Kind: audit.Kind(a.Kind),
		ActionExecutionID: a.ActionExecutionID, State: string(a.State), Outcome: audit.Outcome(a.Outcome),
		Reason: a.Reason, Comment: a.Comment, Answer: a.AnswerJSON, Groups: a.Groups, ShownDigest: a.ShownDigest}
	if err := appendAudit(ctx, t.db, r); err != nil {
		return err
	}
	a.Seq, a.Prev, a.Hash, a.At = r.Seq, r.Prev.String(), r.Hash.String(), r.At
	a.Groups = r.Groups
	if len(a.Groups) == 0 {
		a.Groups = nil
	}
	return nil
}

// auditColumns are the columns scanAudit reads, in its order.
const auditColumns = `seq, at, actor, channel, addr, kind, action_execution_id, state, outcome, reason,
	comment, answer, groups, shown_digest, prev, hash`

func scanAudit(rs rows) (*engine.AuditRecord, error) {
	a := &engine.AuditRecord{}
	var at, state, groups string
	var answer sql.NullString
	if err := rs.Scan(&a.Seq, &at, &a.Actor, &a.Channel, &a.Addr, &a.Kind, &a.ActionExecutionID, &state, &a.Outcome, &a.Reason,
		&a.Comment, &answer, &groups, &a.ShownDigest, &a.Prev, &a.Hash); err != nil {
		return nil, err
	}
	a.At, a.State, a.Groups, a.AnswerJSON = parseTime(at), engine.State(state), parseGroups(groups), answer.String
	return a, nil
}

func (r reader) AuditRecords(ctx context.Context, actionID string) ([]*engine.AuditRecord, error) {
	query := `SELECT ` + auditColumns + ` FROM audit`
	var args []any
	if actionID != "" {
		query, args = query+` WHERE action_execution_id = ?`, []any{actionID}
	}
	rs, err := r.db.QueryContext(ctx, query+` ORDER BY seq`, args...)
	if err != nil {
		return nil, fmt.Errorf("audit records: %w", err)
	}
	defer rs.Close()
	var out []*engine.AuditRecord
	for rs.Next() {
		a, err := scanAudit(rs)
		if err != nil {
			return nil, fmt.Errorf("audit records: %w", err)
		}
		out = append(out, a)
	}
	return out, rs.Err()
}
