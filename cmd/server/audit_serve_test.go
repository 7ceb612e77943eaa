package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/audit"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/sqlite"
)

// writeKeyFile writes key, in hex, to a file of its own and returns its
// path.
func writeKeyFile(t *testing.T, key []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.key")
	if err := os.WriteFile(path, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// serveOnce runs the server on db with args until it listens, then stops
// it, and returns its log; or returns the error run returned before
// listening.
func serveOnce(t *testing.T, db string, env map[string]string, args ...string) (string, error) {
	t.Helper()
	var stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := newAddrWriter()
	done := make(chan error, 1)
	getenv := func(k string) string {
		if k == "SIROCCO_AUTH" {
			return "off"
		}
		return env[k]
	}
	go func() {
		done <- run(ctx, append([]string{"-addr", "127.0.0.1:0", "-db", db, "-seed=false"}, args...), getenv, w, &stderr)
	}()
	select {
	case <-w.addr:
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("run after shutdown: %v", err)
		}
		return stderr.String(), nil
	case err := <-done:
		return stderr.String(), err
	}
}

// TestAuditServedTrail: votes through the API and the admin acts around
// them land in the trail that audit verify checks under the server's key
// (exit 0); editing the real table makes it fail naming the record (exit
// 1); the head is logged at start.
func TestAuditServedTrail(t *testing.T) {
	t.Parallel()
	keyFile := writeKeyFile(t, auditTestKey)
	s := startAuthServer(t, "-audit-key-file", keyFile)
	if log := s.stderr.String(); !strings.Contains(log, `msg="audit head" head=0:`+strings.Repeat("0", 64)+" anchored=true") {
		t.Errorf("the head of the new trail is not logged at start:\n%s", log)
	}
	tok := s.approvalPeople(t)
	r := s.req(t, "POST", "/v2/executions", tok["rita"], map[string]any{"workflow_name": "request_vm"}, nil)
	exID := str(t, r.JSON, "id")
	id := s.pendingAction(t, tok["fin1"], exID)
	if r := s.req(t, "PUT", "/v2/action_executions/"+id, tok["fin1"], map[string]any{"state": "SUCCESS", "output": map[string]any{"cores": 100}}, nil); r.Status != http.StatusBadRequest {
		t.Fatalf("fin1's answer against the schema: %d", r.Status)
	}
	r = s.req(t, "PUT", "/v2/action_executions/"+id, tok["fin1"], map[string]any{"state": "SUCCESS", "output": map[string]any{"cores": 2, "zone": "eu-west"},
		"comment": "fine"}, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("fin1 votes: %d %s", r.Status, r.Raw)
	}

	out, err := runAudit(keyEnv(auditTestKey), "verify", "-db", s.DB)
	if err != nil || !strings.Contains(out, "intact") || !strings.Contains(out, "anchor checks") {
		t.Fatalf("audit verify of the served trail: %v\n%s", err, out)
	}
	// fin1's vote, and her refused attempt before it, are in the trail,
	// after the admin's changes that made them possible.
	var vote, refused *audit.Record
	var admin []string
	if _, err := sqlite.ReadAuditFile(context.Background(), s.DB, func(r *audit.Record) error {
		if r.Kind == audit.KindAdmin {
			admin = append(admin, r.Actor+" via "+r.Channel+": "+r.Reason)
		}
		switch {
		case r.ActionExecutionID == id && r.Outcome == audit.Accepted:
			vote = r
		case r.ActionExecutionID == id:
			refused = r
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if vote == nil || vote.Comment != "fine" || vote.State != "SUCCESS" || vote.Outcome != audit.Accepted || vote.Channel != "api" ||
		vote.Answer != `{"cores":2,"zone":"eu-west"}` || strings.Join(vote.Groups, ",") != "finance" || len(vote.ShownDigest) != 64 {
		t.Fatalf("fin1's vote in the trail: %+v", vote)
	}
	if refused == nil || refused.Actor != "fin1" || !strings.Contains(refused.Reason, "cores: must be at most 64") || refused.Answer != `{"cores":100}` {
		t.Errorf("fin1's refused answer in the trail: %+v", refused)
	}
	seq := vote.Seq
	all := strings.Join(admin, "\n")
	for _, want := range []string{"admin via api: create user fin1 (role viewer)", "admin via api: add user fin1 to group finance",
		"admin via api: create API token ", "admin via api: create workflows request_vm", "via server: create user admin (role admin)"} {
		if !strings.Contains(all, want) {
			t.Errorf("no admin record %q among\n%s", want, all)
		}
	}
	if strings.Contains(all, testAdminPassword) || strings.Contains(all, "fin1-password-1") {
		t.Errorf("a password is in the trail:\n%s", all)
	}

	if _, err := rawDB(t, s.DB).Exec(`UPDATE audit SET comment = 'approved, no questions' WHERE seq = ?`, seq); err != nil {
		t.Fatal(err)
	}
	_, err = runAudit(keyEnv(auditTestKey), "verify", "-db", s.DB)
	var ee exitError
	if !errors.As(err, &ee) || ee.code != exitAltered || !strings.Contains(err.Error(), "audit record "+strconv.FormatInt(seq, 10)+": edited") {
		t.Errorf("verify after editing the vote: %v, want exit 1 naming record %d", err, seq)
	}
	s.checkLogClean(t, hex.EncodeToString(auditTestKey))
}

// TestAuditStartKeys: the first start with a key anchors the empty trail;
// a restart with another key refuses to start (exit 2) and changes
// nothing; without a key the server starts and says the trail is not
// anchored; records written then are verified and anchored at the next
// start with the key; a trail cut while the server was down refuses the
// start.
func TestAuditStartKeys(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "sirocco.db")
	keyFile := writeKeyFile(t, auditTestKey)
	other := writeKeyFile(t, bytes.Repeat([]byte{0x24}, 32))

	log, err := serveOnce(t, db, nil, "-audit-key-file", keyFile)
	if err != nil || !strings.Contains(log, "anchored the head of the empty trail") {
		t.Fatalf("first start with a key: %v\n%s", err, log)
	}
	_, err = serveOnce(t, db, nil, "-audit-key-file", other)
	var ee exitError
	if !errors.As(err, &ee) || ee.code != 2 || !strings.Contains(err.Error(), "refusing to start") ||
		!strings.Contains(err.Error(), "anchor does not match under the audit key") || !strings.Contains(err.Error(), "file "+other) {
		t.Fatalf("restart with another key: %v, want exit 2 saying why", err)
	}
	if strings.Contains(err.Error(), hex.EncodeToString(bytes.Repeat([]byte{0x24}, 32))) {
		t.Error("the refusal quotes the key")
	}
	// The key in the environment instead of a file: the same check.
	if _, err := serveOnce(t, db, map[string]string{"SIROCCO_AUDIT_KEY": hex.EncodeToString(bytes.Repeat([]byte{0x24}, 32))}); err == nil {
		t.Error("a wrong key in SIROCCO_AUDIT_KEY started")
	}

	// Without a key: it starts, says so, and records go in unanchored.
	log, err = serveOnce(t, db, nil)
	if err != nil || !strings.Contains(log, "the head is anchored but no audit key was given") {
		t.Fatalf("start without a key: %v\n%s", err, log)
	}
	appendRecords(t, db, 3)
	if _, err := runAudit(keyEnv(auditTestKey), "verify", "-db", db); err == nil || !strings.Contains(err.Error(), "no anchor") {
		t.Errorf("verify of records written without the key: %v, want no anchor", err)
	}
	// The next start with the key verifies them (and the first admin's
	// creation, at the first start) and anchors the head.
	log, err = serveOnce(t, db, nil, "-audit-key-file", keyFile)
	if err != nil || !strings.Contains(log, "verified its chain and anchored it now") || !strings.Contains(log, "records=4") {
		t.Fatalf("start with the key after records without it: %v\n%s", err, log)
	}
	if out, err := runAudit(keyEnv(auditTestKey), "verify", "-db", db); err != nil {
		t.Errorf("verify after anchoring: %v\n%s", err, out)
	}
	// Records cut from the end while the server was down: no start.
	if _, err := rawDB(t, db).Exec(`DELETE FROM audit WHERE seq = 4`); err != nil {
		t.Fatal(err)
	}
	if _, err := serveOnce(t, db, nil, "-audit-key-file", keyFile); err == nil || !strings.Contains(err.Error(), "its head names record 4, but the last record is 3") {
		t.Errorf("start on a cut trail: %v", err)
	}
	// A bad key is a usage error before anything is opened.
	if _, err := serveOnce(t, db, map[string]string{"SIROCCO_AUDIT_KEY": "abcd"}); err == nil || !strings.Contains(err.Error(), "the audit key has 2 bytes") {
		t.Errorf("a short key: %v", err)
	}
}

// appendRecords appends n records to the trail of db as a server without
// a key writes them.
func appendRecords(t *testing.T, db string, n int) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, db, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for i := range n {
		if err := st.Update(ctx, func(tx engine.Tx) error {
			return tx.AppendAudit(ctx, &engine.AuditRecord{At: time.Now(), Actor: "alice", Channel: "api", Kind: engine.AuditAdmin,
				Outcome: engine.AuditAccepted, Reason: "change " + strconv.Itoa(i)})
		}); err != nil {
			t.Fatal(err)
		}
	}
}
