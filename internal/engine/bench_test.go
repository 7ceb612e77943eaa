package engine_test

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/sqlite"
)

// BenchmarkAsyncWorkflow measures one whole async workflow through the
// engine (start, then the callback that finishes it) on a durable SQLite
// file, with 32 concurrent clients as a busy server would see:
//
//	go test ./internal/engine -run '^$' -bench AsyncWorkflow -benchtime 5000x
func BenchmarkAsyncWorkflow(b *testing.B) {
	runAsyncWorkflows(b, engine.Config{})
}

// runAsyncWorkflows runs b.N one-task async workflows (start, then the
// callback that finishes each) from 32 clients on an engine made with cfg
// over a durable SQLite file, reports workflows/s and CPU per workflow,
// and returns the engine for checks afterwards.
func runAsyncWorkflows(b *testing.B, cfg engine.Config) *engine.Engine {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"), sqlite.Options{Sync: sqlite.SyncFull})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	cfg.Store, cfg.BaseURL = st, "http://bench"
	e := engine.New(cfg)
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
	// CPU per workflow is steadier than throughput on a shared machine.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/workflow")
	return e
}

// cpuTime is the CPU time (user and system) this process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
