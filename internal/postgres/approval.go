package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/sirocco-project/sirocco/internal/engine"
)

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
	// An upsert keeps the row, and with it the vote's place (seq) in the
	// order of first votes.
	_, err := t.q.Exec(ctx, `INSERT INTO approval_votes
		(action_execution_id, user_name, approve, override, answer, comment, channel, rule, groups, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (action_execution_id, user_name) DO UPDATE SET approve = excluded.approve, override = excluded.override,
			answer = excluded.answer, comment = excluded.comment, channel = excluded.channel, rule = excluded.rule,
			groups = excluded.groups, created_at = excluded.created_at`,
		v.ActionExecutionID, v.User, v.Approve, v.Override, v.AnswerJSON, v.Comment, v.Channel,
		v.Rule, groupsJSON(v.Groups), utc(v.CreatedAt))
	return dbErr(err, "put approval vote")
}

func (r reader) ApprovalVotes(ctx context.Context, actionID string) ([]*engine.ApprovalVote, error) {
	rows, err := r.db.Query(ctx, `SELECT user_name, approve, override, answer, comment, channel, rule, groups, created_at
		FROM approval_votes WHERE action_execution_id = $1 ORDER BY seq`, actionID)
	if err != nil {
		return nil, fmt.Errorf("votes of %s: %w", actionID, err)
	}
	defer rows.Close()
	var out []*engine.ApprovalVote
	for rows.Next() {
		v := &engine.ApprovalVote{ActionExecutionID: actionID}
		var groups string
		if err := rows.Scan(&v.User, &v.Approve, &v.Override, &v.AnswerJSON, &v.Comment, &v.Channel, &v.Rule, &groups, &v.CreatedAt); err != nil {
			return nil, fmt.Errorf("votes of %s: %w", actionID, err)
		}
		v.Groups = parseGroups(groups)
		out = append(out, v)
	}
	return out, rows.Err()
}
