package engine_test

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/sqlite"
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
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"), sqlite.Options{Sync: sqlite.SyncFull})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	e := engine.New(engine.Config{Store: st, BaseURL: "http://bench", Notify: engine.NotifyConfig{
		Sender: webhook.New(time.Second, nil), Receivers: []engine.Webhook{{URL: "http://127.0.0.1:9/hook"}}}})
	if _, err := e.CreateWorkflows(ctx, nil, "version: '2.0'\nwf:\n  tasks:\n    wait:\n      action: std.async_noop\n      publish: {r: <% task().result %>}\n", "", ""); err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	cpu0 := cpuTime()
	b.ResetTimer()
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf"})
				if err != nil {
					b.Error(err)
					return
				}
				list, err := e.ListActionExecutions(ctx, engine.ListQuery{Limit: 1, Filters: []engine.Filter{
					{Field: "workflow_execution_id", Op: engine.OpEq, Values: []string{ex.ID}}}})
				if err != nil || len(list) != 1 {
					b.Errorf("pending action of %s: %v %v", ex.ID, list, err)
					return
				}
				if _, err := e.UpdateActionExecution(ctx, list[0].ID, engine.Completion{State: engine.StateSuccess, Output: int64(1), HasOutput: true}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "workflows/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/workflow")
	if d, err := e.Deliveries(ctx, func() string {
		l, _ := e.ListExecutions(ctx, engine.ListQuery{Limit: 1})
		return l[0].ID
	}()); err != nil || len(d) != 4 {
		b.Errorf("deliveries of an execution: %d %v; want 4", len(d), err)
	}
}
