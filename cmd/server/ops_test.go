package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestOpsEndpoints: /healthz, /readyz and /metrics answer on a running server.
func TestOpsEndpoints(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	for path, want := range map[string]string{
		"/healthz": `"ok"`,
		"/readyz":  `"ready"`,
		"/metrics": "sirocco_pending_actions 0",
	} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("GET %s: %d, body lacks %q:\n%.500s", path, resp.StatusCode, want, body)
		}
	}
}
