package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/api"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/hub"
	"github.com/sirocco-project/sirocco/internal/sqlite"
)

// sirocco serves the v2 API of a real engine on a temp SQLite file.
func sirocco(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "bench.db"), sqlite.Options{Sync: sqlite.SyncNormal})
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	ts := httptest.NewServer(e)
	eng := engine.New(engine.Config{Store: st, BaseURL: ts.URL})
	api.New(eng, nil).Register(e)
	done := make(chan struct{})
	go func() { eng.Run(ctx); close(done) }()
	t.Cleanup(func() { ts.Close(); cancel(); <-done; st.Close() })
	return ts.URL + "/v2"
}

// Each counting mode runs every workflow to SUCCESS and says so in its
// RESULT line; a workflow lost or left waiting fails the run.
func TestModesFinishEveryWorkflow(t *testing.T) {
	url := sirocco(t)
	for _, tc := range []struct {
		mode, key string
	}{
		{"pipeline", "e2e_per_s"},
		{"callback", "completions_per_s"},
		{"e2e", "e2e_per_s"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), []string{"-url", url, "-n", "60", "-c", "4", "-mode", tc.mode}, &out)
			if err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			m := regexp.MustCompile(`(?m)^RESULT mode=` + tc.mode + ` n=60 .*\b` + tc.key + `=([0-9.]+)`).FindStringSubmatch(out.String())
			if m == nil {
				t.Fatalf("no RESULT line with %s:\n%s", tc.key, out.String())
			}
			if rate, _ := strconv.ParseFloat(m[1], 64); rate <= 0 {
				t.Errorf("%s = %s, want > 0\n%s", tc.key, m[1], out.String())
			}
		})
	}
}

// TestEventsMode: the events mode sees every execution's event on the
// websocket and reports its latency; with the hub not publishing, it
// fails saying so rather than reporting a figure.
func TestEventsMode(t *testing.T) {
	for _, publish := range []bool{true, false} {
		ctx, cancel := context.WithCancel(context.Background())
		st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "bench.db"), sqlite.Options{Sync: sqlite.SyncNormal})
		if err != nil {
			t.Fatal(err)
		}
		h := hub.New(hub.Config{})
		go h.Run(ctx)
		e := echo.New()
		e.GET("/ws", echo.WrapHandler(h))
		ts := httptest.NewServer(e)
		cfg := engine.Config{Store: st, BaseURL: ts.URL}
		if publish {
			cfg.Publisher = h
		}
		eng := engine.New(cfg)
		api.New(eng, nil).Register(e)
		done := make(chan struct{})
		go func() { eng.Run(ctx); close(done) }()

		var out bytes.Buffer
		// Two URLs of one server stand in for two replicas.
		args := []string{"-url", ts.URL + "," + ts.URL + "/v2", "-n", "20", "-c", "4", "-mode", "events"}
		if !publish {
			// Each missed event costs the wait.
			args = append(args, "-n", "4", "-event-wait", "300ms")
		}
		err = run(ctx, args, &out)
		ts.Close()
		cancel()
		<-done
		st.Close()
		if publish {
			if err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			if !regexp.MustCompile(`(?m)^RESULT mode=events n=20 c=4 missed=0 event_p50_ms=[0-9.]+ event_p99_ms=[0-9.]+`).MatchString(out.String()) {
				t.Errorf("no RESULT line:\n%s", out.String())
			}
		} else if err == nil || !strings.Contains(err.Error(), "not seen") {
			t.Errorf("without events: %v, want a failure saying they were not seen\n%s", err, out.String())
		}
	}
}
