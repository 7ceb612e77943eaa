package webhook_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/webhook"
)

func TestAllowlist(t *testing.T) {
	t.Parallel()
	a, err := webhook.ParseAllowlist(" hooks.example.com, 10.0.0.7:8443 ,*.chat.example.org,https://ci.example.net/sirocco/,[::1],https://whole.example.com")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		url  string
		want bool
	}{
		{"https://hooks.example.com/anything", true},
		{"http://HOOKS.example.com:9000/x", true},
		{"https://evil.hooks.example.com.attacker.net/", false},
		{"https://10.0.0.7:8443/x", true},
		{"https://10.0.0.7/x", false},
		{"http://10.0.0.7:8443/x", true},
		{"https://a.chat.example.org/x", true},
		{"https://chat.example.org/x", false},
		{"https://notchat.example.org/x", false},
		{"https://ci.example.net/sirocco/hook", true},
		{"https://ci.example.net/sirocco", true},
		{"https://ci.example.net/sirocco-evil", false},
		{"https://ci.example.net/sirocco/../admin", false},
		{"https://ci.example.net/sirocco/%2e%2e/admin", false},
		{"http://ci.example.net/sirocco/hook", false},
		{"https://ci.example.net:444/sirocco/hook", false},
		{"http://[::1]:8080/x", true},
		{"https://whole.example.com", true},
		{"https://whole.example.com/any/path", true},
		{"http://whole.example.com/", false},
		{"http://169.254.169.254/latest/meta-data", false},
	} {
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := a.Allows(u); got != tt.want {
			t.Errorf("Allows(%s) = %v, want %v", tt.url, got, tt.want)
		}
	}
	if empty, err := webhook.ParseAllowlist(" , "); err != nil || empty != nil {
		t.Errorf("an empty allowlist: %v, %v; want nil (anywhere)", empty, err)
	}
	for _, bad := range []string{"ftp://x/", "https://u:p@x/", "a/b", "https://"} {
		if _, err := webhook.ParseAllowlist(bad); err == nil {
			t.Errorf("ParseAllowlist(%q) accepted", bad)
		}
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"https://hooks.example.com/x": "",
		"http://127.0.0.1:8080/":      "",
		"hooks.example.com/x":         "not an http or https URL",
		"file:///etc/passwd":          "not an http or https URL",
		"http:///x":                   "has no host",
		"https://user:pw@example.com": "holds credentials",
		"http://exa mple.com/":        "not a URL",
	} {
		_, err := webhook.Parse(raw)
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("Parse(%q) = %v, want %q", raw, err, want)
		}
	}
}

// TestSend: a POST of the body as JSON with the caller's headers and the
// event's; a 2xx is success, anything else a StatusError with the start of
// the answer; a redirect is not followed; a destination outside the
// allowlist is not contacted.
func TestSend(t *testing.T) {
	t.Parallel()
	var got *http.Request
	var body string
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		got = r
		b, _ := io.ReadAll(r.Body)
		body = string(b)
		w.WriteHeader(http.StatusAccepted)
	})
	mux.HandleFunc("/down", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down\nfor maintenance "+strings.Repeat("x", 1000), http.StatusBadGateway)
	})
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/", http.StatusTemporaryRedirect)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	s := webhook.New(5*time.Second, nil)
	ctx := context.Background()
	err := s.Send(ctx, srv.URL+"/ok", map[string]string{"Authorization": "Bearer t", webhook.EventIDHeader: "forged"}, "ev-1", "TASK_FAILED", []byte(`{"a": 1}`))
	if err != nil {
		t.Fatal(err)
	}
	if got.Method != http.MethodPost || body != `{"a": 1}` || got.Header.Get("Content-Type") != "application/json" ||
		got.Header.Get("Authorization") != "Bearer t" || got.Header.Get(webhook.EventIDHeader) != "ev-1" || got.Header.Get(webhook.EventHeader) != "TASK_FAILED" {
		t.Errorf("request %s %v %q", got.Method, got.Header, body)
	}
	err = s.Send(ctx, srv.URL+"/down", nil, "ev-2", "TASK_FAILED", nil)
	var se *webhook.StatusError
	if !errors.As(err, &se) || se.Code != http.StatusBadGateway || !strings.HasPrefix(se.Body, "down for maintenance") || len(se.Body) > 256 {
		t.Errorf("a 502: %v", err)
	}
	if err := s.Send(ctx, srv.URL+"/moved", nil, "ev-3", "TASK_FAILED", nil); !errors.As(err, &se) || se.Code != http.StatusTemporaryRedirect {
		t.Errorf("a redirect: %v; want it answered as a 307 failure, not followed", err)
	}
	allow, _ := webhook.ParseAllowlist("hooks.example.com")
	if err := webhook.New(5*time.Second, allow).Send(ctx, srv.URL+"/ok", nil, "ev-4", "TASK_FAILED", nil); !errors.Is(err, webhook.ErrNotAllowed) {
		t.Errorf("a destination outside the allowlist: %v", err)
	}
}
