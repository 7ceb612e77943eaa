package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/auth"
)

// openAt makes a database at schema version v (migrations 1 to v applied,
// read from this package's migrations directory) and returns it open.
func openAt(t *testing.T, path string, v int) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	names, err := filepath.Glob("migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	if _, err := db.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		num, _, _ := strings.Cut(filepath.Base(name), "_")
		n, err := strconv.Atoi(num)
		if err != nil || n > v {
			continue
		}
		body, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(string(body)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := db.Exec(`INSERT INTO schema_migrations VALUES (?, '')`, n); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// TestMigrationKeepsAccounts: migration 0012 builds the account tables
// again to admit the requester role; users, groups, memberships, tokens
// and sessions survive it, their foreign keys still cascade, and the new
// role is accepted.
func TestMigrationKeepsAccounts(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "db")
	db := openAt(t, path, 11)
	for _, q := range []string{
		`INSERT INTO users VALUES ('ann', 'approver', 'h1', '2026-01-01 00:00:00.000000'), ('bob', 'viewer', 'h2', '2026-01-01 00:00:00.000000')`,
		`INSERT INTO groups VALUES ('finance', 'approver', '2026-01-01 00:00:00.000000')`,
		`INSERT INTO group_members VALUES ('finance', 'ann'), ('finance', 'bob')`,
		`INSERT INTO api_tokens VALUES ('t1', 'hash1', 'ci', 'api', 'approver', 'ann', '2026-01-01 00:00:00.000000', NULL)`,
		`INSERT INTO sessions VALUES ('s1', 'bob', '2026-01-01 00:00:00.000000', '2099-01-01 00:00:00.000000')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := db.Exec(`INSERT INTO users VALUES ('rita', 'requester', 'h3', '2026-01-01 00:00:00.000000')`); err == nil {
		t.Fatal("before 0012 the requester role is accepted: the test proves nothing")
	}
	db.Close()

	s := open(t, path)
	ctx := context.Background()
	a := s.Auth()
	ann, err := a.GetUser(ctx, "ann")
	if err != nil || ann.Role != auth.RoleApprover || len(ann.Groups) != 1 || ann.Groups[0].Name != "finance" {
		t.Fatalf("ann after the migration: %+v, %v", ann, err)
	}
	if tok, err := a.TokenByHash(ctx, "hash1"); err != nil || tok.UserName != "ann" || tok.Name != "ci" {
		t.Errorf("token after the migration: %+v, %v", tok, err)
	}
	if sess, err := a.SessionByHash(ctx, "s1"); err != nil || sess.UserName != "bob" {
		t.Errorf("session after the migration: %+v, %v", sess, err)
	}
	err = a.Update(ctx, func(tx auth.Tx) error {
		if err := tx.CreateUser(ctx, &auth.User{Name: "rita", Role: auth.RoleRequester, PasswordHash: "h3", CreatedAt: time.Now()}); err != nil {
			return err
		}
		if err := tx.CreateGroup(ctx, &auth.Group{Name: "askers", Role: auth.RoleRequester, CreatedAt: time.Now()}); err != nil {
			return err
		}
		return tx.CreateToken(ctx, &auth.Token{ID: "t2", Name: "r", Kind: auth.KindAPI, Role: auth.RoleRequester, UserName: "rita", Hash: "hash2", CreatedAt: time.Now()})
	})
	if err != nil {
		t.Fatalf("the requester role after the migration: %v", err)
	}
	// The rebuilt tables still cascade from users.
	if err := a.Update(ctx, func(tx auth.Tx) error { return tx.DeleteUser(ctx, "bob") }); err != nil {
		t.Fatal(err)
	}
	if _, err := a.SessionByHash(ctx, "s1"); err == nil {
		t.Error("deleting bob left his session")
	}
	groups, err := a.ListGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range groups {
		if g.Name == "finance" && (len(g.Members) != 1 || g.Members[0] != "ann") {
			t.Errorf("finance's members after deleting bob: %v", g.Members)
		}
	}
}
