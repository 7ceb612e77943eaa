// Package ops serves the operations endpoints: Prometheus metrics (HTTP
// requests and their latencies, callbacks by outcome, pending actions,
// websocket clients) on /metrics, and liveness and readiness on /healthz and
// /readyz.
package ops

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Sources are where the gauges and the readiness check read their values.
type Sources struct {
	// Ready reports whether the server can do its work (database readable,
	// job worker running).
	Ready func(ctx context.Context) error
	// PendingActions counts action executions awaiting a result.
	PendingActions func(ctx context.Context) (int, error)
	// WebsocketClients counts connected dashboard clients.
	WebsocketClients func() int
	// Writer reports the store's write path.
	Writer func() WriterStats
	// Notifications reports the webhook notifier's outcomes.
	Notifications func() NotifyStats
	// Retention reports what the retention policy purged on this replica.
	Retention func() RetentionStats
	// Pool reports the database's connection pool (PostgreSQL); nil when
	// there is none.
	Pool func() PoolStats
}

// PoolStats are the figures of a database connection pool.
type PoolStats struct {
	Max      int32         // connections the pool may open
	Acquired int32         // connections in use now
	Idle     int32         // connections open and free now
	Acquires uint64        // connections handed out since start
	Waited   uint64        // of those, handed out only after a wait (none was free)
	Wait     time.Duration // time spent waiting for a connection, in all
}

// NotifyStats are the cumulative outcomes of the webhook notifier.
type NotifyStats struct {
	Delivered uint64 // notifications a receiver accepted
	Retried   uint64 // attempts that failed and are retried later
	Failed    uint64 // notifications given up after their last attempt
	// The same of the approval events alone (counted above too).
	ApprovalDelivered, ApprovalRetried, ApprovalFailed uint64
}

// RetentionStats are the retention policy's cumulative figures.
type RetentionStats struct {
	Runs       uint64 // runs completed
	Executions uint64 // root executions purged, each with its tree
	Records    uint64 // executions, tasks, action executions and timeline rows deleted
}

// WriterStats are the cumulative figures of the store's writes: SQLite's
// single writer, or PostgreSQL's transactions.
type WriterStats struct {
	Batches uint64        // transactions committed
	Updates uint64        // updates run in them (committed or not)
	Reruns  uint64        // batches run again (SQLite: a savepoint per update; PostgreSQL: each update alone) because one failed
	Busy    time.Duration // time spent running updates
	Commit  time.Duration // time spent committing (WAL write and sync)
}

// Metrics holds the collectors of one server (no global registry, so tests
// can build several).
type Metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	callbacks *prometheus.CounterVec
	ready     func(context.Context) error
}

// New registers the collectors.
func New(src Sources) *Metrics {
	m := &Metrics{
		reg:   prometheus.NewRegistry(),
		ready: src.Ready,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sirocco_http_requests_total",
			Help: "HTTP requests by route, method and status code.",
		}, []string{"route", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sirocco_http_request_duration_seconds",
			Help:    "HTTP request latency by route and method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route", "method"}),
		callbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sirocco_callbacks_total",
			Help: "Results delivered for action executions, by outcome: accepted, repeated (the same again), conflict, not_found, invalid, too_large, unauthorized, error.",
		}, []string{"outcome"}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.callbacks,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if src.PendingActions != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "sirocco_pending_actions",
			Help: "Action executions awaiting a result (RUNNING or PAUSED).",
		}, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			n, err := src.PendingActions(ctx)
			if err != nil {
				return -1
			}
			return float64(n)
		}))
	}
	if src.WebsocketClients != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "sirocco_websocket_clients",
			Help: "Connected dashboard websocket clients.",
		}, func() float64 { return float64(src.WebsocketClients()) }))
	}
	if src.Writer != nil {
		for _, c := range []struct {
			name, help string
			value      func(WriterStats) float64
		}{
			{"sirocco_store_batches_total", "Write transactions committed; each carries the updates that were waiting (group commit).",
				func(w WriterStats) float64 { return float64(w.Batches) }},
			{"sirocco_store_updates_total", "Updates run, committed or not.",
				func(w WriterStats) float64 { return float64(w.Updates) }},
			{"sirocco_store_batch_reruns_total", "Batches rolled back and run again, because one of their updates failed: a savepoint per update (SQLite), each update alone (PostgreSQL).",
				func(w WriterStats) float64 { return float64(w.Reruns) }},
			{"sirocco_store_update_seconds_total", "Time spent running updates. On SQLite, with commit seconds, a rate near 1 means the single writer is saturated.",
				func(w WriterStats) float64 { return w.Busy.Seconds() }},
			{"sirocco_store_commit_seconds_total", "Time spent committing (WAL write and sync).",
				func(w WriterStats) float64 { return w.Commit.Seconds() }},
		} {
			m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: c.name, Help: c.help},
				func() float64 { return c.value(src.Writer()) }))
		}
	}
	if src.Notifications != nil {
		for _, c := range []struct {
			outcome string
			value   func(NotifyStats) uint64
		}{
			{"delivered", func(n NotifyStats) uint64 { return n.Delivered }},
			{"retried", func(n NotifyStats) uint64 { return n.Retried }},
			{"failed", func(n NotifyStats) uint64 { return n.Failed }},
		} {
			m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name:        "sirocco_notifications_total",
				Help:        "Webhook notifications by outcome: delivered (a receiver accepted it), retried (an attempt failed; another follows with backoff), failed (its last attempt failed; it is not sent again).",
				ConstLabels: prometheus.Labels{"outcome": c.outcome},
			}, func() float64 { return float64(c.value(src.Notifications())) }))
		}
		for _, c := range []struct {
			outcome string
			value   func(NotifyStats) uint64
		}{
			{"delivered", func(n NotifyStats) uint64 { return n.ApprovalDelivered }},
			{"retried", func(n NotifyStats) uint64 { return n.ApprovalRetried }},
			{"failed", func(n NotifyStats) uint64 { return n.ApprovalFailed }},
		} {
			m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name:        "sirocco_approval_notifications_total",
				Help:        "The approval events' webhook notifications (also in sirocco_notifications_total) by outcome: an approver a receiver should have told and did not.",
				ConstLabels: prometheus.Labels{"outcome": c.outcome},
			}, func() float64 { return float64(c.value(src.Notifications())) }))
		}
	}
	if src.Retention != nil {
		for _, c := range []struct {
			name, help string
			value      func(RetentionStats) float64
		}{
			{"sirocco_retention_runs_total", "Runs of the retention policy (-retention) completed on this replica.",
				func(r RetentionStats) float64 { return float64(r.Runs) }},
			{"sirocco_retention_purged_executions_total", "Root executions the retention policy purged on this replica, each with its sub-executions, tasks and actions.",
				func(r RetentionStats) float64 { return float64(r.Executions) }},
			{"sirocco_retention_purged_records_total", "Executions, tasks, action executions and timeline rows the retention policy deleted on this replica.",
				func(r RetentionStats) float64 { return float64(r.Records) }},
		} {
			m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: c.name, Help: c.help},
				func() float64 { return c.value(src.Retention()) }))
		}
	}
	if src.Pool != nil {
		for _, c := range []struct {
			name, help string
			value      func(PoolStats) float64
		}{
			{"sirocco_db_connections_max", "Connections the database pool may open (pool_max_conns).",
				func(p PoolStats) float64 { return float64(p.Max) }},
			{"sirocco_db_connections_acquired", "Database connections in use now.",
				func(p PoolStats) float64 { return float64(p.Acquired) }},
			{"sirocco_db_connections_idle", "Database connections open and free now.",
				func(p PoolStats) float64 { return float64(p.Idle) }},
		} {
			m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: c.name, Help: c.help},
				func() float64 { return c.value(src.Pool()) }))
		}
		for _, c := range []struct {
			name, help string
			value      func(PoolStats) float64
		}{
			{"sirocco_db_acquires_total", "Database connections handed out by the pool.",
				func(p PoolStats) float64 { return float64(p.Acquires) }},
			{"sirocco_db_acquires_waited_total", "Database connections handed out only after waiting for one to be free: a rate near that of all acquires means the pool is too small.",
				func(p PoolStats) float64 { return float64(p.Waited) }},
			{"sirocco_db_acquire_wait_seconds_total", "Time requests spent waiting for a database connection.",
				func(p PoolStats) float64 { return p.Wait.Seconds() }},
		} {
			m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: c.name, Help: c.help},
				func() float64 { return c.value(src.Pool()) }))
		}
	}
	return m
}

// Register adds /metrics, /healthz and /readyz to e.
func (m *Metrics) Register(e *echo.Echo) {
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))) // Prometheus scrape
	e.GET("/healthz", func(c echo.Context) error {                                          // liveness: the process serves HTTP
		return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
	})
	e.GET("/readyz", func(c echo.Context) error { // readiness: the database and the job worker work
		if m.ready != nil {
			ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
			defer cancel()
			if err := m.ready(ctx); err != nil {
				return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "not ready", "reason": err.Error()})
			}
		}
		return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
	})
}

// Middleware records every request; callback routes also count by outcome.
func (m *Metrics) Middleware() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			route := c.Path() // the route pattern, so labels stay few
			if route == "" {
				route = "unmatched"
			}
			method := c.Request().Method
			status := c.Response().Status
			if he, ok := err.(*echo.HTTPError); ok {
				status = he.Code
			}
			m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
			m.latency.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
			if isCallback(route, method) {
				m.callbacks.WithLabelValues(outcome(status, c.Response().Header().Get(RepeatHeader) != "")).Inc()
			}
			return err
		}
	}
}

// RepeatHeader marks a callback answer that repeated an earlier completion
// (the API sets it), so it counts as "repeated" rather than "accepted".
// It equals api.RepeatedHeader; ops does not import the API.
const RepeatHeader = "Sirocco-Repeated"

func isCallback(route, method string) bool {
	if method != http.MethodPut && method != http.MethodPost {
		return false
	}
	return route == "/v2/action_executions/:id" && method == http.MethodPut ||
		strings.HasPrefix(route, "/v2/action-executions/")
}

func outcome(status int, repeated bool) string {
	switch {
	case status == http.StatusOK && repeated:
		return "repeated"
	case status == http.StatusOK:
		return "accepted"
	case status == http.StatusConflict:
		return "conflict"
	case status == http.StatusNotFound:
		return "not_found"
	case status == http.StatusRequestEntityTooLarge:
		return "too_large"
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return "unauthorized"
	case status >= 400 && status < 500:
		return "invalid"
	}
	return "error"
}
