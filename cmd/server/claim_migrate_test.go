package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/pgtest"
	"github.com/sirocco-project/sirocco/internal/postgres"
	"github.com/sirocco-project/sirocco/internal/sqlite"
)

// TestMigrateToMovesClaims: an approval's claim (who handles it, until
// when, its version) moves from SQLite to PostgreSQL with migrate-to.
func TestMigrateToMovesClaims(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "claims.db")
	st, err := sqlite.Open(ctx, db, sqlite.Options{Sync: sqlite.SyncNormal})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 7, 12, 0, 0, 123000, time.UTC)
	claim := &engine.Claim{ActionExecutionID: "act-1", User: "alice", ClaimedAt: at, ExpiresAt: at.Add(engine.ClaimTTL)}
	err = st.Update(ctx, func(tx engine.Tx) error {
		a := &engine.ActionExecution{ID: "act-1", Name: "std.approval", State: engine.StateRunning, ProjectID: engine.DefaultProject,
			Async: true, InputJSON: "{}", CreatedAt: at, UpdatedAt: at}
		if err := tx.CreateActionExecution(ctx, a); err != nil {
			return err
		}
		if err := tx.AddClaim(ctx, claim); err != nil {
			return err
		}
		claim.ExpiresAt = at.Add(time.Hour) // renewed once: version 1
		return tx.UpdateClaim(ctx, claim)
	})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()

	dsn := pgtest.DSN(t)
	var out strings.Builder
	if err := run(ctx, []string{"migrate-to", "-db", db, dsn}, func(string) string { return "" }, &out, &out); err != nil {
		t.Fatalf("migrate-to: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "approval_claims") {
		t.Errorf("migrate-to's report does not name approval_claims:\n%s", out.String())
	}
	pg, err := postgres.Open(ctx, dsn, postgres.Options{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	got, err := pg.ClaimsOn(ctx, []string{"act-1"}, at)
	if err != nil || len(got) != 1 {
		t.Fatalf("claims after the move: %v %v", got, err)
	}
	if *got[0] != *claim {
		t.Errorf("claim after the move %+v, want %+v", *got[0], *claim)
	}
}
