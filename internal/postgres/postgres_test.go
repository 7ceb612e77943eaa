package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/pgtest"
	"github.com/sirocco-project/sirocco/internal/postgres"
)

var t0 = time.Date(2026, 11, 27, 21, 0, 0, 0, time.UTC)

func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// Replicas starting together on a fresh database: both wait for the
// migration lock, both open, and each migration is applied once.
func TestMigrationsUnderAdvisoryLock(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	holder := connect(t, dsn)
	if _, err := holder.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(postgres.MigrationLock)); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			s, err := postgres.Open(ctx, dsn, postgres.Options{})
			if err == nil {
				s.Close()
			}
			errs <- err
		}()
	}
	// Both wait on the lock (not a timing guess: PostgreSQL lists them).
	for {
		var waiting int
		if err := holder.QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database =
			(SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting == 2 {
			break
		}
		select {
		case err := <-errs:
			t.Fatalf("an Open finished while the migration lock was held: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	if _, err := holder.Exec(ctx, `SELECT pg_advisory_unlock($1)`, int64(postgres.MigrationLock)); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("open: %v", err)
		}
	}
	var versions, distinct int
	if err := holder.QueryRow(ctx, `SELECT count(*), count(DISTINCT version) FROM schema_migrations`).Scan(&versions, &distinct); err != nil {
		t.Fatal(err)
	}
	if versions == 0 || versions != distinct {
		t.Errorf("schema_migrations: %d rows, %d versions", versions, distinct)
	}
	// And a third start, on a migrated database, changes nothing.
	s, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	var again int
	holder.QueryRow(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&again)
	if again != versions {
		t.Errorf("schema_migrations after a restart: %d rows, want %d", again, versions)
	}
}

// An update PostgreSQL aborts with a serialization failure or a deadlock
// runs again; any other error is returned at once.
func TestUpdateRetries(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	for _, code := range []string{"40001", "40P01"} {
		runs := 0
		err := s.Update(ctx, func(tx engine.Tx) error {
			runs++
			if runs == 1 {
				return fmt.Errorf("wrapped: %w", &pgconn.PgError{Code: code})
			}
			return nil
		})
		if err != nil || runs != 2 {
			t.Errorf("%s: err %v after %d runs, want success after 2", code, err, runs)
		}
	}
	runs := 0
	boom := errors.New("boom")
	if err := s.Update(ctx, func(tx engine.Tx) error { runs++; return boom }); !errors.Is(err, boom) || runs != 1 {
		t.Errorf("other error: %v after %d runs, want boom after 1", err, runs)
	}
}

// Two updates locking two executions in opposite orders deadlock;
// PostgreSQL aborts one, which runs again: both succeed.
func TestDeadlockIsRetried(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	if err := s.Update(ctx, func(tx engine.Tx) error {
		for _, id := range []string{"e1", "e2"} {
			if err := tx.CreateExecution(ctx, &engine.Execution{ID: id, WorkflowID: "wf", WorkflowName: "wf", State: engine.StateRunning,
				ParamsJSON: "{}", InputJSON: "{}", OutputJSON: "{}", ContextJSON: "{}", Definition: "x", ProjectID: "p", CreatedAt: t0, UpdatedAt: t0}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var locked sync.WaitGroup
	locked.Add(2)
	var runs atomic.Int32
	lockBoth := func(first, second string, once *sync.Once) error {
		return s.Update(ctx, func(tx engine.Tx) error {
			runs.Add(1)
			if err := tx.LockExecution(ctx, first); err != nil {
				return err
			}
			// The first run of each waits until both hold their first lock.
			once.Do(func() { locked.Done(); locked.Wait() })
			return tx.LockExecution(ctx, second)
		})
	}
	var once1, once2 sync.Once
	errs := make(chan error, 2)
	go func() { errs <- lockBoth("e1", "e2", &once1) }()
	go func() { errs <- lockBoth("e2", "e1", &once2) }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("update: %v", err)
		}
	}
	// A retry may deadlock again (the loser's retry can take its first
	// lock before the winner does): at least one run was retried.
	if n := runs.Load(); n < 3 {
		t.Errorf("%d runs, want 3 or more (a retry after the deadlock)", n)
	}
}

// Errors map by SQLSTATE: a duplicate is ECONFLICT, text PostgreSQL
// cannot hold is EINVALID, an unknown id ENOTFOUND.
func TestErrorMapping(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	wf := func(id, desc string) *engine.Workflow {
		return &engine.Workflow{ID: id, Name: "wf" + desc, Definition: "x", Scope: "private", ProjectID: "p", CreatedAt: t0}
	}
	if err := s.Update(ctx, func(tx engine.Tx) error { return tx.CreateWorkflow(ctx, wf("w1", "")) }); err != nil {
		t.Fatal(err)
	}
	err := s.Update(ctx, func(tx engine.Tx) error { return tx.CreateWorkflow(ctx, wf("w1", "")) })
	if fault.Code(err) != fault.ECONFLICT {
		t.Errorf("duplicate: %v, want ECONFLICT", err)
	}
	for _, bad := range []string{"nul\x00", "not utf-8 \xff"} {
		err := s.Update(ctx, func(tx engine.Tx) error { return tx.CreateWorkflow(ctx, wf("w2", bad)) })
		if fault.Code(err) != fault.EINVALID {
			t.Errorf("name %q: %v, want EINVALID", bad, err)
		}
	}
	if _, err := s.GetWorkflow(ctx, "nope", ""); fault.Code(err) != fault.ENOTFOUND {
		t.Errorf("unknown workflow: %v, want ENOTFOUND", err)
	}
}

// -sync maps to synchronous_commit on every connection of the pool, and
// the pool's size is the option's (or the DSN's pool_max_conns).
func TestSyncAndPool(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	for mode, want := range map[string]string{"": "on", postgres.SyncFull: "on", postgres.SyncNormal: "off"} {
		s, err := postgres.Open(ctx, dsn, postgres.Options{Sync: mode, MaxConns: 3})
		if err != nil {
			t.Fatal(err)
		}
		var got string
		if err := s.Pool().QueryRow(ctx, `SHOW synchronous_commit`).Scan(&got); err != nil || got != want {
			t.Errorf("sync %q: synchronous_commit %q (%v), want %q", mode, got, err, want)
		}
		if n := s.Pool().Config().MaxConns; n != 3 {
			t.Errorf("MaxConns %d, want 3", n)
		}
		s.Close()
	}
	if _, err := postgres.Open(ctx, dsn, postgres.Options{Sync: "sometimes"}); err == nil {
		t.Error("unknown sync mode accepted")
	}
	s, err := postgres.Open(ctx, dsn+"&pool_max_conns=5", postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n := s.Pool().Config().MaxConns; n != 5 {
		t.Errorf("MaxConns with pool_max_conns=5: %d", n)
	}
}

// A DSN without a password connects with the password from PGPASSFILE;
// a wrong password fails without the password in the error.
func TestPassfileAndRedaction(t *testing.T) {
	ctx := context.Background()
	c := pgtest.Cluster(t)
	dsn := pgtest.DSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	db := strings.TrimPrefix(u.Path, "/")
	role := "pw_" + db
	for _, q := range []string{
		`CREATE ROLE ` + pgx.Identifier{role}.Sanitize() + ` LOGIN PASSWORD 'sEcReT-pass' IN ROLE ` + pgtest.PasswordGroup,
		`ALTER DATABASE ` + pgx.Identifier{db}.Sanitize() + ` OWNER TO ` + pgx.Identifier{role}.Sanitize(),
	} {
		if err := c.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	userDSN := fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", role, c.Port(), db)
	passfile := filepath.Join(t.TempDir(), "pgpass")
	if err := os.WriteFile(passfile, fmt.Appendf(nil, "127.0.0.1:%d:%s:%s:sEcReT-pass\n", c.Port(), db, role), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PGPASSFILE", passfile)
	s, err := postgres.Open(ctx, userDSN, postgres.Options{})
	if err != nil {
		t.Fatalf("open with PGPASSFILE: %v", err)
	}
	s.Close()

	t.Setenv("PGPASSFILE", filepath.Join(t.TempDir(), "none"))
	if _, err := postgres.Open(ctx, userDSN, postgres.Options{}); err == nil {
		t.Fatal("open without a password succeeded: the role is not password-checked, the test proves nothing")
	}
	wrong := fmt.Sprintf("postgres://%s:WrOnG-pass@127.0.0.1:%d/%s?sslmode=disable", role, c.Port(), db)
	_, err = postgres.Open(ctx, wrong, postgres.Options{})
	if err == nil || strings.Contains(err.Error(), "WrOnG-pass") {
		t.Errorf("wrong password: %v", err)
	}
	for _, d := range []string{wrong, "host=h user=u password=WrOnG-pass dbname=d", "postgres://u@h/d?password=WrOnG-pass"} {
		if r := postgres.Redact(d); strings.Contains(r, "WrOnG-pass") {
			t.Errorf("Redact(%q) = %q", d, r)
		}
		if r := postgres.Describe(d); strings.Contains(r, "WrOnG-pass") {
			t.Errorf("Describe(%q) = %q", d, r)
		}
	}
}
