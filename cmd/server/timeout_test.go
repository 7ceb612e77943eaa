package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// TestSlowClientsCutOff: with -read-timeout, a client that sends its
// headers and then stalls its body is answered and disconnected; with
// -idle-timeout, a keep-alive connection left idle is closed.
func TestSlowClientsCutOff(t *testing.T) {
	t.Parallel()
	// Each timeout far above the other, so that one cannot pass for the
	// other (an unset IdleTimeout falls back to ReadTimeout).
	slow := startServer(t, "-read-timeout", "300ms", "-idle-timeout", "1h")
	idler := startServer(t, "-read-timeout", "1h", "-idle-timeout", "300ms")
	dial := func(s *testServer) (net.Conn, string) {
		host := strings.TrimPrefix(s.URL, "http://")
		conn, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		conn.SetDeadline(time.Now().Add(waitTimeout))
		return conn, host
	}
	// closedByServer reads until the server closes the connection; a read
	// that times out on our side means it never did.
	closedByServer := func(r io.Reader) bool {
		_, err := io.Copy(io.Discard, r)
		return err == nil || !errors.Is(err, os.ErrDeadlineExceeded)
	}

	stalled, host := dial(slow)
	fmt.Fprintf(stalled, "POST /v2/workflows/validate HTTP/1.1\r\nHost: %s\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\nversion: '2.0'\n", host)
	br := bufio.NewReader(stalled)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("stalled body: %v, want an answer and a closed connection", err)
	}
	if resp.StatusCode >= 500 {
		t.Errorf("stalled body: %d, want a client error", resp.StatusCode)
	}
	if !closedByServer(br) {
		t.Error("the connection of a stalled body stayed open")
	}

	idle, host2 := dial(idler)
	fmt.Fprintf(idle, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", host2)
	br = bufio.NewReader(idle)
	resp, err = http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz: %v %v", resp, err)
	}
	io.Copy(io.Discard, resp.Body)
	if resp.Close {
		t.Fatal("the server closed a keep-alive connection at once")
	}
	if !closedByServer(br) {
		t.Error("an idle keep-alive connection stayed open")
	}
}

// TestLimitFlags: the timeouts take durations, the task ceiling a
// positive number and -db-committers a number, from flags or their
// environment twins; anything else is a usage error.
func TestLimitFlags(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cfg, err := parseConfig(nil, env(nil), io.Discard)
	if err != nil || cfg.readTimeout != time.Minute || cfg.idleTimeout != 2*time.Minute || cfg.maxTasks != 100_000 {
		t.Errorf("defaults: %+v %v, want 1m, 2m and 100,000 tasks", cfg, err)
	}
	cfg, err = parseConfig(nil, env(map[string]string{"SIROCCO_MAX_TASKS_PER_EXECUTION": "50"}), io.Discard)
	if err != nil || cfg.maxTasks != 50 {
		t.Errorf("SIROCCO_MAX_TASKS_PER_EXECUTION=50: %+v %v", cfg, err)
	}
	cfg, err = parseConfig(nil, env(map[string]string{"SIROCCO_DB_COMMITTERS": "8"}), io.Discard)
	if err != nil || cfg.dbCommitters != 8 {
		t.Errorf("SIROCCO_DB_COMMITTERS=8: %+v %v", cfg, err)
	}
	cfg, err = parseConfig([]string{"-db-committers", "-1"}, env(map[string]string{"SIROCCO_DB_COMMITTERS": "8"}), io.Discard)
	if err != nil || cfg.dbCommitters != -1 {
		t.Errorf("-db-committers -1 over the environment's 8: %+v %v", cfg, err)
	}
	cfg, err = parseConfig([]string{"-idle-timeout", "5s"}, env(map[string]string{"SIROCCO_READ_TIMEOUT": "30s", "SIROCCO_IDLE_TIMEOUT": "9s"}), io.Discard)
	if err != nil || cfg.readTimeout != 30*time.Second || cfg.idleTimeout != 5*time.Second {
		t.Errorf("env and flag: %+v %v, want 30s and 5s (the flag wins)", cfg, err)
	}
	for _, bad := range []struct {
		args []string
		env  map[string]string
	}{
		{nil, map[string]string{"SIROCCO_READ_TIMEOUT": "soon"}},
		{[]string{"-idle-timeout", "0s"}, nil},
		{[]string{"-read-timeout", "-1s"}, nil},
		{nil, map[string]string{"SIROCCO_MAX_TASKS_PER_EXECUTION": "many"}},
		{nil, map[string]string{"SIROCCO_DB_COMMITTERS": "a few"}},
		{[]string{"-max-tasks-per-execution", "0"}, nil},
	} {
		var ue usageError
		if _, err := parseConfig(bad.args, env(bad.env), io.Discard); !errors.As(err, &ue) {
			t.Errorf("parseConfig(%v, %v) = %v, want a usage error", bad.args, bad.env, err)
		}
	}
}
