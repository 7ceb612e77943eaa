package engine_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/pgtest"
	"github.com/sirocco-project/sirocco/internal/postgres"
	"github.com/sirocco-project/sirocco/internal/sqlite"
)

// BenchmarkCallbackWhilePurging measures the latency of callbacks (8
// concurrent clients completing waiting actions) on a database holding
// 100,000 finished executions (3 records each) past the retention bound:
// "idle" with no purge running, "purging" while the retention policy
// deletes them, in transactions of 200 records. Only the callbacks that
// ended before the purge did count in "purging"; purged-during says how
// many executions the purge deleted meanwhile.
//
//	go test ./internal/engine -run '^$' -bench CallbackWhilePurging -benchtime 4000x -timeout 30m
func BenchmarkCallbackWhilePurging(b *testing.B) {
	const old = 100_000
	for _, store := range []string{"sqlite", "postgres"} {
		for _, purging := range []bool{false, true} {
			name := store + "/idle"
			if purging {
				name = store + "/purging"
			}
			b.Run(name, func(b *testing.B) {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				var st engine.Store
				var err error
				if store == "sqlite" {
					st, err = sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"), sqlite.Options{Sync: sqlite.SyncFull})
				} else {
					st, err = postgres.Open(ctx, pgtest.DSN(b), postgres.Options{Sync: postgres.SyncFull})
				}
				if err != nil {
					b.Fatal(err)
				}
				defer st.Close()
				clock := &manualClock{now: time.Now().UTC()}
				ends := newJobEnds()
				e := engine.New(engine.Config{Store: st, BaseURL: "http://bench", Clock: clock, JobLog: ends,
					Retention: &engine.Retention{OlderThan: time.Hour, Every: 10 * time.Minute, Batch: engine.DefaultRetentionBatch}})
				done := make(chan struct{})
				go func() { e.Run(ctx); close(done) }()
				defer func() { cancel(); <-done }()
				ends.wait(b) // the run at start, with nothing to purge
				if _, err := e.CreateWorkflows(ctx, nil, "version: '2.0'\nwait:\n  tasks:\n    t:\n      action: std.async_noop\n", "", ""); err != nil {
					b.Fatal(err)
				}
				var actions []string
				for range b.N {
					ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "wait"})
					if err != nil {
						b.Fatal(err)
					}
					list, err := e.ListActionExecutions(ctx, engine.ListQuery{Limit: 1, Filters: []engine.Filter{
						{Field: "workflow_execution_id", Op: engine.OpEq, Values: []string{ex.ID}}}})
					if err != nil || len(list) != 1 {
						b.Fatalf("pending action of %s: %v %v", ex.ID, list, err)
					}
					actions = append(actions, list[0].ID)
				}
				for i := 0; i < old; i += 5000 {
					finishedTrees(b, st, fmt.Sprintf("old%06d-", i), 5000, clock.Now().Add(-2*time.Hour))
				}
				var running atomic.Bool
				if purging {
					running.Store(true)
					go func() { ends.wait(b); running.Store(false) }()
					clock.advance(10 * time.Minute)
					e.Notify()
					for e.RetentionStats().Records == 0 { // the purge has begun
						time.Sleep(time.Millisecond)
					}
				}
				var mu sync.Mutex
				var lat []time.Duration
				var next atomic.Int64
				var wg sync.WaitGroup
				b.ResetTimer()
				for range 8 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for i := next.Add(1) - 1; i < int64(len(actions)); i = next.Add(1) - 1 {
							start := time.Now()
							if _, err := e.UpdateActionExecution(ctx, actions[i], engine.Completion{State: engine.StateSuccess, Output: int64(1), HasOutput: true}); err != nil {
								b.Error(err)
								return
							}
							d := time.Since(start)
							if purging && !running.Load() {
								continue // after the purge ended
							}
							mu.Lock()
							lat = append(lat, d)
							mu.Unlock()
						}
					}()
				}
				wg.Wait()
				b.StopTimer()
				if len(lat) == 0 {
					b.Fatal("no callback ended while the purge ran")
				}
				slices.Sort(lat)
				q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
				b.ReportMetric(q(0.5), "p50-ms")
				b.ReportMetric(q(0.99), "p99-ms")
				b.ReportMetric(q(1), "max-ms")
				b.ReportMetric(float64(len(lat)), "callbacks-counted")
				if purging {
					b.ReportMetric(float64(e.RetentionStats().Executions), "purged-during")
				}
			})
		}
	}
}
