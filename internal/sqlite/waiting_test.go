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
// approval_eligible in order, once per principal of the viewer's (their
// name, each group, anyone) and once for the approvals that do not wait
// for them, from the cursor on, and merges the walks as it reads them: no
// scan, no sort, no look-up per row. Its cost follows what it returns.
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
		want := "SEARCH e USING PRIMARY KEY (principal=?)"
		if cursor {
			want = "SEARCH e USING PRIMARY KEY (principal=? AND (created_at,action_execution_id)>(?,?))"
		}
		if n := strings.Count(plan, want); n != len(v.Principals())+1 {
			t.Errorf("plan (cursor %v):\n%s\nwant %d walks %q", cursor, plan, len(v.Principals())+1, want)
		}
		if !strings.Contains(plan, "MERGE (EXCEPT)") || strings.Contains(plan, "TEMP B-TREE") || strings.Contains(plan, "SCAN") ||
			strings.Contains(plan, "SUBQUERY") {
			t.Errorf("plan (cursor %v):\n%s\nwant the walks merged as read: no scan, sort or look-up", cursor, plan)
		}
	}
}

// TestMigrationIndexesPendingApprovals: migration 0015 writes who may
// decide the approvals pending when it runs, from their stored requests
// (approvers, or anyone; not the requester and starter unless
// self-approval is allowed) and votes (not who voted), and nothing for
// finished ones.
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
		`INSERT INTO approval_votes (action_execution_id, user_name, approve, channel, created_at) VALUES ('named', 'fin', 1, 'api', '` + at + `')`,
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
		{engine.Viewer{User: "fin", Groups: []string{"finance"}}, 1},  // not what he voted on
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
