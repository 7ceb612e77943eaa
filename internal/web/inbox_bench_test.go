package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/sqlite"
	"github.com/sirocco-project/sirocco/internal/web"
)

// BenchmarkInbox100k renders the inbox page — the queries and the template,
// through the real router — with 100,000 pending action executions in a
// SQLite file, and reports the 95th percentile of one request in ms.
//
//	go test ./internal/web -run '^$' -bench BenchmarkInbox100k -benchtime 200x
func BenchmarkInbox100k(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	start := time.Now()
	seedPending(b, st, 100_000)
	b.Logf("seeded 100,000 pending action executions in %v", time.Since(start).Round(time.Millisecond))
	eng := engine.New(engine.Config{Store: st, BaseURL: "http://127.0.0.1:8989"})
	e := echo.New()
	web.New(web.Config{Engine: eng, BaseURL: "http://127.0.0.1:8989"}).Register(e)

	for _, bc := range []struct{ name, path string }{
		{"first page", "/"},
		{"newest first", "/?sort=newest"},
		{"a later page", "/?after=1767600000000000.act-050000"},
		{"filtered by workflow and task", "/?workflow=approve_3&task=ask_5"},
		{"text search", "/?q=user4200"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			times := make([]time.Duration, 0, b.N)
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, bc.path, nil)
				req.Header.Set("Accept", "text/html")
				rec := httptest.NewRecorder()
				t0 := time.Now()
				e.ServeHTTP(rec, req)
				times = append(times, time.Since(t0))
				if rec.Code != http.StatusOK {
					b.Fatalf("GET %s: %d %s", bc.path, rec.Code, rec.Body.String())
				}
			}
			slices.Sort(times)
			pct := func(p float64) float64 {
				return float64(times[int(float64(len(times)-1)*p)]) / float64(time.Millisecond)
			}
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.95), "p95-ms")
		})
	}
}
