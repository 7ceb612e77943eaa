package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// Votes and audit records (migration 0012).

// groupsJSON stores a list of group names as a JSON array.
func groupsJSON(groups []string) string {
	if len(groups) == 0 {
		return "[]"
	}
	b, err := json.Marshal(groups)
	if err != nil {
		return "[]"
	}
	return string(b)
}

func parseGroups(s string) []string {
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil || len(out) == 0 {
		return nil
	}
	return out
}

func (t *tx) PutApprovalVote(ctx context.Context, v *engine.ApprovalVote) error {
	// An upsert keeps the row, and with it the vote's place in the order
	// (rowid) of first votes.
	_, err := t.db.ExecContext(ctx, `INSERT INTO approval_votes
		(action_execution_id, user_name, approve, override, answer, comment, channel, rule, groups, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (action_execution_id, user_name) DO UPDATE SET approve = excluded.approve, override = excluded.override,
			answer = excluded.answer, comment = excluded.comment, channel = excluded.channel, rule = excluded.rule,
			groups = excluded.groups, created_at = excluded.created_at`,
		v.ActionExecutionID, v.User, boolInt(v.Approve), boolInt(v.Override), strOrNil(v.AnswerJSON), v.Comment, v.Channel,
		v.Rule, groupsJSON(v.Groups), fmtTime(v.CreatedAt))
	return dbErr(err, "put approval vote")
}

func (r reader) ApprovalVotes(ctx context.Context, actionID string) ([]*engine.ApprovalVote, error) {
	rows, err := r.db.QueryContext(ctx, `SELECT user_name, approve, override, answer, comment, channel, rule, groups, created_at
		FROM approval_votes WHERE action_execution_id = ? ORDER BY rowid`, actionID)
	if err != nil {
		return nil, fmt.Errorf("votes of %s: %w", actionID, err)
	}
	defer rows.Close()
	var out []*engine.ApprovalVote
	for rows.Next() {
		v := &engine.ApprovalVote{ActionExecutionID: actionID}
		var approve, override int
		var answer sql.NullString
		var groups, at string
		if err := rows.Scan(&v.User, &approve, &override, &answer, &v.Comment, &v.Channel, &v.Rule, &groups, &at); err != nil {
			return nil, fmt.Errorf("votes of %s: %w", actionID, err)
		}
		v.Approve, v.Override, v.AnswerJSON = approve != 0, override != 0, nullStr(answer)
		v.Groups, v.CreatedAt = parseGroups(groups), parseTime(at)
		out = append(out, v)
	}
	return out, rows.Err()
}

func (t *tx) AppendAudit(ctx context.Context, a *engine.AuditRecord) error {
	var answer any
	if a.AnswerJSON != "" {
		answer = a.AnswerJSON
	}
	res, err := t.db.ExecContext(ctx, `INSERT INTO audit
		(at, actor, channel, addr, kind, action_execution_id, state, outcome, reason, comment, answer, groups, shown_digest)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		fmtTime(a.At), a.Actor, a.Channel, a.Addr, a.Kind, a.ActionExecutionID, string(a.State), a.Outcome, a.Reason, a.Comment,
		answer, groupsJSON(a.Groups), a.ShownDigest)
	if err != nil {
		return dbErr(err, "append audit record")
	}
	a.ID, err = res.LastInsertId()
	return err
}

func (r reader) AuditRecords(ctx context.Context, actionID string) ([]*engine.AuditRecord, error) {
	query := `SELECT id, at, actor, channel, addr, kind, action_execution_id, state, outcome, reason,
		comment, answer, groups, shown_digest FROM audit`
	var args []any
	if actionID != "" {
		query, args = query+` WHERE action_execution_id = ?`, []any{actionID}
	}
	rows, err := r.db.QueryContext(ctx, query+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("audit records: %w", err)
	}
	defer rows.Close()
	var out []*engine.AuditRecord
	for rows.Next() {
		a := &engine.AuditRecord{}
		var at, state, groups string
		var answer sql.NullString
		if err := rows.Scan(&a.ID, &at, &a.Actor, &a.Channel, &a.Addr, &a.Kind, &a.ActionExecutionID, &state, &a.Outcome, &a.Reason,
			&a.Comment, &answer, &groups, &a.ShownDigest); err != nil {
			return nil, fmt.Errorf("audit records: %w", err)
		}
		a.At, a.State, a.Groups = parseTime(at), engine.State(state), parseGroups(groups)
		if answer.Valid {
			a.AnswerJSON = answer.String
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
