package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/webhook"
)

// BenchmarkWorkflowNotified is BenchmarkAsyncWorkflow with a
// server-wide receiver (-notify-url): what the notifier adds to a
// workflow's transactions (a delivery and its job per event, four events).
// The worker does not run, so nothing is sent: sending happens after
// commit, off the workflow's path.
//
//	go test ./internal/engine -run '^$' -bench 'AsyncWorkflow$|WorkflowNotified' -benchtime 8000x
func BenchmarkWorkflowNotified(b *testing.B) {
	ctx := context.Background()
	e := runAsyncWorkflows(b, engine.Config{Notify: engine.NotifyConfig{
		Sender: webhook.New(time.Second, nil), Receivers: []engine.Webhook{{URL: "http://127.0.0.1:9/hook"}}}})
	if d, err := e.Deliveries(ctx, func() string {
		l, _ := e.ListExecutions(ctx, engine.ListQuery{Limit: 1})
		return l[0].ID
	}()); err != nil || len(d) != 4 {
		b.Errorf("deliveries of an execution: %d %v; want 4", len(d), err)
	}
}
