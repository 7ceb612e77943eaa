package ops_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/ops"
)

func get(t *testing.T, e *echo.Echo, method, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	b, _ := io.ReadAll(rec.Body)
	return rec.Code, string(b)
}

func TestMetricsAndHealth(t *testing.T) {
	ready := errors.New("database: disk on fire")
	m := ops.New(ops.Sources{
		Ready:            func(context.Context) error { return ready },
		PendingActions:   func(context.Context) (int, error) { return 7, nil },
		WebsocketClients: func() int { return 3 },
		Writer: func() ops.WriterStats {
			return ops.WriterStats{Batches: 4, Updates: 10, Reruns: 3, Busy: 1500 * time.Millisecond, Commit: 250 * time.Millisecond}
		},
		Notifications: func() ops.NotifyStats {
			return ops.NotifyStats{Delivered: 9, Retried: 5, Failed: 2, ApprovalDelivered: 4, ApprovalRetried: 3, ApprovalFailed: 1}
		},
		Pool: func() ops.PoolStats {
			return ops.PoolStats{Max: 8, Acquired: 5, Idle: 2, Acquires: 120, Waited: 17, Wait: 750 * time.Millisecond}
		},
	})
	e := echo.New()
	e.Use(m.Middleware())
	m.Register(e)
	// A stand-in callback route answering by its query.
	cb := func(c echo.Context) error {
		if c.QueryParam("repeat") != "" {
			c.Response().Header().Set(ops.RepeatHeader, "1")
		}
		switch c.QueryParam("status") {
		case "409":
			return c.NoContent(http.StatusConflict)
		case "404":
			return c.NoContent(http.StatusNotFound)
		}
		return c.NoContent(http.StatusOK)
	}
	e.PUT("/v2/action_executions/:id", cb)
	e.POST("/v2/action-executions/:id", cb)

	for _, r := range []struct{ method, path string }{
		{"PUT", "/v2/action_executions/a"}, {"POST", "/v2/action-executions/a"},
		{"PUT", "/v2/action_executions/a?repeat=1"}, {"PUT", "/v2/action_executions/a?status=409"},
		{"POST", "/v2/action-executions/b?status=404"},
	} {
		get(t, e, r.method, r.path)
	}
	if code, body := get(t, e, "GET", "/readyz"); code != 503 || !strings.Contains(body, "disk on fire") {
		t.Errorf("/readyz while not ready: %d %s", code, body)
	}
	ready = nil
	if code, _ := get(t, e, "GET", "/readyz"); code != 200 {
		t.Errorf("/readyz when ready: %d", code)
	}
	if code, _ := get(t, e, "GET", "/healthz"); code != 200 {
		t.Errorf("/healthz: %d", code)
	}
	code, body := get(t, e, "GET", "/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{
		`sirocco_callbacks_total{outcome="accepted"} 2`,
		`sirocco_callbacks_total{outcome="repeated"} 1`,
		`sirocco_callbacks_total{outcome="conflict"} 1`,
		`sirocco_callbacks_total{outcome="not_found"} 1`,
		`sirocco_pending_actions 7`,
		`sirocco_websocket_clients 3`,
		`sirocco_store_batches_total 4`,
		`sirocco_store_updates_total 10`,
		`sirocco_store_batch_reruns_total 3`,
		`sirocco_store_update_seconds_total 1.5`,
		`sirocco_store_commit_seconds_total 0.25`,
		`sirocco_notifications_total{outcome="delivered"} 9`,
		`sirocco_notifications_total{outcome="retried"} 5`,
		`sirocco_notifications_total{outcome="failed"} 2`,
		`sirocco_approval_notifications_total{outcome="delivered"} 4`,
		`sirocco_approval_notifications_total{outcome="retried"} 3`,
		`sirocco_approval_notifications_total{outcome="failed"} 1`,
		`sirocco_db_connections_max 8`,
		`sirocco_db_connections_acquired 5`,
		`sirocco_db_connections_idle 2`,
		`sirocco_db_acquires_total 120`,
		`sirocco_db_acquires_waited_total 17`,
		`sirocco_db_acquire_wait_seconds_total 0.75`,
		`sirocco_http_requests_total{code="409",method="PUT",route="/v2/action_executions/:id"} 1`,
		`sirocco_http_request_duration_seconds_count{method="GET",route="/readyz"} 2`,
		`go_goroutines`, `process_resident_memory_bytes`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
