package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/webhook"
)

// TestExecutionPageNotifications: the execution page lists its webhook
// notifications, says when they fail (with the receiver's answer), and
// shows params.notify's header values masked, on the page, in the raw
// params and on the action page.
func TestExecutionPageNotifications(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Error(w, "receiver is down for maintenance", http.StatusServiceUnavailable)
	}))
	defer recv.Close()
	e := newEnvWith(t, "", func(c *engine.Config) {
		c.Notify = engine.NotifyConfig{Sender: webhook.New(5*time.Second, nil), Backoff: time.Hour}
	})
	ctx := context.Background()
	ex, err := e.eng.StartExecution(ctx, engine.StartRequest{WorkflowName: "approve", Input: map[string]any{"requester": "Ann"},
		Params: map[string]any{"notify": []any{map[string]any{"type": "webhook", "url": recv.URL + "/hook",
			"headers": map[string]any{"Authorization": "Bearer s3cret"}, "events": []any{"WORKFLOW_LAUNCHED"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		d, err := e.eng.Deliveries(ctx, ex.ID)
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
	p := e.get("/executions/" + ex.ID)
	if p.status != http.StatusOK {
		t.Fatalf("execution page: %d", p.status)
	}
	if got := p.text(`[data-testid="notifications-failing"]`); !strings.Contains(got, "1 of 1 notifications failed or are being retried") {
		t.Errorf("failing notice %q", got)
	}
	row := p.text(`[data-testid="notification-row"]`)
	for _, want := range []string{"WORKFLOW_LAUNCHED", recv.URL + "/hook", "PENDING", "503", "receiver is down for maintenance", "next attempt"} {
		if !strings.Contains(row, want) {
			t.Errorf("notification row %q lacks %q", row, want)
		}
	}
	actionID := ""
	list, _ := e.eng.ListActionExecutions(ctx, engine.ListQuery{Filters: []engine.Filter{{Field: "workflow_execution_id", Op: engine.OpEq, Values: []string{ex.ID}}}})
	if len(list) == 1 {
		actionID = list[0].ID
	}
	for _, path := range []string{"/executions/" + ex.ID, "/executions/" + ex.ID + "/params.json", "/actions/" + actionID} {
		body := e.get(path).body
		if strings.Contains(body, "s3cret") || !strings.Contains(body, "***") {
			t.Errorf("%s shows the header's value, or no mask", path)
		}
	}
	// A workflow without receivers has no such section.
	e.startApproval("Bob")
	plain, _ := e.eng.ListExecutions(ctx, engine.ListQuery{Filters: []engine.Filter{{Field: "id", Op: engine.OpNeq, Values: []string{ex.ID}}}})
	if len(plain) != 1 {
		t.Fatalf("executions: %v", plain)
	}
	if n := e.get("/executions/" + plain[0].ID).doc.Find(`[data-testid="notifications"]`).Length(); n != 0 {
		t.Errorf("a workflow without receivers shows a notifications table")
	}
}
