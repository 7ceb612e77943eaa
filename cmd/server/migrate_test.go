package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/pgtest"
	"github.com/sirocco-project/sirocco/internal/postgres"
)

// migrateWorkflows: a std.mistral_http call whose web service answers
// later with its callback token, and a timer that falls due after the
// move.
func migrateWorkflows(hook string) string {
	return `---
version: '2.0'
move_call:
  tasks:
    call:
      action: std.mistral_http url=` + hook + `
move_timer:
  output:
    tick: <% $.tick %>
  tasks:
    tick:
      action: std.echo output="ticked"
      wait-before: 4
      publish:
        tick: <% task().result %>
`
}

// TestMigrateTo moves a SQLite file with accounts, a pending
// std.mistral_http action and a pending timer into PostgreSQL: the web
// service completes its action on PostgreSQL with the callback token it
// got from the SQLite server (the key moved), the timer fires there, the
// old API token works, the audit trail is the same chain, and ids are
// kept. migrate-to refuses while a server uses the file, and refuses a
// database that holds data.
func TestMigrateTo(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	tokens := map[string]string{} // action id → callback token
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		tokens[r.Header.Get("Mistral-Action-Execution-Id")] = r.Header.Get(engine.CallbackTokenHeader)
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer svc.Close()
	// A webhook receiver that is down until after the move: its
	// notification moves as a pending delivery and goes out from
	// PostgreSQL with the event id of its first attempt.
	var hookUp atomic.Bool
	hookIDs := make(chan string, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hookUp.Load() {
			hookIDs <- "down:" + r.Header.Get("Sirocco-Event-Id")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		hookIDs <- "up:" + r.Header.Get("Sirocco-Event-Id")
	}))
	defer hook.Close()

	s := startAuthServer(t)
	admin := s.tokens["admin"]
	if r := s.req(t, "POST", "/v2/workflows", admin, migrateWorkflows(svc.URL), nil); r.Status != http.StatusCreated {
		t.Fatalf("create workflows: %d %s", r.Status, r.Raw)
	}
	envBefore := s.req(t, "POST", "/v2/environments", admin, map[string]any{"name": "moved_env", "variables": `{"k": [1, "v"]}`}, nil)
	if envBefore.Status != http.StatusCreated {
		t.Fatalf("create an environment: %d %s", envBefore.Status, envBefore.Raw)
	}
	callEx := str(t, s.req(t, "POST", "/v2/executions", admin, map[string]any{"workflow_name": "move_call"}, nil).JSON, "id")
	actionID := str(t, s.runningAction(t, callEx), "id")
	var cbToken string
	poll(t, "the web service to receive "+actionID, func() (bool, string) {
		mu.Lock()
		defer mu.Unlock()
		cbToken = tokens[actionID]
		return cbToken != "", "nothing yet"
	})
	// A cron trigger moves with its next time, creator and version.
	trigger := s.req(t, "POST", "/v2/cron_triggers", s.tokens["requester"], map[string]any{"name": "moved", "workflow_name": "move_call",
		"pattern": "0 0 1 1 *", "remaining_executions": 3}, nil)
	if trigger.Status != http.StatusCreated {
		t.Fatalf("create cron trigger: %d %s", trigger.Status, trigger.Raw)
	}
	timerEx := str(t, s.req(t, "POST", "/v2/executions", admin, map[string]any{"workflow_name": "move_timer",
		"params": `{"notify": [{"type": "webhook", "url": "` + hook.URL + `", "events": ["WORKFLOW_LAUNCHED"]}]}`}, nil).JSON, "id")
	firstAttempt := <-hookIDs
	dsn := pgtest.DSN(t)

	// Not while the server runs.
	var out strings.Builder
	err := run(context.Background(), []string{"migrate-to", "-db", s.DB, dsn}, func(string) string { return "" }, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "in use by a running server") {
		t.Fatalf("migrate-to beside a running server: %v, want a refusal", err)
	}
	before := s.req(t, "GET", "/v2/audit?limit=1000", admin, nil, nil)
	if r := s.req(t, "GET", "/v2/executions/"+timerEx, admin, nil, nil); str(t, r.JSON, "state") != "RUNNING" {
		t.Fatalf("the timer's workflow is %s before the move; want it still waiting (RUNNING)", str(t, r.JSON, "state"))
	}
	s.Stop(t)

	out.Reset()
	if err := run(context.Background(), []string{"migrate-to", "-db", s.DB, dsn}, func(string) string { return "" }, &out, &out); err != nil {
		t.Fatalf("migrate-to: %v\n%s", err, out.String())
	}
	for _, want := range []string{"action_executions      1 rows", "users ", "secrets ", "audit ", "jobs ", "deliveries ", "cron_triggers          1 rows", "each table's count checked"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("migrate-to's report lacks %q:\n%s", want, out.String())
		}
	}
	// Twice is refused: the database holds data now.
	var again strings.Builder
	if err := run(context.Background(), []string{"migrate-to", "-db", s.DB, dsn}, func(string) string { return "" }, &again, &again); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("migrate-to into a database with data: %v, want a refusal saying it is not empty", err)
	}

	// The inbox's search index, which is not moved but built there,
	// finds the pending action by its input (the web service's address).
	pg, err := postgres.Open(context.Background(), dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	found, err := pg.Inbox(context.Background(), engine.InboxQuery{Search: strings.TrimPrefix(svc.URL, "http://"), Limit: 10})
	pg.Close()
	if err != nil || len(found.Items) != 1 || found.Items[0].ID != actionID {
		t.Errorf("the inbox's search for the web service's address after the move: %v %+v, want %s", err, found, actionID)
	}

	p := &authServer{testServer: startServerEnv(t, map[string]string{"SIROCCO_AUTH": "on", "SIROCCO_ADMIN_PASSWORD": testAdminPassword}, "-db", dsn)}
	moved := p.req(t, "GET", "/v2/cron_triggers/moved", admin, nil, nil)
	if moved.Status != http.StatusOK {
		t.Fatalf("cron trigger after the move: %d %s", moved.Status, moved.Raw)
	}
	for _, k := range []string{"id", "name", "pattern", "next_execution_time", "remaining_executions", "workflow_id", "created_at", "created_by", "state"} {
		if !reflect.DeepEqual(moved.JSON[k], trigger.JSON[k]) {
			t.Errorf("cron trigger after the move: %s = %v, before %v", k, moved.JSON[k], trigger.JSON[k])
		}
	}
	// The old token, the same audit chain.
	after := p.req(t, "GET", "/v2/audit?limit=1000", admin, nil, nil)
	if after.Status != http.StatusOK || !reflect.DeepEqual(before.JSON, after.JSON) {
		t.Errorf("audit trail after the move (%d) differs:\nbefore %.600s\nafter  %.600s", after.Status, before.Raw, after.Raw)
	}
	// The environment, id and all.
	if r := p.req(t, "GET", "/v2/environments/moved_env", admin, nil, nil); r.Status != http.StatusOK ||
		r.JSON["id"] != envBefore.JSON["id"] || r.JSON["variables"] != `{"k": [1, "v"]}` {
		t.Errorf("the environment after the move: %d %s, want %s", r.Status, r.Raw, envBefore.Raw)
	}
	// The web service completes its action with the token it got before.
	done := map[string]any{"state": "SUCCESS", "output": 42}
	if r := p.req(t, "POST", "/v2/action-executions/"+actionID, "", done, map[string]string{engine.CallbackTokenHeader: cbToken}); r.Status != http.StatusOK {
		t.Fatalf("callback with the token from before the move: %d %s", r.Status, r.Raw)
	}
	waitStateAuth(t, p, admin, "/v2/executions/"+callEx, "SUCCESS")
	ex := waitStateAuth(t, p, admin, "/v2/executions/"+timerEx, "SUCCESS")
	if got := decodeField(t, ex, "output"); !reflect.DeepEqual(got, map[string]any{"tick": "ticked"}) {
		t.Errorf("the timer's workflow output %v, want tick: ticked", got)
	}
	hookUp.Store(true)
	for delivered := false; !delivered; {
		select {
		case attempt := <-hookIDs:
			if id, ok := strings.CutPrefix(attempt, "up:"); ok {
				if id != strings.TrimPrefix(firstAttempt, "down:") {
					t.Errorf("the notification after the move has event id %s; the first attempt had %s", id, firstAttempt)
				}
				delivered = true
			}
		case <-time.After(waitTimeout):
			t.Fatal("the notification pending at the move was not delivered from PostgreSQL")
		}
	}
}

// waitStateAuth polls path with token until its state is want.
func waitStateAuth(t *testing.T, s *authServer, token, path, want string) map[string]any {
	t.Helper()
	var m map[string]any
	poll(t, path+" to be "+want, func() (bool, string) {
		r := s.req(t, "GET", path, token, nil, nil)
		m = r.JSON
		return r.Status == http.StatusOK && m["state"] == want, r.Raw
	})
	return m
}
