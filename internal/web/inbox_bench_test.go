package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/guard"
	"github.com/sirocco-project/sirocco/internal/sqlite"
	"github.com/sirocco-project/sirocco/internal/web"
	"golang.org/x/crypto/bcrypt"
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

// seedApprovalInbox writes n pending approvals (std.approval, each with its
// task; a hundred per execution; asked for and started by rita), one a
// second, with their inbox entries as the engine writes them: a third name
// no approvers (anyone with the approver role decides), a third
// group:finance, a third group:security and user:zed. Votes, as users
// vote, on the approvals: ann on every tenth she may decide, fay on every
// one of finance's.
func seedApprovalInbox(tb testing.TB, st *sqlite.Store, n int) {
	tb.Helper()
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	request := `{"title":"A VM"}`
	err := st.Update(ctx, func(tx engine.Tx) error {
		var ex *engine.Execution
		for i := 0; i < n; i++ {
			at := t0.Add(time.Duration(i) * time.Second)
			wf := fmt.Sprintf("request_%d", i%7)
			if i%100 == 0 {
				ex = &engine.Execution{ID: fmt.Sprintf("ex-%06d", i), WorkflowID: "wf", WorkflowName: wf, State: engine.StateRunning,
					ParamsJSON: "{}", InputJSON: fmt.Sprintf(`{"requester": "user%d"}`, i), OutputJSON: "{}", ContextJSON: "{}",
					Definition: "x", ProjectID: engine.DefaultProject, CreatedBy: "rita", CreatedAt: at, UpdatedAt: at}
				if err := tx.CreateExecution(ctx, ex); err != nil {
					return err
				}
			}
			task := &engine.Task{ID: fmt.Sprintf("task-%06d", i), Name: fmt.Sprintf("ask_%d", i%13), Type: engine.TaskTypeAction,
				WorkflowExecutionID: ex.ID, WorkflowName: ex.WorkflowName, WorkflowID: "wf", State: engine.StateRunning,
				RuntimeContextJSON: "{}", InContextJSON: "{}", PublishedJSON: "{}", ResultJSON: "null",
				ProjectID: engine.DefaultProject, CreatedAt: at, UpdatedAt: at, StartedAt: &at}
			if err := tx.CreateTask(ctx, task); err != nil {
				return err
			}
			a := &engine.ActionExecution{ID: fmt.Sprintf("act-%06d", i), Name: "std.approval", WorkflowName: &ex.WorkflowName,
				TaskName: &task.Name, TaskExecutionID: &task.ID, WorkflowExecutionID: &ex.ID, State: engine.StateRunning,
				ProjectID: engine.DefaultProject, Async: true, InputJSON: fmt.Sprintf(`{"title": "A VM of %d cores"}`, i%64+1),
				ApprovalJSON: &request, CreatedAt: at, UpdatedAt: at}
			if err := tx.CreateActionExecution(ctx, a); err != nil {
				return err
			}
			deciders := [][]string{{engine.DecidersAny}, {"group:finance"}, {"group:security", "user:zed"}}[i%3]
			missing := []string{"1 more approval", "1 more from finance", "1 more from security"}[i%3]
			var voters []string
			if i%3 != 2 && i%10 == 0 {
				voters = append(voters, "ann")
			}
			if i%3 == 1 {
				voters = append(voters, "fay")
			}
			if err := tx.PutApprovalEntry(ctx, &engine.ApprovalEntry{ActionExecutionID: a.ID, CreatedAt: at, Title: fmt.Sprintf("A VM of %d cores", i%64+1),
				RequestedBy: "rita", Deciders: deciders, Excluded: append([]string{"rita"}, voters...), Missing: missing}); err != nil {
				return err
			}
			for _, u := range voters {
				if err := tx.PutApprovalVote(ctx, &engine.ApprovalVote{ActionExecutionID: a.ID, User: u, Approve: true, Channel: "api",
					Rule: 0, Groups: []string{"finance"}, CreatedAt: at}); err != nil {
					return err
				}
			}
			if i%10 == 0 {
				if err := tx.AddJob(ctx, &engine.Job{Kind: engine.JobTaskTimeout, Ref: task.ID, DueAt: at.Add(24 * time.Hour)}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkInboxApprovals100k renders the inbox of a person who decides
// approvals — "Waiting for me" first (its count, its first rows), the
// whole list with each row's part, the header's count — through the real
// router, with a session, with 100,000 pending approvals in a SQLite
// file, and reports the 95th percentile of one request in ms. ann (in
// finance) may decide two thirds of them and voted on a tenth of those;
// fay (in finance) voted on every one of finance's, so her walks step over
// 33,333 votes; zed is named in a third.
//
//	go test ./internal/web -run '^$' -bench BenchmarkInboxApprovals100k -benchtime 200x
func BenchmarkInboxApprovals100k(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	start := time.Now()
	seedApprovalInbox(b, st, 100_000)
	b.Logf("seeded 100,000 pending approvals in %v", time.Since(start).Round(time.Millisecond))
	eng := engine.New(engine.Config{Store: st, BaseURL: "http://127.0.0.1:8989"})
	accounts := auth.New(auth.Config{Store: st.Auth(), BcryptCost: bcrypt.MinCost})
	if _, err := accounts.Init(ctx, "correct horse battery"); err != nil {
		b.Fatal(err)
	}
	for _, g := range []string{"finance", "security"} {
		if err := accounts.CreateGroup(ctx, auth.Actor{}, g, auth.RoleViewer); err != nil {
			b.Fatal(err)
		}
	}
	cookies := map[string]string{}
	for _, u := range []struct{ name, group string }{{"ann", "finance"}, {"fay", "finance"}, {"zed", ""}} {
		user, err := accounts.CreateUser(ctx, auth.Actor{}, u.name, auth.RoleApprover, u.name+"-password-1")
		if err != nil {
			b.Fatal(err)
		}
		if u.group != "" {
			if err := accounts.SetMember(ctx, auth.Actor{}, u.group, u.name, true); err != nil {
				b.Fatal(err)
			}
		}
		if cookies[u.name], _, err = accounts.NewSession(ctx, user); err != nil {
			b.Fatal(err)
		}
	}
	e := echo.New()
	dash := web.New(web.Config{Engine: eng, BaseURL: "http://127.0.0.1:8989", Auth: accounts})
	e.Use(guard.Middleware(accounts, guard.Config{Fault: func(c echo.Context, status int, msg string) error { return c.String(status, msg) },
		PageError: dash.ErrorPage}))
	dash.Register(e)

	for _, bc := range []struct{ name, who, path string }{
		{"first page with waiting for me", "ann", "/"},
		{"first page, a heavy voter", "fay", "/"},
		{"first page, named in a third", "zed", "/"},
		{"waiting for me alone", "ann", "/?mine=1"},
		{"waiting for me, a later page", "ann", "/?mine=1&after=1767600000000000.act-050000"},
		{"the header's count alone", "fay", "/inbox/waiting"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			times := make([]time.Duration, 0, b.N)
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, bc.path, nil)
				req.Header.Set("Accept", "text/html")
				req.AddCookie(&http.Cookie{Name: guard.SessionCookie, Value: cookies[bc.who]})
				rec := httptest.NewRecorder()
				t0 := time.Now()
				e.ServeHTTP(rec, req)
				times = append(times, time.Since(t0))
				if rec.Code != http.StatusOK {
					b.Fatalf("GET %s as %s: %d %s", bc.path, bc.who, rec.Code, rec.Body.String())
				}
				if !strings.Contains(rec.Body.String(), `data-testid="waiting-count"`) {
					b.Fatalf("GET %s as %s: no count of what waits", bc.path, bc.who)
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
