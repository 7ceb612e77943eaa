package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/sirocco-project/sirocco/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// secretDSN is a fresh database's DSN carrying a password (the test
// cluster trusts its superuser, so any password connects): what the
// server prints, logs and shows must never hold it.
func secretDSN(t *testing.T) (dsn, password string) {
	password = "Pg-Secret-4711"
	return strings.Replace(pgtest.DSN(t), "postgres@", "postgres:"+password+"@", 1), password
}

// TestPostgresTour: the server on -db postgres://… serves the README
// tour's basics: a workflow created, run, its asynchronous action
// completed through the API, the execution ending with its output; and
// the DSN's password appears in no log line, no output, no page.
func TestPostgresTour(t *testing.T) {
	t.Parallel()
	dsn, password := secretDSN(t)
	s := startServer(t, "-db", dsn)
	createWorkflow(t, s.URL, waitingWorkflow)
	exID := startExecution(t, s.URL, map[string]any{"workflow_name": "wait_for_it"})
	actionID := str(t, runningAction(t, s.URL, exID), "id")
	mustDo(t, http.StatusOK, http.MethodPut, s.URL+"/v2/action_executions/"+actionID,
		map[string]any{"state": "SUCCESS", "output": map[string]any{"n": 1}})
	ex := waitState(t, s.URL+"/v2/executions/"+exID, "SUCCESS")
	want := map[string]any{"got": map[string]any{"n": float64(1)}}
	if got := decodeField(t, ex, "output"); !reflect.DeepEqual(got, want) {
		t.Errorf("execution output = %v, want %v", got, want)
	}

	var pages []string
	for _, path := range []string{"/", "/executions/" + exID, "/metrics"} {
		req, _ := http.NewRequest(http.MethodGet, s.URL+path, nil)
		req.Header.Set("Accept", "text/html")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		pages = append(pages, string(body))
	}
	// /metrics reports the store's transactions and its connection pool.
	for _, want := range []string{"sirocco_store_batches_total", "sirocco_db_connections_max", "sirocco_db_acquires_total"} {
		if !regexp.MustCompile(`(?m)^` + want + ` [1-9]`).MatchString(pages[2]) {
			t.Errorf("/metrics on PostgreSQL lacks a positive %s", want)
		}
	}
	s.Stop(t)
	out, log := s.stdout.String(), s.stderr.String()
	if !strings.Contains(out, "database postgres host=127.0.0.1") || !strings.Contains(log, "store: PostgreSQL") {
		t.Errorf("the server does not say which database it uses:\nstdout %s\nlog %s", out, log)
	}
	for what, text := range map[string]string{"stdout": out, "log": log, "pages": strings.Join(pages, "\n")} {
		if strings.Contains(text, password) {
			t.Errorf("the DSN's password appears in the %s:\n%s", what, text)
		}
	}
}

// TestPostgresDSNNotShown: -h with the DSN in SIROCCO_DB does not print
// it, and backup of a PostgreSQL database says to use pg_dump.
func TestPostgresDSNNotShown(t *testing.T) {
	t.Parallel()
	const dsn = "postgres://sirocco:Pg-Secret-4711@db.example:5432/sirocco"
	getenv := func(k string) string {
		if k == "SIROCCO_DB" {
			return dsn
		}
		return ""
	}
	var stdout, stderr bytes.Buffer
	run(context.Background(), []string{"-h"}, getenv, &stdout, &stderr)
	if help := stdout.String() + stderr.String(); strings.Contains(help, "Pg-Secret") || !strings.Contains(help, "-db") {
		t.Errorf("-h output:\n%s", help)
	}
	stdout.Reset()
	err := run(context.Background(), []string{"backup", "copy.db"}, getenv, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "pg_dump") || strings.Contains(err.Error(), "Pg-Secret") {
		t.Errorf("backup of a PostgreSQL database: %v", err)
	}
}
