package main

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/pgtest"
	"github.com/sirocco-project/sirocco/internal/postgres"
)

// pgAuditDB is auditDB on a fresh PostgreSQL database: a trail of n
// records written by the store, one of them with unicode (PostgreSQL's
// text holds no NUL, so unlike auditDB's none has one). It returns the
// DSN, which carries a password (see secretDSN), and the password.
func pgAuditDB(t *testing.T, n int, key []byte) (dsn, password string) {
	t.Helper()
	ctx := context.Background()
	dsn, password = secretDSN(t)
	st, err := postgres.Open(ctx, dsn, postgres.Options{AuditKey: key, MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for i := range n {
		r := &engine.AuditRecord{
			At:    time.Date(2026, 3, 1, 9, 0, i, 123456000, time.UTC),
			Actor: "alice", Channel: "dashboard", Addr: "192.0.2.1",
			Kind: engine.AuditDecision, ActionExecutionID: "action-" + string(rune('a'+i)), State: engine.StateSuccess,
			Outcome: engine.AuditAccepted, Comment: "fine", AnswerJSON: `{"cores":4}`, Groups: []string{"finance"},
		}
		if i == 1 {
			r.Outcome, r.Reason, r.AnswerJSON = engine.AuditRefused, "self-approval", ""
			r.Comment, r.Actor = "zoë 😀 \u2028 \\ 'quoted'", "zoë"
		}
		if err := st.Update(ctx, func(tx engine.Tx) error { return tx.AppendAudit(ctx, r) }); err != nil {
			t.Fatal(err)
		}
	}
	return dsn, password
}

// pgExec runs sql on the database dsn names, as someone with access to
// it would; several statements in one string when there are no args.
func pgExec(t *testing.T, dsn, sql string, args ...any) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// TestAuditVerifyPostgres: audit verify and audit head read a PostgreSQL
// database's trail as they read a SQLite file's, beside a server's open
// store, naming the database without its password.
func TestAuditVerifyPostgres(t *testing.T) {
	t.Parallel()
	dsn, password := pgAuditDB(t, 5, auditTestKey)
	// Beside a store that has the database open, as a running server has.
	st, err := postgres.Open(context.Background(), dsn, postgres.Options{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out, err := runAudit(keyEnv(auditTestKey), "verify", "-db", dsn)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if !strings.Contains(out, "The audit trail of postgres host=127.0.0.1") || !strings.Contains(out, "intact: 5 records") ||
		!strings.Contains(out, "anchor checks under the key from SIROCCO_AUDIT_KEY") {
		t.Errorf("verify printed %q", out)
	}
	if strings.Contains(out, password) {
		t.Errorf("verify printed the DSN's password: %q", out)
	}
	// The database from SIROCCO_DB, as the server takes it.
	env := keyEnv(auditTestKey)
	env["SIROCCO_DB"] = dsn
	if out, err := runAudit(env, "verify"); err != nil || !strings.Contains(out, "intact: 5 records") {
		t.Errorf("verify with SIROCCO_DB: %q, %v", out, err)
	}
	out, err = runAudit(nil, "verify", "-db", dsn)
	if err != nil || !strings.Contains(out, "not checked: no key") {
		t.Errorf("verify without a key: %q, %v", out, err)
	}
	head, err := runAudit(keyEnv(auditTestKey), "head", "-db", dsn)
	if err != nil || !strings.HasPrefix(head, "5:") || len(strings.TrimSpace(head)) != 2+64 {
		t.Fatalf("head: %q, %v", head, err)
	}
	// The same head as the store serves (GET /v2/audit's head).
	if h, err := st.AuditHead(context.Background()); err != nil || strings.TrimSpace(head) != "5:"+h.Hash {
		t.Errorf("audit head printed %q; the store's head is %+v, %v", head, h, err)
	}
	if out, err := runAudit(nil, "verify", "-db", dsn, "-head", strings.TrimSpace(head)); err != nil || !strings.Contains(out, "1 exported heads") {
		t.Errorf("verify -head: %q, %v", out, err)
	}

	// Without the key, deleting the last record and setting the head
	// back goes unnoticed (the documented limit), but not by an exported
	// head.
	pgExec(t, dsn, `DELETE FROM audit WHERE seq = 5;
		UPDATE audit_head SET seq = 4, hash = (SELECT hash FROM audit WHERE seq = 4), anchor = ''`)
	if _, err := runAudit(nil, "verify", "-db", dsn); err != nil {
		t.Errorf("without a key: %v (the documented limit changed: update the docs)", err)
	}
	if _, err := runAudit(nil, "verify", "-db", dsn, "-head", strings.TrimSpace(head)); err == nil || !strings.Contains(err.Error(), "audit record 5: truncated") {
		t.Errorf("with the exported head: %v, want record 5 truncated", err)
	}
}

// TestAuditVerifyDetectsPostgres changes the database as someone with
// access to it would, and checks that audit verify fails (exit 1) naming
// the first bad record, and that audit head refuses too.
func TestAuditVerifyDetectsPostgres(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		sql   string
		args  []any
		noKey bool
		want  string
	}{
		{name: "edited", sql: `UPDATE audit SET comment = 'approved' WHERE seq = 3`, want: "audit record 3: edited"},
		{name: "edited, no key", noKey: true, sql: `UPDATE audit SET outcome = 'accepted', reason = '' WHERE seq = 2`, want: "audit record 2: edited"},
		{name: "unicode normalised", sql: `UPDATE audit SET comment = $1 WHERE seq = 2`, args: []any{"zoe\u0308 😀 \u2028 \\ 'quoted'"}, want: "audit record 2: edited"},
		{name: "time moved a microsecond", sql: `UPDATE audit SET at = at + interval '1 microsecond' WHERE seq = 3`, want: "audit record 3: edited"},
		{name: "state changed", sql: `UPDATE audit SET state = 'ERROR' WHERE seq = 4`, want: "audit record 4: edited"},
		{name: "groups unreadable", sql: `UPDATE audit SET groups = 'finance' WHERE seq = 4`, want: "audit record 4: edited: its groups are not a JSON array"},
		{name: "hash unreadable", sql: `UPDATE audit SET hash = 'x' WHERE seq = 4`, want: "audit record 4: edited: its hash column is not a hash"},
		{name: "deleted", sql: `DELETE FROM audit WHERE seq = 3`, want: "audit record 3: deleted"},
		{name: "reordered", sql: `UPDATE audit SET seq = -seq WHERE seq IN (3, 4);
			UPDATE audit SET seq = 4 WHERE seq = -3; UPDATE audit SET seq = 3 WHERE seq = -4`, want: "audit record 3: reordered"},
		{name: "truncated", sql: `DELETE FROM audit WHERE seq = 5`, want: "audit record 5: truncated"},
		{name: "truncated, head set back", sql: `DELETE FROM audit WHERE seq = 5;
			UPDATE audit_head SET seq = 4, hash = (SELECT hash FROM audit WHERE seq = 4)`, want: "audit record 4: bad anchor"},
		{name: "head unreadable", sql: `UPDATE audit_head SET hash = 'x'`, want: "audit record 5: bad anchor"},
		{name: "head removed", sql: `DELETE FROM audit_head`, want: "audit record 5: no anchor"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dsn, _ := pgAuditDB(t, 5, auditTestKey)
			env := keyEnv(auditTestKey)
			if tc.noKey {
				env = nil
			}
			// Intact before the change: the change is what verify finds.
			if _, err := runAudit(env, "verify", "-db", dsn); err != nil {
				t.Fatalf("before the change: %v", err)
			}
			pgExec(t, dsn, tc.sql, tc.args...)
			_, err := runAudit(env, "verify", "-db", dsn)
			var ee exitError
			if !errors.As(err, &ee) || ee.code != exitAltered || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("verify = %v, want exit %d saying %q", err, exitAltered, tc.want)
			}
			if out, err := runAudit(env, "head", "-db", dsn); err == nil {
				t.Errorf("audit head printed %q for an altered trail", out)
			}
		})
	}
}

// TestAuditVerifyErrorsPostgres: a database without the trail's tables,
// or none that answers, exits 3 naming it, never with its password.
func TestAuditVerifyErrorsPostgres(t *testing.T) {
	t.Parallel()
	dsn, password := pgAuditDB(t, 1, nil)
	pgExec(t, dsn, `DROP TABLE audit; DROP TABLE audit_head`)
	c := pgtest.Cluster(t)
	// Port 1: nothing listens there (stopping the cluster would stop
	// the other tests' databases).
	down := strings.Replace(dsn, "127.0.0.1:"+strconv.Itoa(c.Port()), "127.0.0.1:1", 1)
	for _, tc := range []struct {
		name string
		db   string
		want string
	}{
		{"no audit tables", dsn, "has no audit trail"},
		{"no server", down, "read audit trail of postgres host=127.0.0.1 port=1"},
	} {
		_, err := runAudit(nil, "verify", "-db", tc.db)
		var ee exitError
		if !errors.As(err, &ee) || ee.code != exitUnreadable || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want exit %d saying %q", tc.name, err, exitUnreadable, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), password) {
			t.Errorf("%s: the error quotes the password: %v", tc.name, err)
		}
	}
}
