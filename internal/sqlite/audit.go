package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sirocco-project/sirocco/internal/audit"
	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
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
	var head audit.Head
	if q.head != nil && q.head.have {
		head = q.head.h
	} else {
		h, err := auditHead(ctx, q)
		if err != nil {
			return err
		}
		head = h
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
	if q.head != nil {
		*q.head = batchHead{h: next, have: true, dirty: true}
		return nil
	}
	return putAuditHead(ctx, q, next)
}

// flushAuditHead writes the head the batch's appends left, if newer than
// the stored one: once per batch, before commit, instead of once per
// record (a callback by a person appends one).
func flushAuditHead(ctx context.Context, q txQuerier) error {
	if q.head == nil || !q.head.dirty {
		return nil
	}
	if err := putAuditHead(ctx, q, q.head.h); err != nil {
		return err
	}
	q.head.dirty = false
	return nil
}

// auditHead reads the head: the zero head (seq 0) when there is none yet.
func auditHead(ctx context.Context, q querier) (audit.Head, error) {
	head, _, err := readHead(ctx, q)
	return head, err
}

// readHead reads the head and whether there is one.
func readHead(ctx context.Context, q querier) (audit.Head, bool, error) {
	var head audit.Head
	var hash string
	err := q.QueryRowContext(ctx, `SELECT seq, hash, anchor FROM audit_head WHERE id = 1`).Scan(&head.Seq, &hash, &head.Anchor)
	if errors.Is(err, sql.ErrNoRows) {
		return audit.Head{}, false, nil
	}
	if err != nil {
		return head, false, dbErr(err, "read audit head")
	}
	if head.Hash, err = audit.ParseHash(hash); err != nil {
		return head, true, fmt.Errorf("%w: its hash %s", ErrAuditUnchecked, fault.Message(err))
	}
	return head, true, nil
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
	r, err := a.Record()
	if err != nil {
		return fmt.Errorf("append audit record: %w", err)
	}
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

// AppendAudit implements auth.Tx: an administrative change to accounts,
// sealed into the same trail as the engine's records.
func (tx *authTx) AppendAudit(ctx context.Context, a *auth.AuditRecord) error {
	channel := a.By.Channel
	if channel == "" {
		channel = auth.ServerActor.Channel
	}
	return appendAudit(ctx, tx.q, &audit.Record{At: a.At, Actor: a.By.User, Channel: channel, Addr: a.By.Addr,
		Kind: audit.KindAdmin, Outcome: audit.Accepted, Reason: a.What, Groups: slices.Clone(a.By.Groups)})
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

func (r reader) ListAudit(ctx context.Context, q engine.AuditQuery) ([]*engine.AuditRecord, error) {
	if q.Limit <= 0 {
		q.Limit = engine.DefaultAuditPage
	}
	if q.Limit > engine.MaxAuditPage {
		return nil, fault.Errorf(fault.EINVALID, "limit: at most %d audit records a page", engine.MaxAuditPage)
	}
	var where []string
	var args []any
	add := func(cond string, v any) {
		where, args = append(where, cond), append(args, v)
	}
	if q.ActionExecutionID != "" {
		add("action_execution_id = ?", q.ActionExecutionID)
	}
	if q.Actor != "" {
		add("actor = ?", q.Actor)
	}
	if q.Outcome != "" {
		add("outcome = ?", q.Outcome)
	}
	if q.Kind != "" {
		add("kind = ?", q.Kind)
	}
	// at is stored in timeFormat, whose text sorts as its time.
	if !q.Since.IsZero() {
		add("at >= ?", fmtTime(q.Since))
	}
	if !q.Until.IsZero() {
		add("at < ?", fmtTime(q.Until))
	}
	if q.Before > 0 {
		add("seq < ?", q.Before)
	}
	query := `SELECT ` + auditColumns + ` FROM audit`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	rs, err := r.db.QueryContext(ctx, query+` ORDER BY seq DESC LIMIT ?`, append(args, q.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("list audit records: %w", err)
	}
	defer rs.Close()
	out := make([]*engine.AuditRecord, 0, min(q.Limit, 64))
	for rs.Next() {
		a, err := scanAudit(rs)
		if err != nil {
			return nil, fmt.Errorf("list audit records: %w", err)
		}
		out = append(out, a)
	}
	return out, rs.Err()
}

func (r reader) AuditHead(ctx context.Context) (engine.AuditHead, error) {
	h, err := auditHead(ctx, r.db)
	if err != nil {
		return engine.AuditHead{}, err
	}
	return engine.AuditHead{Seq: h.Seq, Hash: h.Hash.String(), Anchored: h.Anchor != ""}, nil
}

// ErrAuditUnchecked is StartAudit's refusal (audit.ErrUnchecked): the
// trail does not check under the key, or does not end at its head.
var ErrAuditUnchecked = audit.ErrUnchecked

// AuditStart is what StartAudit found and did (audit.Start).
type AuditStart = audit.Start

// StartAudit checks the audit trail's head before the server writes to
// it, and anchors it when the store holds a key: an empty trail gets an
// anchored head for seq 0 (so that removing every record is detected
// later); an unanchored head is anchored once its whole chain verifies.
// A head whose anchor does not check under the key, a trail that does not
// end at its head, or a chain that does not verify is ErrAuditUnchecked.
func (s *Store) StartAudit(ctx context.Context) (AuditStart, error) {
	var st AuditStart
	err := s.write(ctx, func(q txQuerier) error {
		// It reads and writes the head itself: what the batch holds goes
		// to the table first, and is read again after.
		if err := flushAuditHead(ctx, q); err != nil {
			return err
		}
		if q.head != nil {
			q.head.have = false
		}
		head, ok, err := readHead(ctx, q)
		if err != nil {
			return err
		}
		var lastSeq int64
		lastHash := audit.Hash{}.String() // an empty trail's
		err = q.QueryRowContext(ctx, `SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1`).Scan(&lastSeq, &lastHash)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return dbErr(err, "read the last audit record")
		}
		var write *audit.Head
		st, write, err = audit.Begin(head, ok, lastSeq, lastHash, q.auditKey, func(h audit.Head) (int64, error) { return verifyTrail(ctx, q, h) })
		if err != nil {
			return err
		}
		if write != nil {
			return putAuditHead(ctx, q, *write)
		}
		return nil
	})
	return st, err
}

// verifyTrail checks the whole chain against head (no key: the head is
// not anchored yet) and returns how many records it read.
func verifyTrail(ctx context.Context, q querier, head audit.Head) (int64, error) {
	rs, err := q.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit ORDER BY seq`)
	if err != nil {
		return 0, fmt.Errorf("read the audit trail: %w", err)
	}
	defer rs.Close()
	v := audit.NewVerifier(nil)
	if err := eachAuditRecord(rs, func(r *audit.Record) error { v.Add(r); return nil }); err != nil {
		return 0, fmt.Errorf("read the audit trail: %w", err)
	}
	return v.Count(), v.Finish(&head)
}
