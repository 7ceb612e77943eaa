package pgtest_test

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/sirocco-project/sirocco/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// Each DSN is a database of its own, empty, on the throwaway cluster (not
// the machine's port 5432), and it survives a restart of the cluster.
func TestDSNIsAFreshDatabase(t *testing.T) {
	ctx := context.Background()
	a, b := pgtest.DSN(t), pgtest.DSN(t)
	if a == b {
		t.Fatalf("two DSNs are the same: %s", a)
	}
	c := pgtest.Cluster(t)
	if c.Port() == 5432 || c.Port() == 0 {
		t.Fatalf("port %d", c.Port())
	}
	conn, err := pgx.Connect(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE x (v int)`); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	conn, err = pgx.Connect(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE tablename = 'x'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("second database has table x: %d, %v", n, err)
	}
	conn.Close(ctx)

	c.Restart(t)
	conn, err = pgx.Connect(ctx, a)
	if err != nil {
		t.Fatalf("after restart: %v", err)
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM x`).Scan(&n); err != nil {
		t.Errorf("after restart: %v", err)
	}
}
