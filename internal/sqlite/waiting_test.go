package sqlite_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/sqlite"
)

// TestWaitingWalksItsPrincipals: "waiting for me" walks the primary key of
// approval_eligible once per principal of the viewer's (their name, each
// group, anyone), from the cursor on, and never scans the table: its cost
// follows what it returns, not how many approvals wait for others.
func TestWaitingWalksItsPrincipals(t *testing.T) {
	t.Parallel()
	s := open(t, filepath.Join(t.TempDir(), "plan.db"))
	v := engine.Viewer{User: "ann", Groups: []string{"finance", "ops"}}
	for _, cursor := range []bool{false, true} {
		q, args := sqlite.WaitingWalk(v, cursor)
		plan, err := s.ExplainQueryPlan(context.Background(), q, args...)
		if err != nil {
			t.Fatal(err)
		}
		want := "SEARCH e USING PRIMARY KEY (principal=?"
		if cursor {
			want = "SEARCH e USING PRIMARY KEY (principal=? AND (created_at,action_execution_id)>(?,?))"
		}
		if n := strings.Count(plan, want); n != len(v.Principals()) {
			t.Errorf("plan (cursor %v):\n%s\nwant %d walks %q", cursor, plan, len(v.Principals()), want)
		}
		if strings.Contains(plan, "SCAN e") || !strings.Contains(plan, "SEARCH v USING COVERING INDEX") {
			t.Errorf("plan (cursor %v):\n%s\nwant no scan of approval_eligible, and votes looked up by key", cursor, plan)
		}
	}
}

// TestMigrationIndexesPendingApprovals: migration 0015 writes who may
// decide the approvals pending when it runs, from their stored requests
// (approvers, or anyone; requester and starter unless self-approval is
// allowed), and nothing for finished ones.
func TestMigrationIndexesPendingApprovals(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "db")
	db := openAt(t, path, 12)
	const at = "2026-01-01 00:00:00.000000"
	for _, q := range []string{
		`INSERT INTO workflow_executions (id, workflow_id, workflow_name, state, input, output, params, context, definition, project_id, created_at, updated_at)
			VALUES ('ex', 'wf', 'wf', 'RUNNING', '{}', '{}', '{}', '{}', 'x', 'p', '` + at + `', '` + at + `')`,
		`INSERT INTO action_executions (id, name, workflow_execution_id, state, project_id, is_async, input, created_at, updated_at, approval) VALUES
			('named', 'std.approval', 'ex', 'RUNNING', 'p', 1, '{}', '` + at + `', '` + at + `',
				'{"title":"A VM","requested_by":"rita","started_by":"sam","approvers":["group:finance","user:ann"],"allow_self_approval":false}'),
			('anyone', 'std.approval', 'ex', 'PAUSED', 'p', 1, '{}', '` + at + `', '` + at + `',
				'{"title":"Disk","requested_by":"ann","started_by":"ann","approvers":[],"allow_self_approval":true}'),
			('done', 'std.approval', 'ex', 'SUCCESS', 'p', 1, '{}', '` + at + `', '` + at + `',
				'{"title":"Old","requested_by":"rita","started_by":"rita","approvers":[],"allow_self_approval":false}'),
			('noop', 'std.async_noop', 'ex', 'RUNNING', 'p', 1, '{}', '` + at + `', '` + at + `', NULL)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s := open(t, path)
	ctx := context.Background()
	count := func(v engine.Viewer) int {
		t.Helper()
		n, err := s.CountWaiting(ctx, v, 100)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, c := range []struct {
		v    engine.Viewer
		want int
	}{
		{engine.Viewer{User: "ann"}, 2},                               // named by name; anyone (self-approval allowed)
		{engine.Viewer{User: "fay", Groups: []string{"finance"}}, 2},  // by group; anyone
		{engine.Viewer{User: "rita", Groups: []string{"finance"}}, 1}, // not her own request
		{engine.Viewer{User: "sam", Groups: []string{"finance"}}, 1},  // nor what he started
		{engine.Viewer{User: "otto"}, 1},                              // anyone
	} {
		if got := count(c.v); got != c.want {
			t.Errorf("waiting for %s %v: %d, want %d", c.v.User, c.v.Groups, got, c.want)
		}
	}
	p, err := s.Inbox(ctx, engine.InboxQuery{Viewer: &engine.Viewer{User: "otto"}, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	titles := map[string]string{}
	for _, it := range p.Items {
		if it.Approval != nil {
			titles[it.ID] = it.Approval.Title + " asked by " + it.Approval.RequestedBy
		}
	}
	if len(titles) != 2 || titles["named"] != "A VM asked by rita" || titles["anyone"] != "Disk asked by ann" {
		t.Errorf("approval rows after the migration: %v", titles)
	}
}
