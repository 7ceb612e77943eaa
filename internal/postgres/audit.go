package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sirocco-project/sirocco/internal/audit"
	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// The audit trail: records chained by hash, and the head with its anchor.
// A record is sealed in its update's transaction, after taking the
// trail's advisory lock (held to commit or rollback): appends from
// concurrent transactions, on any replica, take turns, each reading the
// head the one before committed, so that the chain has no gaps or forks.

// auditLock is the key of the transaction advisory lock serialising
// appends to the trail.
const auditLock = 0x53495241554454 // "SIRAUDT"

// appendAudit adds r to the transaction's records, sealed at commit
// (sealAudits); done runs once r has its place in the chain. Its time is
// kept to the microsecond, as the store keeps times, and its groups
// sorted, so that what is read back hashes as what was sealed.
func appendAudit(q *txq, r *audit.Record, done func(*audit.Record)) {
	r.At = r.At.UTC().Truncate(time.Microsecond)
	r.Groups = slices.Sorted(slices.Values(r.Groups))
	q.audits = append(q.audits, pendingAudit{r, done})
}

// pendingAudit is an audit record waiting for its seal.
type pendingAudit struct {
	r    *audit.Record
	done func(*audit.Record)
}

// sealAudits chains the transaction's records after the stored head and
// queues their inserts and the new head. It runs just before commit (or
// before the transaction reads the trail), because the head row's lock,
// which serialises every append across replicas and keeps the chain
// gapless, is held from here to the commit: taken last, it is held for
// two round trips, not for the whole transaction. Only the very first
// record, before there is a head row to lock, takes the trail's advisory
// lock instead.
func sealAudits(ctx context.Context, q *txq) error {
	if len(q.audits) == 0 {
		return nil
	}
	head, ok, err := readHead(ctx, q, true)
	if err != nil {
		return err
	}
	if !ok {
		if _, err := q.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(auditLock)); err != nil {
			return dbErr(err, "lock the audit trail")
		}
		if head, _, err = readHead(ctx, q, true); err != nil {
			return err
		}
	}
	for _, p := range q.audits {
		r := p.r
		if head, err = audit.Seal(head, r, q.auditKey); err != nil {
			return fmt.Errorf("seal audit record: %w", err)
		}
		var answer *string
		if r.Answer != "" {
			answer = &r.Answer
		}
		q.deferExec(`INSERT INTO audit (seq, at, actor, channel, addr, kind, action_execution_id, state,
			outcome, reason, comment, answer, groups, shown_digest, prev, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
			r.Seq, r.At, r.Actor, r.Channel, r.Addr, string(r.Kind), r.ActionExecutionID, r.State,
			string(r.Outcome), r.Reason, r.Comment, answer, groupsJSON(r.Groups), r.ShownDigest, r.Prev.String(), r.Hash.String())
		if p.done != nil {
			p.done(r)
		}
	}
	q.audits = nil
	q.deferExec(`INSERT INTO audit_head (id, seq, hash, anchor) VALUES (1, $1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, anchor = excluded.anchor`,
		head.Seq, head.Hash.String(), head.Anchor)
	return nil
}

// sealBeforeReading seals the transaction's records before it reads the
// trail, so that it reads its own.
func sealBeforeReading(ctx context.Context, db querier) error {
	if q, ok := db.(*txq); ok {
		return sealAudits(ctx, q)
	}
	return nil
}

// readHead reads the head (the zero head when there is none) and whether
// there is one; forUpdate locks its row until the transaction ends.
func readHead(ctx context.Context, q querier, forUpdate bool) (audit.Head, bool, error) {
	var head audit.Head
	var hash string
	query := `SELECT seq, hash, anchor FROM audit_head WHERE id = 1`
	if forUpdate {
		query += ` FOR UPDATE`
	}
	err := q.QueryRow(ctx, query).Scan(&head.Seq, &hash, &head.Anchor)
	if errors.Is(err, pgx.ErrNoRows) {
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

func putAuditHead(ctx context.Context, q *txq, h audit.Head) error {
	_, err := q.Exec(ctx, `INSERT INTO audit_head (id, seq, hash, anchor) VALUES (1, $1, $2, $3)
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
	a.At = r.At.UTC().Truncate(time.Microsecond)
	appendAudit(t.q, r, func(r *audit.Record) {
		a.Seq, a.Prev, a.Hash, a.At = r.Seq, r.Prev.String(), r.Hash.String(), r.At
		a.Groups = r.Groups
		if len(a.Groups) == 0 {
			a.Groups = nil
		}
	})
	return nil
}

// AppendAudit implements auth.Tx: an administrative change to accounts,
// sealed into the same trail as the engine's records.
func (tx *authTx) AppendAudit(ctx context.Context, a *auth.AuditRecord) error {
	channel := a.By.Channel
	if channel == "" {
		channel = auth.ServerActor.Channel
	}
	appendAudit(tx.q, &audit.Record{At: a.At, Actor: a.By.User, Channel: channel, Addr: a.By.Addr,
		Kind: audit.KindAdmin, Outcome: audit.Accepted, Reason: a.What, Groups: slices.Clone(a.By.Groups)}, nil)
	return nil
}

// auditColumns are the columns scanAudit reads, in its order.
const auditColumns = `seq, at, actor, channel, addr, kind, action_execution_id, state, outcome, reason,
	comment, answer, groups, shown_digest, prev, hash`

func scanAudit(s pgxScanner) (*engine.AuditRecord, error) {
	a := &engine.AuditRecord{}
	var state, groups string
	var answer *string
	if err := s.Scan(&a.Seq, &a.At, &a.Actor, &a.Channel, &a.Addr, &a.Kind, &a.ActionExecutionID, &state, &a.Outcome, &a.Reason,
		&a.Comment, &answer, &groups, &a.ShownDigest, &a.Prev, &a.Hash); err != nil {
		return nil, err
	}
	a.State, a.Groups, a.AnswerJSON = engine.State(state), parseGroups(groups), deref(answer)
	return a, nil
}

func (r reader) AuditRecords(ctx context.Context, actionID string) ([]*engine.AuditRecord, error) {
	if err := sealBeforeReading(ctx, r.db); err != nil {
		return nil, err
	}
	query := `SELECT ` + auditColumns + ` FROM audit`
	var a args
	if actionID != "" {
		query += ` WHERE action_execution_id = ` + a.add(actionID)
	}
	return collect(ctx, r.db, "audit records", scanAudit, query+` ORDER BY seq`, a...)
}

func (r reader) ListAudit(ctx context.Context, q engine.AuditQuery) ([]*engine.AuditRecord, error) {
	if err := sealBeforeReading(ctx, r.db); err != nil {
		return nil, err
	}
	if q.Limit <= 0 {
		q.Limit = engine.DefaultAuditPage
	}
	if q.Limit > engine.MaxAuditPage {
		return nil, fault.Errorf(fault.EINVALID, "limit: at most %d audit records a page", engine.MaxAuditPage)
	}
	var where []string
	var a args
	add := func(cond string, v any) { where = append(where, cond+" "+a.add(v)) }
	if q.ActionExecutionID != "" {
		add("action_execution_id =", q.ActionExecutionID)
	}
	if q.Actor != "" {
		add("actor =", q.Actor)
	}
	if q.Outcome != "" {
		add("outcome =", q.Outcome)
	}
	if q.Kind != "" {
		add("kind =", q.Kind)
	}
	if !q.Since.IsZero() {
		add("at >=", utc(q.Since))
	}
	if !q.Until.IsZero() {
		add("at <", utc(q.Until))
	}
	if q.Before > 0 {
		add("seq <", q.Before)
	}
	query := `SELECT ` + auditColumns + ` FROM audit`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	out, err := collect(ctx, r.db, "list audit records", scanAudit, query+` ORDER BY seq DESC LIMIT `+a.add(q.Limit), a...)
	if out == nil && err == nil {
		out = []*engine.AuditRecord{}
	}
	return out, err
}

func (r reader) AuditHead(ctx context.Context) (engine.AuditHead, error) {
	if err := sealBeforeReading(ctx, r.db); err != nil {
		return engine.AuditHead{}, err
	}
	h, _, err := readHead(ctx, r.db, false)
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
// it, and anchors it when the store holds a key, as package sqlite's
// does. It takes the trail's lock: replicas starting together take turns.
func (s *Store) StartAudit(ctx context.Context) (AuditStart, error) {
	var st AuditStart
	err := s.write(ctx, func(q *txq) error {
		if _, err := q.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(auditLock)); err != nil {
			return dbErr(err, "lock the audit trail")
		}
		head, ok, err := readHead(ctx, q, true)
		if err != nil {
			return err
		}
		var lastSeq int64
		lastHash := audit.Hash{}.String() // an empty trail's
		err = q.QueryRow(ctx, `SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1`).Scan(&lastSeq, &lastHash)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
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

// verifyTrail checks the whole chain against head and returns how many
// records it read.
func verifyTrail(ctx context.Context, q querier, head audit.Head) (int64, error) {
	recs, err := collect(ctx, q, "read the audit trail", scanAudit, `SELECT `+auditColumns+` FROM audit ORDER BY seq`)
	if err != nil {
		return 0, err
	}
	v := audit.NewVerifier(nil)
	for _, a := range recs {
		r, err := a.Record()
		if err != nil {
			return 0, fmt.Errorf("audit record %d: %w", a.Seq, err)
		}
		v.Add(r)
	}
	return v.Count(), v.Finish(&head)
}
