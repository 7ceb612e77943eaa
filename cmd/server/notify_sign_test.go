package main

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/webhook"
)

// TestNotifySecretConfig: the signing secret comes from
// -notify-secret-file (trimmed), else SIROCCO_NOTIFY_SECRET, the file
// winning; a missing file or a secret under 16 bytes is a usage error
// naming where it came from; without either, notifications are unsigned.
func TestNotifySecretConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good, short := write("good", "  0123456789abcdef0123\n"), write("short", "tooshort\n")
	for _, tt := range []struct {
		name      string
		file, env string
		want      string // the secret; "" for none
		wantErr   string
	}{
		{name: "none"},
		{name: "file", file: good, want: "0123456789abcdef0123"},
		{name: "env", env: "from-the-environment-1", want: "from-the-environment-1"},
		{name: "file wins", file: good, env: "from-the-environment-1", want: "0123456789abcdef0123"},
		{name: "missing file", file: filepath.Join(dir, "nope"), wantErr: "-notify-secret-file " + filepath.Join(dir, "nope") + ": no such file"},
		{name: "short file", file: short, wantErr: "-notify-secret-file " + short + ": the notification secret is 8 bytes; use at least 16"},
		{name: "short env", env: "abc", wantErr: "SIROCCO_NOTIFY_SECRET: the notification secret is 3 bytes"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := loadNotifySecret(tt.file, tt.env)
			var ue usageError
			switch {
			case tt.wantErr != "":
				if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %v; want a usage error with %q", err, tt.wantErr)
				}
			case err != nil || string(got) != tt.want:
				t.Errorf("secret %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	cfg, err := notifyConfig(notifyFlags{secretEnv: "from-the-environment-1", links: true})
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := cfg.Sender.(*webhook.Sender); s == nil || !s.Signed() || !cfg.Links {
		t.Errorf("notifyConfig with a secret and -notify-links: signed %v, links %v", s != nil && s.Signed(), cfg.Links)
	}
}

// TestNotifySignedServer: a server given SIROCCO_NOTIFY_SECRET signs what
// -notify-url gets, workflow events and approval events alike, and the
// receiver's check accepts it; the approval event links to the action's
// page; the log says notifications are signed. -notify-secret is no flag.
func TestNotifySignedServer(t *testing.T) {
	t.Parallel()
	const secret = "a secret for the receiver, 32 b"
	var mu sync.Mutex
	var events []string
	var bodies []string
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		ev := r.Header.Get(webhook.EventHeader)
		if err := webhook.Verify([]byte(secret), r.Header.Get(webhook.SignatureHeader), b, time.Now(), webhook.DefaultTolerance); err != nil {
			t.Errorf("%s: %v", ev, err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		mu.Lock()
		events, bodies = append(events, ev), append(bodies, string(b))
		mu.Unlock()
	}))
	defer recv.Close()
	srv := startServerEnv(t, map[string]string{"SIROCCO_NOTIFY_SECRET": secret}, "-notify-url", recv.URL+"/hook", "-notify-links")
	def := "version: '2.0'\nwf:\n  tasks:\n    ask:\n      action: std.approval\n      input:\n        title: Open the gate\n"
	if r := do(t, "POST", srv.URL+"/v2/workflows", def); r.Status != http.StatusCreated {
		t.Fatalf("create workflow: %d %s", r.Status, r.Raw)
	}
	if r := do(t, "POST", srv.URL+"/v2/executions", map[string]any{"workflow_name": "wf"}); r.Status != http.StatusCreated {
		t.Fatalf("start: %d %s", r.Status, r.Raw)
	}
	var requested string
	poll(t, "a signed approval.requested and a workflow event", func() (bool, string) {
		mu.Lock()
		defer mu.Unlock()
		workflow := false
		for i, ev := range events {
			if ev == "approval.requested" {
				requested = bodies[i]
			}
			workflow = workflow || ev == "WORKFLOW_LAUNCHED"
		}
		return requested != "" && workflow, strings.Join(events, ",")
	})
	if !strings.Contains(requested, `"title": "Open the gate", "url": "http`) || !strings.Contains(requested, `/actions/`) ||
		!strings.Contains(requested, `"links": {}`) {
		t.Errorf("approval.requested body %s; want the title, the action page's URL and links (-notify-links)", requested)
	}
	if log := srv.stderr.String(); !strings.Contains(log, "webhook notifications are signed") || strings.Contains(log, secret) {
		t.Errorf("the log does not say notifications are signed, or shows the secret:\n%s", log)
	}
	var out strings.Builder
	if err := run(t.Context(), []string{"-notify-secret", secret}, noEnv, &out, &out); err == nil || !strings.Contains(err.Error(), "notify-secret") {
		t.Errorf("-notify-secret on the command line: %v; want it refused as an unknown flag", err)
	}
}
