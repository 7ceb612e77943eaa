package sqlite

import (
	"context"
	"strings"
)

// ExplainQueryPlan returns SQLite's plan of query, one step a line, for
// tests that check an index is used.
func (s *Store) ExplainQueryPlan(ctx context.Context, query string) (string, error) {
	rows, err := s.rdb.QueryContext(ctx, "EXPLAIN QUERY PLAN "+query)
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
