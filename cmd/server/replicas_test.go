package main

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sirocco-project/sirocco/internal/pgtest"
)

// TestMistralCLIServiceList: every server process records itself in the
// database it works on; `mistral service-list` (GET /v2/services, in
// Mistral's shape) and the dashboard's Replicas page list the live ones.
// Two servers over one PostgreSQL database (a SQLite file serves one
// server only).
func TestMistralCLIServiceList(t *testing.T) {
	t.Parallel()
	cli := newMistralCLI(t)
	dsn := pgtest.DSN(t)
	a := startServer(t, "-seed=false", "-db", dsn)
	b := startServer(t, "-seed=false", "-db", dsn)
	cli.url = b.URL + "/v2"

	r := do(t, "GET", a.URL+"/v2/services", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /v2/services: %d %s", r.Status, r.Raw)
	}
	services, _ := r.JSON["services"].([]any)
	var names, ids []string
	for _, s := range services {
		m, _ := s.(map[string]any)
		for _, k := range []string{"name", "type", "id", "host", "pid", "version", "started_at", "heartbeat_at"} {
			if _, ok := m[k]; !ok {
				t.Errorf("a service lacks %q: %v", k, m)
			}
		}
		if m["type"] != "sirocco" {
			t.Errorf("type %v", m["type"])
		}
		names = append(names, str(t, m, "name"))
		ids = append(ids, str(t, m, "id"))
	}
	if len(services) != 2 || names[0] == names[1] {
		t.Fatalf("GET /v2/services lists %d services %v; want the two servers", len(services), names)
	}

	var rows []struct{ Name, Type string }
	if err := json.Unmarshal([]byte(cli.ok(t, "service-list", "-f", "json")), &rows); err != nil {
		t.Fatal(err)
	}
	var cliNames []string
	for _, row := range rows {
		if row.Type != "sirocco" {
			t.Errorf("service-list row %+v", row)
		}
		cliNames = append(cliNames, row.Name)
	}
	sort.Strings(cliNames)
	sort.Strings(names)
	if strings.Join(cliNames, ",") != strings.Join(names, ",") {
		t.Errorf("mistral service-list shows %v, want %v", cliNames, names)
	}

	page := sendWith(t, http.DefaultClient, "GET", a.URL+"/replicas", "", nil, map[string]string{"Accept": "text/html"})
	if page.Status != http.StatusOK {
		t.Fatalf("GET /replicas: %d", page.Status)
	}
	for _, id := range ids {
		if !strings.Contains(page.Raw, `data-id="`+id+`"`) {
			t.Errorf("the Replicas page lacks replica %s", id)
		}
	}

	// A replica that stops leaves the list at once.
	b.Stop(t)
	r = do(t, "GET", a.URL+"/v2/services", nil)
	if services, _ := r.JSON["services"].([]any); len(services) != 1 {
		t.Errorf("after one server stopped: %d services, want 1", len(services))
	}
}

// TestPostgresReplicasShareEvents: two servers on one PostgreSQL
// database; a dashboard's websocket on A sees the execution started
// through B's API, which only B's commit-time NOTIFY tells A about.
func TestPostgresReplicasShareEvents(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	a := startServer(t, "-seed=false", "-db", dsn)
	b := startServer(t, "-seed=false", "-db", dsn)

	d := websocket.Dialer{HandshakeTimeout: waitTimeout}
	ws, _, err := d.Dial("ws"+strings.TrimPrefix(a.URL, "http")+"/ws?topic=executions", http.Header{"Origin": {a.URL}})
	if err != nil {
		t.Fatalf("websocket on A: %v", err)
	}
	defer ws.Close()
	events := make(chan map[string]any, 64)
	go func() {
		defer close(events)
		for {
			var ev map[string]any
			if err := ws.ReadJSON(&ev); err != nil {
				return
			}
			events <- ev
		}
	}()

	createWorkflow(t, b.URL, waitingWorkflow)
	exID := startExecution(t, b.URL, map[string]any{"workflow_name": "wait_for_it"})
	deadline := time.After(waitTimeout)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatal("A's websocket closed")
			}
			if ev["kind"] == "execution" && ev["id"] == exID && ev["state"] == "RUNNING" {
				return
			}
		case <-deadline:
			t.Fatalf("A's websocket never saw execution %s, started on B, running", exID)
		}
	}
}
