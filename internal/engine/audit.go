package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sirocco-project/sirocco/internal/audit"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

// The audit trail's records made by the engine: votes and timeouts
// (vote.go), a person's completion of any other action, and the
// administrative acts on definitions and executions. The store chains
// them (Tx.AppendAudit); nothing here is on the path of a machine's
// callback.

// Record is r in package audit's form, the one the store seals and the
// exports write. Prev and Hash are read from their hex; a record not yet
// sealed (or a hash that is not hex) has them zero, and the error says
// which could not be read.
func (r *AuditRecord) Record() (*audit.Record, error) {
	out := &audit.Record{Seq: r.Seq, At: r.At, Actor: r.Actor, Channel: r.Channel, Addr: r.Addr, Kind: audit.Kind(r.Kind),
		ActionExecutionID: r.ActionExecutionID, State: string(r.State), Outcome: audit.Outcome(r.Outcome), Reason: r.Reason,
		Comment: r.Comment, Answer: r.AnswerJSON, Groups: r.Groups, ShownDigest: r.ShownDigest}
	if r.Prev == "" && r.Hash == "" {
		return out, nil
	}
	var e1, e2 error
	out.Prev, e1 = audit.ParseHash(r.Prev)
	out.Hash, e2 = audit.ParseHash(r.Hash)
	return out, errors.Join(e1, e2)
}

// ViaServer is the channel of what the server does of itself, with no
// person and no request (the examples seeded at the first start).
const ViaServer = "server"

// completionRecord starts the audit record of a person's completion of
// an action that is no approval: a decision (SUCCESS, ERROR) or an
// administrative act (CANCELLED, PAUSED, RUNNING).
func (w *work) completionRecord(a *ActionExecution, c Completion) *AuditRecord {
	d := c.Decider
	rec := &AuditRecord{At: w.e.now(), Actor: d.User, Groups: d.Groups, Channel: c.Via, Addr: d.Addr, Kind: AuditDecision,
		ActionExecutionID: a.ID, State: c.State, Comment: c.Comment}
	switch {
	case c.Override:
		rec.Kind = AuditOverride
	case c.State == StateCancelled || c.State == StatePaused || c.State == StateRunning:
		rec.Kind = AuditAdmin
	}
	if c.HasOutput {
		if text, err := jsonvalue.Canonical(c.Output); err == nil {
			rec.AnswerJSON = string(text)
		}
	}
	return rec
}

// auditAdmin appends the record of an administrative act by (nil: the
// server itself) on the action actionID ("" for none), what saying what
// was done.
func (w *work) auditAdmin(by *Decider, actionID string, state State, what string) error {
	rec := &AuditRecord{At: w.e.now(), Channel: ViaServer, Kind: AuditAdmin, ActionExecutionID: actionID, State: state,
		Outcome: AuditAccepted, Reason: what}
	if by != nil {
		rec.Actor, rec.Groups, rec.Channel, rec.Addr = by.User, by.Groups, by.Channel, by.Addr
	}
	if err := w.tx.AppendAudit(w.ctx, rec); err != nil {
		return fmt.Errorf("audit %q: %w", what, err)
	}
	return nil
}

// auditDefinition appends the record of definitions created or updated
// (what: "workflows", "actions", "workbook"), naming them and the digest
// of the text they came from.
func (w *work) auditDefinition(by *Decider, what string, names []string, namespace, scope string, replace bool, definition string) error {
	verb := "create"
	if replace {
		verb = "update"
	}
	return w.auditAdmin(by, "", "", fmt.Sprintf("%s %s %s (namespace %q, scope %s), definition %s",
		verb, what, strings.Join(names, ", "), namespace, scope, definitionDigest(definition)))
}

// definitionDigest names a definition's text in an audit record, so that
// what was installed can be proven later from a copy of it.
func definitionDigest(text string) string {
	sum := sha256.Sum256([]byte(text))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// ListAudit pages the audit trail, newest first (admin only: the caller
// checks). A limit above MaxAuditPage is fault.EINVALID.
func (e *Engine) ListAudit(ctx context.Context, q AuditQuery) ([]*AuditRecord, error) {
	switch q.Outcome {
	case "", AuditAccepted, AuditRefused:
	default:
		return nil, fault.Errorf(fault.EINVALID, "outcome: %q is not accepted or refused", q.Outcome)
	}
	switch q.Kind {
	case "", AuditDecision, AuditOverride, AuditTimeout, AuditAdmin, AuditReminder, AuditEscalation:
	default:
		return nil, fault.Errorf(fault.EINVALID, "kind: %q is not decision, override, timeout, admin, reminder or escalation", q.Kind)
	}
	if q.Limit < 0 || q.Limit > MaxAuditPage {
		return nil, fault.Errorf(fault.EINVALID, "limit: %d is not between 1 and %d", q.Limit, MaxAuditPage)
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Since.Before(q.Until) {
		return nil, fault.Errorf(fault.EINVALID, "since: %s is not before until (%s)", q.Since.Format(timeLayout), q.Until.Format(timeLayout))
	}
	return e.store.ListAudit(ctx, q)
}

// AuditHead returns the end of the audit trail.
func (e *Engine) AuditHead(ctx context.Context) (AuditHead, error) {
	return e.store.AuditHead(ctx)
}

// AuditFilters are the names of the parameters AuditQueryOf reads: the
// filters of GET /v2/audit and of the dashboard's Audit page.
var AuditFilters = []string{"action", "user", "outcome", "kind", "since", "until", "limit", "marker"}

// AuditQueryOf reads an AuditQuery from request parameters (get returns
// "" for an absent one): action, user, outcome, kind; since and until as
// RFC 3339 times or dates (YYYY-MM-DD; until a date includes that day);
// limit (1 to MaxAuditPage); marker, the seq of the last record of the
// page before. A bad value is fault.EINVALID naming the parameter.
func AuditQueryOf(get func(name string) string) (AuditQuery, error) {
	q := AuditQuery{ActionExecutionID: get("action"), Actor: get("user"), Outcome: get("outcome"), Kind: get("kind")}
	var err error
	if q.Since, err = auditTime("since", get("since"), false); err != nil {
		return q, err
	}
	if q.Until, err = auditTime("until", get("until"), true); err != nil {
		return q, err
	}
	if v := get("limit"); v != "" {
		if q.Limit, err = strconv.Atoi(v); err != nil || q.Limit < 1 || q.Limit > MaxAuditPage {
			return q, fault.Errorf(fault.EINVALID, "limit: %q is not a number from 1 to %d", v, MaxAuditPage)
		}
	}
	if v := get("marker"); v != "" {
		if q.Before, err = strconv.ParseInt(v, 10, 64); err != nil || q.Before < 1 {
			return q, fault.Errorf(fault.EINVALID, "marker: %q is not a record number (the seq of the last record of the page before)", v)
		}
	}
	return q, nil
}

// auditTime reads a since or until parameter: an RFC 3339 time, or a
// date, which is its first instant in UTC (for until, the next day's:
// "until 2026-03-01" includes that day).
func auditTime(name, v string, end bool) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC(), nil
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, fault.Errorf(fault.EINVALID, "%s: %q is neither a date (2006-01-02) nor an RFC 3339 time (2006-01-02T15:04:05Z)", name, v)
	}
	if end {
		t = t.AddDate(0, 0, 1)
	}
	return t, nil
}
