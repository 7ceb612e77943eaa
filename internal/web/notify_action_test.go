package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/webhook"
)

// TestActionPageNotifications: an approval's page lists the webhook
// notifications of its events and says when they fail, with the
// receiver's answer: an approver who was never told shows where the
// approval is looked at.
func TestActionPageNotifications(t *testing.T) {
	t.Parallel()
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "chat relay is down", http.StatusServiceUnavailable)
	}))
	defer recv.Close()
	e := newEnvWith(t, "", func(c *engine.Config) {
		c.Notify = engine.NotifyConfig{Sender: webhook.New(5*time.Second, nil), Backoff: time.Hour,
			Receivers: []engine.Webhook{{URL: recv.URL + "/chat", Events: []engine.EventType{engine.ApprovalRequested}}}}
	})
	ctx := context.Background()
	def := "version: '2.0'\nask_wf:\n  tasks:\n    ask:\n      action: std.approval\n      input:\n        title: Rotate the keys\n"
	if _, err := e.eng.CreateWorkflows(ctx, nil, def, "", ""); err != nil {
		t.Fatal(err)
	}
	id := e.startAs("", "ask_wf")
	deadline := time.Now().Add(10 * time.Second)
	for {
		d, err := e.eng.ActionDeliveries(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(d) == 1 && d[0].Attempts == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no failed attempt recorded: %v", d)
		}
		time.Sleep(2 * time.Millisecond)
	}
	p := e.get("/actions/" + id)
	if p.status != http.StatusOK {
		t.Fatalf("action page: %d", p.status)
	}
	if got := p.text(`[data-testid="notifications-failing"]`); !strings.Contains(got, "1 of 1 notifications failed or are being retried") {
		t.Errorf("failing notice %q", got)
	}
	row := p.text(`[data-testid="notification-row"]`)
	for _, want := range []string{"approval.requested", recv.URL + "/chat", "PENDING", "503", "chat relay is down", "next attempt"} {
		if !strings.Contains(row, want) {
			t.Errorf("notification row %q lacks %q", row, want)
		}
	}
}
