package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/sirocco-project/sirocco/internal/pgtest"
	"github.com/sirocco-project/sirocco/internal/postgres"
)

// TestPurgeUsesIndexes: the retention purge's statements can walk
// migration 0007's partial index of finished roots in order and find
// sub-executions and idempotency answers by index (with sequential scans
// priced out, as they would be on a large table, and planned without
// the arguments' values): each of its
// transactions stays short however large the tables.
func TestPurgeUsesIndexes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	s, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	c := connect(t, dsn)
	// Generic plans too: a statement prepared and run often is planned
	// without its arguments' values.
	for _, set := range []string{`SET enable_seqscan = off`, `SET plan_cache_mode = force_generic_plan`} {
		if _, err := c.Exec(ctx, set); err != nil {
			t.Fatal(err)
		}
	}
	for i, p := range postgres.PurgePlans {
		// EXPLAIN EXECUTE of a prepared statement: the plan a statement
		// run often gets, planned without its arguments.
		name := fmt.Sprintf("purge%d", i)
		if _, err := c.Exec(ctx, "PREPARE "+name+" AS "+p.SQL); err != nil {
			t.Fatal(err)
		}
		rows, err := c.Query(ctx, "EXPLAIN EXECUTE "+name+"("+strings.Join(p.Args, ", ")+")")
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, line)
		}
		rows.Close()
		all := strings.Join(plan, "\n")
		if !strings.Contains(all, p.Index) || strings.Contains(all, "Sort") || strings.Contains(all, "Seq Scan") {
			t.Errorf("plan of %s:\n%s\nwant index %s, no sort, no sequential scan", p.SQL, all, p.Index)
		}
	}
}
