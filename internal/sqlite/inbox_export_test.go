package sqlite

import (
	"context"
	"strings"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// ExplainQueryPlan returns SQLite's plan of query, one step a line, for
// tests that check an index is used.
func (s *Store) ExplainQueryPlan(ctx context.Context, query string, args ...any) (string, error) {
	rows, err := s.rdb.QueryContext(ctx, "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			return "", err
		}
		b.WriteString(detail + "\n")
	}
	return b.String(), rows.Err()
}

// Queued reports how many updates wait for the writer.
func (s *Store) Queued() int { return len(s.writes) }

// WaitingWalk is the SQL of the walk of the approvals waiting for v
// (waitingWalk), for the plan tests.
func WaitingWalk(v engine.Viewer, cursor bool) (string, []any) {
	var c *engine.InboxCursor
	if cursor {
		c = &engine.InboxCursor{}
	}
	return waitingWalk(v, inboxPending, nil, c, "ASC", 51)
}
