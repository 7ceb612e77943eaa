package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/pgtest"
)

// The phases of a backup, as the writer sees them when it sends a
// request and when it gets the answer.
const (
	beforeBackup = iota
	duringBackup
	afterBackup
)

// writer starts executions of a workflow, one after another, while a
// backup is taken, and records in which phase each was sent and
// acknowledged: one acknowledged before the backup began must be in it,
// one sent after it ended must not.
type writer struct {
	phase atomic.Int32
	stop  chan struct{}
	done  chan struct{}
	mu    sync.Mutex
	sent  []int // by request: the phase when it was sent
	acked []int // the phase when it was acknowledged
	ids   []string
	err   error
}

// startWriter starts executions of workflow on base (with header) until
// finish is called.
func startWriter(base, workflow string, header map[string]string) *writer {
	w := &writer{stop: make(chan struct{}), done: make(chan struct{})}
	client := &http.Client{Timeout: waitTimeout}
	go func() {
		defer close(w.done)
		for {
			select {
			case <-w.stop:
				return
			default:
			}
			sent := int(w.phase.Load())
			req, _ := http.NewRequest(http.MethodPost, base+"/v2/executions", strings.NewReader(`{"workflow_name": "`+workflow+`"}`))
			req.Header.Set("Content-Type", "application/json")
			for k, v := range header {
				req.Header.Set(k, v)
			}
			var ex struct{ ID string }
			res, err := client.Do(req)
			if err == nil {
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if err = json.Unmarshal(body, &ex); res.StatusCode != http.StatusCreated || ex.ID == "" {
					err = fmt.Errorf("POST /v2/executions: %s %s", res.Status, body)
				}
			}
			acked := int(w.phase.Load())
			w.mu.Lock()
			if err != nil {
				w.err = err
				w.mu.Unlock()
				return
			}
			w.sent, w.acked, w.ids = append(w.sent, sent), append(w.acked, acked), append(w.ids, ex.ID)
			w.mu.Unlock()
		}
	}()
	return w
}

// await waits until n executions were sent in phase and acknowledged.
func (w *writer) await(t *testing.T, phase, n int) {
	t.Helper()
	poll(t, fmt.Sprintf("%d writes sent in phase %d", n, phase), func() (bool, string) {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.err != nil {
			t.Fatalf("the writer: %v", w.err)
		}
		got := 0
		for _, p := range w.sent {
			if p == phase {
				got++
			}
		}
		return got >= n, strconv.Itoa(got)
	})
}

// finish stops the writer and returns the executions acknowledged before
// the backup began and those sent after it ended.
func (w *writer) finish(t *testing.T) (in, out []string) {
	t.Helper()
	close(w.stop)
	<-w.done
	if w.err != nil {
		t.Fatalf("the writer: %v", w.err)
	}
	for i, id := range w.ids {
		switch {
		case w.acked[i] == beforeBackup:
			in = append(in, id)
		case w.sent[i] == afterBackup:
			out = append(out, id)
		}
	}
	return in, out
}

// checkRestored: every execution of in is on the restored server, none
// of out.
func checkRestored(t *testing.T, base string, header map[string]string, in, out []string) {
	t.Helper()
	for _, ids := range []struct {
		list []string
		want int
	}{{in, http.StatusOK}, {out, http.StatusNotFound}} {
		for _, id := range ids.list {
			if r := sendWith(t, http.DefaultClient, "GET", base+"/v2/executions/"+id, "", nil, header); r.Status != ids.want {
				t.Errorf("execution %s after the restore: %d, want %d", id, r.Status, ids.want)
			}
		}
	}
}

const tickWorkflow = "version: '2.0'\ntick:\n  tasks:\n    t:\n      action: std.noop\n"

// TestRestoreSQLite follows the README's restore of a SQLite file: a
// backup taken while the server runs and writes; the server gone (killed,
// as when a machine is lost, so that its -wal and -shm files are left
// behind); those removed and the backup copied into place; the server
// started again. Everything acknowledged before the backup began is
// there, nothing sent after it ended, and the workflow that waited at
// backup time is completed on the restored server.
func TestRestoreSQLite(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server binary and runs it as a subprocess; skipped with -short")
	}
	t.Parallel()
	bin := buildServer(t)
	db := filepath.Join(t.TempDir(), "sirocco.db")
	srv := startProcess(t, bin, "-addr", "127.0.0.1:0", "-db", db, "-seed=false")
	createWorkflow(t, srv.URL, waitingWorkflow)
	createWorkflow(t, srv.URL, tickWorkflow)
	waiting := startExecution(t, srv.URL, map[string]any{"workflow_name": "wait_for_it"})
	actionID := str(t, runningAction(t, srv.URL, waiting), "id")

	w := startWriter(srv.URL, "tick", nil)
	w.await(t, beforeBackup, 3)
	w.phase.Store(duringBackup)
	backupFile := filepath.Join(t.TempDir(), "sirocco-backup.db")
	var stdout bytes.Buffer
	if err := run(context.Background(), []string{"backup", "-db", db, backupFile}, noEnv, &stdout, &stdout); err != nil {
		t.Fatalf("backup: %v", err)
	}
	w.phase.Store(afterBackup)
	w.await(t, afterBackup, 3)
	in, out := w.finish(t)
	srv.kill(t)

	// The README's steps: remove the -wal and -shm files (SQLite would
	// otherwise replay the old file's log into the copy), copy the backup
	// into place.
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(db + suffix); err != nil {
			t.Fatalf("the killed server left no %s file to remove: %v", suffix, err)
		}
	}
	if out, err := exec.Command("cp", backupFile, db).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	restored := startProcess(t, bin, "-addr", "127.0.0.1:0", "-db", db, "-seed=false")
	checkRestored(t, restored.URL, nil, in, out)
	mustDo(t, http.StatusOK, http.MethodPost, restored.URL+"/v2/action-executions/"+actionID, map[string]any{"state": "SUCCESS", "output": "after the restore"})
	ex := waitState(t, restored.URL+"/v2/executions/"+waiting, "SUCCESS")
	if got := decodeField(t, ex, "output"); fmt.Sprint(got) != "map[got:after the restore]" {
		t.Errorf("the waiting workflow's output %v", got)
	}
}

// TestRestorePostgres follows the README's restore of a PostgreSQL
// database: pg_dump -Fc of the database while a server runs and writes,
// then createdb and pg_restore --no-owner into a new database, and a
// server on it. Everything acknowledged before the dump began is there,
// nothing sent after it ended, and the std.mistral_http action that
// waited at dump time is completed with the callback token its web
// service got before the dump.
func TestRestorePostgres(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	cluster := pgtest.Cluster(t)
	var mu sync.Mutex
	tokens := map[string]string{} // action id → callback token
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		tokens[r.Header.Get("Mistral-Action-Execution-Id")] = r.Header.Get(engine.CallbackTokenHeader)
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer svc.Close()

	env := map[string]string{"SIROCCO_AUTH": "on", "SIROCCO_ADMIN_PASSWORD": testAdminPassword}
	s := &authServer{testServer: startServerEnv(t, env, "-db", dsn)}
	admin := s.keystoneLogin(t, "admin", testAdminPassword, http.StatusCreated)
	auth := map[string]string{"X-Auth-Token": admin}
	s.tokens = map[string]string{"viewer": admin} // for runningAction
	for _, def := range []string{migrateWorkflows(svc.URL), tickWorkflow} {
		if r := s.req(t, "POST", "/v2/workflows", "", def, auth); r.Status != http.StatusCreated {
			t.Fatalf("create workflows: %d %s", r.Status, r.Raw)
		}
	}
	callEx := str(t, s.req(t, "POST", "/v2/executions", "", map[string]any{"workflow_name": "move_call"}, auth).JSON, "id")
	actionID := str(t, s.runningAction(t, callEx), "id")
	var cbToken string
	poll(t, "the web service to receive "+actionID, func() (bool, string) {
		mu.Lock()
		defer mu.Unlock()
		cbToken = tokens[actionID]
		return cbToken != "", "nothing yet"
	})

	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	pgTool := func(name string, args ...string) {
		t.Helper()
		conn := []string{"-h", "127.0.0.1", "-p", strconv.Itoa(cluster.Port()), "-U", "postgres"}
		if out, err := exec.Command(filepath.Join(cluster.Bin(), name), append(conn, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("%s %q: %v\n%s", name, args, err, out)
		}
	}
	w := startWriter(s.URL, "tick", auth)
	w.await(t, beforeBackup, 3)
	w.phase.Store(duringBackup)
	dump := filepath.Join(t.TempDir(), "sirocco.dump")
	pgTool("pg_dump", "-Fc", "-f", dump, strings.TrimPrefix(u.Path, "/"))
	w.phase.Store(afterBackup)
	w.await(t, afterBackup, 3)
	in, out := w.finish(t)
	s.Stop(t)

	restoredDB := strings.TrimPrefix(u.Path, "/") + "_restored"
	pgTool("createdb", restoredDB)
	pgTool("pg_restore", "--no-owner", "-d", restoredDB, dump)
	r := &authServer{testServer: startServerEnv(t, env, "-db", cluster.DSNFor(restoredDB))}
	checkRestored(t, r.URL, auth, in, out)
	done := map[string]any{"state": "SUCCESS", "output": 42}
	if res := r.req(t, "POST", "/v2/action-executions/"+actionID, "", done, map[string]string{engine.CallbackTokenHeader: cbToken}); res.Status != http.StatusOK {
		t.Fatalf("callback with the token from before the dump: %d %s", res.Status, res.Raw)
	}
	waitStateAuth(t, r, admin, "/v2/executions/"+callEx, "SUCCESS")
}
