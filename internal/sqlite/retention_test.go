package sqlite_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sirocco-project/sirocco/internal/sqlite"
)

// TestPurgeUsesIndexes: the retention purge walks the finished roots in
// the order of their partial index (no sort, no scan of the running or
// of sub-executions), finds sub-executions and idempotency answers by
// index: each of its transactions stays short however large the tables.
func TestPurgeUsesIndexes(t *testing.T) {
	t.Parallel()
	s := open(t, filepath.Join(t.TempDir(), "plan.db"))
	for _, p := range sqlite.PurgePlans {
		n := strings.Count(p.SQL, "?")
		a := make([]any, n)
		for i := range a {
			a[i] = "[]"
		}
		plan, err := s.ExplainQueryPlan(context.Background(), p.SQL, a...)
		if err != nil {
			t.Fatal(err)
		}
		scan := false // a table read whole, not through an index
		for _, line := range strings.Split(plan, "\n") {
			scan = scan || strings.HasPrefix(line, "SCAN ") && !strings.Contains(line, "USING") && !strings.Contains(line, "json_each")
		}
		if !strings.Contains(plan, p.Index) || strings.Contains(plan, "TEMP B-TREE") || scan {
			t.Errorf("plan of %s:\n%s\nwant index %s, no sort, no scan", p.SQL, plan, p.Index)
		}
	}
}
