package sqlite_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestInboxUsesPartialIndexes(t *testing.T) {
	t.Parallel()
	// The plans must read the partial indexes in order, without sorting:
	// that keeps the inbox fast with a hundred thousand pending actions and
	// any number of finished ones. (INDEXED BY fails outright if the WHERE
	// clause no longer implies the index's.)
	s := open(t, filepath.Join(t.TempDir(), "plan.db"))
	for _, q := range []string{
		`SELECT id FROM action_executions a INDEXED BY action_executions_inbox WHERE is_async = 1 AND state IN ('RUNNING', 'PAUSED') ORDER BY created_at, id LIMIT 10`,
		`SELECT COUNT(*) FROM action_executions INDEXED BY action_executions_inbox WHERE is_async = 1 AND state IN ('RUNNING', 'PAUSED')`,
		// An approval's row joins its entry (migration 0015): the order still comes from the index.
		`SELECT a.id, p.title FROM action_executions a INDEXED BY action_executions_inbox LEFT JOIN approval_pending p ON p.action_execution_id = a.id
			WHERE is_async = 1 AND state IN ('RUNNING', 'PAUSED') ORDER BY a.created_at, a.id LIMIT 10`,
		// The views (migration 0028): the services' count, a view's page.
		`SELECT COUNT(*) FROM action_executions INDEXED BY action_executions_inbox_waits WHERE waits_for = 'service' AND is_async = 1 AND state IN ('RUNNING', 'PAUSED')`,
		`SELECT id FROM action_executions a INDEXED BY action_executions_inbox_waits WHERE is_async = 1 AND state IN ('RUNNING', 'PAUSED') AND a.waits_for = 'person' ORDER BY a.created_at, a.id LIMIT 10`,
		`SELECT id FROM action_executions a INDEXED BY action_executions_inbox_workflow WHERE is_async = 1 AND state IN ('RUNNING', 'PAUSED') AND workflow_name = 'x' ORDER BY created_at DESC, id DESC LIMIT 10`,
	} {
		plan, err := s.ExplainQueryPlan(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(q, "COUNT") && !strings.Contains(plan, "COVERING INDEX") {
			t.Errorf("plan of %s:\n%s\nwant a covering index: a count must not read table rows", q, plan)
		}
		if !containsIndex(plan) {
			t.Errorf("plan of %s:\n%s\nwant an action_executions_inbox index", q, plan)
		}
	}
}

func containsIndex(plan string) bool {
	return strings.Contains(plan, "action_executions_inbox") && !strings.Contains(plan, "TEMP B-TREE")
}
