package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/audit"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/sqlite"
)

var auditTestKey = bytes.Repeat([]byte{0x42}, 32)

// auditDB returns a database holding a trail of n records written by the
// store (sqlite.Options.AuditKey: key; nil: no anchor), one of them with a
// NUL byte and unicode.
func auditDB(t *testing.T, n int, key []byte) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sirocco.db")
	st, err := sqlite.Open(ctx, path, sqlite.Options{AuditKey: key})
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
			r.Comment, r.Actor = "nul\x00 and zoë 😀 \u2028", "zoë"
		}
		if err := st.Update(ctx, func(tx engine.Tx) error { return tx.AppendAudit(ctx, r) }); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// rawDB opens path with database/sql, as someone with the file would.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// runAudit runs the audit command with the environment env.
func runAudit(env map[string]string, args ...string) (string, error) {
	var out bytes.Buffer
	err := run(context.Background(), append([]string{"audit"}, args...), func(k string) string { return env[k] }, &out, &out)
	return out.String(), err
}

func keyEnv(key []byte) map[string]string {
	return map[string]string{audit.KeyEnv: hex.EncodeToString(key)}
}

// TestAuditVerifyIntact: an untouched trail verifies, says what was
// checked, and audit head prints the head to export.
func TestAuditVerifyIntact(t *testing.T) {
	t.Parallel()
	path := auditDB(t, 5, auditTestKey)
	// Beside a store that has the file open, as a running server has.
	st, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out, err := runAudit(keyEnv(auditTestKey), "verify", "-db", path)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if !strings.Contains(out, "intact: 5 records") || !strings.Contains(out, "anchor checks under the key from SIROCCO_AUDIT_KEY") {
		t.Errorf("verify printed %q", out)
	}
	// The key from a file, given by the flag's environment twin.
	keyFile := filepath.Join(t.TempDir(), "audit.key")
	os.WriteFile(keyFile, []byte(hex.EncodeToString(auditTestKey)+"\n"), 0o600)
	if out, err := runAudit(map[string]string{"SIROCCO_AUDIT_KEY_FILE": keyFile}, "verify", "-db", path); err != nil || !strings.Contains(out, "key from file "+keyFile) {
		t.Errorf("verify with a key file: %q, %v", out, err)
	}
	out, err = runAudit(nil, "verify", "-db", path)
	if err != nil || !strings.Contains(out, "not checked: no key") {
		t.Errorf("verify without a key: %q, %v", out, err)
	}
	head, err := runAudit(keyEnv(auditTestKey), "head", "-db", path)
	if err != nil || !strings.HasPrefix(head, "5:") || len(strings.TrimSpace(head)) != 2+64 {
		t.Fatalf("head: %q, %v", head, err)
	}
	if out, err := runAudit(nil, "verify", "-db", path, "-head", strings.TrimSpace(head)); err != nil || !strings.Contains(out, "1 exported heads") {
		t.Errorf("verify -head: %q, %v", out, err)
	}
}

// TestAuditVerifyDetects changes the file as someone holding it would, and
// checks that audit verify fails (exit 1) naming the first bad record.
func TestAuditVerifyDetects(t *testing.T) {
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
		{name: "NUL dropped", sql: `UPDATE audit SET comment = ? WHERE seq = 2`, args: []any{"nul and zoë 😀 \u2028"}, want: "audit record 2: edited"},
		{name: "NUL replaced", sql: `UPDATE audit SET comment = ? WHERE seq = 2`, args: []any{"nul\x01 and zoë 😀 \u2028"}, want: "audit record 2: edited"},
		{name: "time moved", sql: `UPDATE audit SET at = '2026-03-01 09:00:02.123457' WHERE seq = 3`, want: "audit record 3: edited"},
		{name: "state changed", sql: `UPDATE audit SET state = 'ERROR' WHERE seq = 4`, want: "audit record 4: edited"},
		{name: "groups unreadable", sql: `UPDATE audit SET groups = 'finance' WHERE seq = 4`, want: "audit record 4: edited: its groups are not a JSON array"},
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
			path := auditDB(t, 5, auditTestKey)
			if _, err := rawDB(t, path).Exec(tc.sql, tc.args...); err != nil {
				t.Fatal(err)
			}
			env := keyEnv(auditTestKey)
			if tc.noKey {
				env = nil
			}
			_, err := runAudit(env, "verify", "-db", path)
			var ee exitError
			if !errors.As(err, &ee) || ee.code != exitAltered || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("verify = %v, want exit %d saying %q", err, exitAltered, tc.want)
			}
			if out, err := runAudit(env, "head", "-db", path); err == nil {
				t.Errorf("audit head printed %q for an altered trail", out)
			}
		})
	}
}

// TestAuditVerifyLimits: without the key, deleting the last record and
// setting the head back goes unnoticed (as documented) unless an exported
// head names the deleted record; with the wrong key nothing verifies.
func TestAuditVerifyLimits(t *testing.T) {
	t.Parallel()
	path := auditDB(t, 5, auditTestKey)
	exported, err := runAudit(nil, "head", "-db", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rawDB(t, path).Exec(`DELETE FROM audit WHERE seq = 5;
		UPDATE audit_head SET seq = 4, hash = (SELECT hash FROM audit WHERE seq = 4), anchor = ''`); err != nil {
		t.Fatal(err)
	}
	if _, err := runAudit(nil, "verify", "-db", path); err != nil {
		t.Errorf("without a key: %v (the documented limit changed: update the docs)", err)
	}
	if _, err := runAudit(nil, "verify", "-db", path, "-head", strings.TrimSpace(exported)); err == nil || !strings.Contains(err.Error(), "audit record 5: truncated") {
		t.Errorf("with the exported head: %v, want record 5 truncated", err)
	}
	if _, err := runAudit(keyEnv(auditTestKey), "verify", "-db", path); err == nil || !strings.Contains(err.Error(), "audit record 4: no anchor") {
		t.Errorf("with the key: %v, want record 4 no anchor", err)
	}
	intact := auditDB(t, 2, auditTestKey)
	wrong := bytes.Repeat([]byte{0x24}, 32)
	if _, err := runAudit(keyEnv(wrong), "verify", "-db", intact); err == nil || !strings.Contains(err.Error(), "audit record 2: bad anchor") {
		t.Errorf("with the wrong key: %v, want record 2 bad anchor", err)
	}
}

// TestAuditVerifyErrors: what cannot be checked exits 3, a bad command
// line or key 2, and neither ever quotes the key.
func TestAuditVerifyErrors(t *testing.T) {
	t.Parallel()
	plain := filepath.Join(t.TempDir(), "plain.db")
	st, err := sqlite.Open(context.Background(), plain, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	// A database of a version before the trail.
	if _, err := rawDB(t, plain).Exec(`DROP TABLE audit; DROP TABLE audit_head`); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"no file", nil, []string{"verify", "-db", filepath.Join(t.TempDir(), "none.db")}, exitUnreadable, "no such file"},
		{"no audit tables", nil, []string{"verify", "-db", plain}, exitUnreadable, "has no audit trail"},
		{"no subcommand", nil, nil, 2, "usage: audit verify"},
		{"unknown subcommand", nil, []string{"check"}, 2, "usage: audit verify"},
		{"bad head", nil, []string{"verify", "-db", plain, "-head", "5"}, 2, "a head is SEQ:HASH"},
		{"extra argument", nil, []string{"verify", "-db", plain, "x"}, 2, "unexpected argument x"},
		{"short key", map[string]string{audit.KeyEnv: "deadbeef"}, []string{"verify", "-db", plain}, 2, "SIROCCO_AUDIT_KEY: the audit key has 4 bytes"},
		{"missing key file", nil, []string{"verify", "-db", plain, "-audit-key-file", "/nonexistent/k"}, 2, "/nonexistent/k: no such file"},
	} {
		_, err := runAudit(tc.env, tc.args...)
		code := 1
		var ee exitError
		var ue usageError
		switch {
		case errors.As(err, &ee):
			code = ee.code
		case errors.As(err, &ue):
			code = 2
		}
		if err == nil || code != tc.code || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v (exit %d), want exit %d saying %q", tc.name, err, code, tc.code, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "deadbeef") {
			t.Errorf("%s: the error quotes the key: %v", tc.name, err)
		}
	}
}

// TestAuditVerifyExitStatus runs the binary: main turns the outcomes into
// the documented exit statuses.
func TestAuditVerifyExitStatus(t *testing.T) {
	t.Parallel()
	bin := buildServer(t)
	path := auditDB(t, 3, auditTestKey)
	status := func(args ...string) (int, string) {
		cmd := exec.Command(bin, append([]string{"audit"}, args...)...)
		cmd.Env = append(hermeticEnv(), audit.KeyEnv+"="+hex.EncodeToString(auditTestKey))
		out, err := cmd.CombinedOutput()
		var xe *exec.ExitError
		if errors.As(err, &xe) {
			return xe.ExitCode(), string(out)
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}
	if code, out := status("verify", "-db", path); code != 0 {
		t.Errorf("intact: exit %d\n%s", code, out)
	}
	if code, out := status("verify", "-db", path, "-head", "x"); code != 2 {
		t.Errorf("usage: exit %d\n%s", code, out)
	}
	if code, out := status("verify", "-db", path+".none"); code != exitUnreadable {
		t.Errorf("no file: exit %d\n%s", code, out)
	}
	if _, err := rawDB(t, path).Exec(`UPDATE audit SET addr = '198.51.100.7' WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	if code, out := status("verify", "-db", path); code != exitAltered || !strings.Contains(out, "audit record 2: edited") {
		t.Errorf("altered: exit %d\n%s", code, out)
	}
}
