package main

import (
	"bytes"
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/webhook"
)

// TestReadmeShowsReceiver: the README's receiver is this file, verbatim.
func TestReadmeShowsReceiver(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "<!-- examples/notify-receiver/main.go -->\n```go\n")
	block, _, _ := strings.Cut(rest, "```")
	if !ok || block != string(src) {
		t.Errorf("the README's receiver (after <!-- examples/notify-receiver/main.go -->) is not examples/notify-receiver/main.go")
	}
}

// TestReceiverChecks: what Sirocco's sender signs, the receiver accepts
// and handles once; a retry of the same event (signed anew) is
// acknowledged without being handled again; the same request replayed
// (even with its event id changed or its hex in capitals), another
// secret, a changed body and a time outside the window are refused.
func TestReceiverChecks(t *testing.T) {
	secret := []byte("the server's secret, 32 bytes ok")
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	var logs bytes.Buffer
	log.SetOutput(&logs)
	defer log.SetOutput(os.Stderr)
	r := &receiver{secret: secret, now: func() time.Time { return now }, seen: map[string]time.Time{}, done: map[string]bool{}}
	srv := httptest.NewServer(r)
	defer srv.Close()

	// What Sirocco sends, captured on the way.
	type sent struct {
		header http.Header
		body   []byte
	}
	var last sent
	capture := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		last = sent{req.Header.Clone(), b}
	}))
	defer capture.Close()
	sign := func(key []byte, at time.Time, eventID, body string) sent {
		s := webhook.New(5*time.Second, nil)
		s.SetSecret(key)
		s.SetClock(func() time.Time { return at })
		if err := s.Send(context.Background(), capture.URL, nil, eventID, "approval.requested", []byte(body)); err != nil {
			t.Fatal(err)
		}
		return last
	}
	post := func(m sent, change func(*http.Request)) int {
		req, _ := http.NewRequest("POST", srv.URL, bytes.NewReader(m.body))
		req.Header = m.header.Clone()
		if change != nil {
			change(req)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	body := `{"event": "approval.requested", "event_id": "e1", "title": "Ship it"}`
	first := sign(secret, now, "e1", body)
	retry := sign(secret, now.Add(2*time.Second), "e1", body)
	for _, tt := range []struct {
		name   string
		m      sent
		change func(*http.Request)
		want   int
	}{
		{"signed by Sirocco", first, nil, 200},
		{"replayed", first, nil, 409},
		{"replayed under another event id", first, func(r *http.Request) { r.Header.Set("Sirocco-Event-Id", "e9") }, 409},
		{"replayed in capitals", first, func(r *http.Request) {
			r.Header.Set("Sirocco-Signature", strings.ToUpper(strings.Replace(r.Header.Get("Sirocco-Signature"), "v1=", "", 1)))
		}, 401},
		{"replayed, v1 in capitals", first, func(r *http.Request) {
			h := r.Header.Get("Sirocco-Signature")
			i := strings.Index(h, "v1=") + 3
			r.Header.Set("Sirocco-Signature", h[:i]+strings.ToUpper(h[i:]))
		}, 409},
		{"a retry of the event", retry, nil, 200},
		{"another secret", sign([]byte("someone else's secret, 32 bytes!"), now, "e2", body), nil, 401},
		{"body changed", first, func(r *http.Request) {
			b := strings.Replace(body, "Ship it", "Ship all", 1)
			r.Body, r.ContentLength = io.NopCloser(strings.NewReader(b)), int64(len(b))
		}, 401},
		{"too old", sign(secret, now.Add(-6*time.Minute), "e3", body), nil, 401},
		{"from the future", sign(secret, now.Add(6*time.Minute), "e4", body), nil, 401},
		{"unsigned", first, func(r *http.Request) { r.Header.Del("Sirocco-Signature") }, 401},
	} {
		if got := post(tt.m, tt.change); got != tt.want {
			t.Errorf("%s: %d; want %d", tt.name, got, tt.want)
		}
	}
	if n := strings.Count(logs.String(), "approval.requested e1"); n != 1 {
		t.Errorf("event e1 handled %d times; want once:\n%s", n, logs.String())
	}
}
