package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/api"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/sqlite"
)

// BenchmarkCallback measures the callback route through the router and
// the API (no network, no guard), each request completing a waiting
// action; "key" adds an Idempotency-Key, whose claim and kept answer are
// two more write transactions:
//
//	go test ./internal/api -run '^$' -bench Callback -benchtime 3000x
func BenchmarkCallback(b *testing.B) {
	for _, withKey := range []bool{false, true} {
		name := "plain"
		if withKey {
			name = "key"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"), sqlite.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			eng := engine.New(engine.Config{Store: st, BaseURL: "http://bench"})
			e := echo.New()
			api.New(eng, nil).Register(e)
			if _, err := eng.CreateWorkflows(ctx, nil, "version: '2.0'\nwf:\n  tasks:\n    wait:\n      action: std.async_noop\n", "", ""); err != nil {
				b.Fatal(err)
			}
			ids := make([]string, b.N)
			for i := range ids {
				ex, err := eng.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf"})
				if err != nil {
					b.Fatal(err)
				}
				list, err := eng.ListActionExecutions(ctx, engine.ListQuery{Limit: 1, Filters: []engine.Filter{
					{Field: "workflow_execution_id", Op: engine.OpEq, Values: []string{ex.ID}}}})
				if err != nil || len(list) != 1 {
					b.Fatalf("pending action of %s: %v %v", ex.ID, list, err)
				}
				ids[i] = list[0].ID
			}
			cpu0 := cpuTime()
			b.ResetTimer()
			for i, id := range ids {
				req := httptest.NewRequest(http.MethodPut, "/v2/action_executions/"+id, strings.NewReader(`{"state": "SUCCESS", "output": {"n": 1}}`))
				req.Header.Set("Content-Type", "application/json")
				if withKey {
					req.Header.Set("Idempotency-Key", "k-"+strconv.Itoa(i))
				}
				rec := httptest.NewRecorder()
				e.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("callback: %d %s", rec.Code, rec.Body)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

// cpuTime is the CPU time (user and system) this process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
