package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/api"
	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/guard"
	"github.com/sirocco-project/sirocco/internal/hub"
	"github.com/sirocco-project/sirocco/internal/sqlite"
	"github.com/sirocco-project/sirocco/internal/web"
	"golang.org/x/crypto/bcrypt"
)

// workflows are the fixtures: a person approves (std.async_noop), and
// the decision is published.
const workflows = `---
version: '2.0'
approve:
  input:
    - requester
    - resource: 2 vCPU VM
  output:
    decision: <% $.decision %>
  tasks:
    ask:
      action: std.async_noop
      publish:
        decision: <% task().result %>
      on-error:
        - rejected
    rejected:
      action: std.echo output="no"

order_vm:
  description: Ask the provisioning service for a VM; it answers by callback.
  input:
    - url
    - size: small
  tasks:
    order:
      action: std.mistral_http
      input:
        url: <% $.url %>
        method: POST
        json:
          size: <% $.size %>
          owner: ops
`

// env is the whole server (API, dashboard, hub, engine) on a real HTTP
// listener over a temporary SQLite file.
type env struct {
	t      testing.TB
	url    string
	eng    *engine.Engine
	st     *sqlite.Store
	client *http.Client
	// accounts is set when accounts are on (newEnvAuth).
	accounts *auth.Service
}

func newEnv(t testing.TB) *env { return newEnvAuth(t, "") }

// newEnvAuth is newEnv with accounts on when adminPassword is set: the
// admin account has it, and every page needs a session, as in the server.
func newEnvAuth(t testing.TB, adminPassword string) *env { return newEnvWith(t, adminPassword, nil) }

// newEnvWith is newEnvAuth with the engine's configuration changed by
// configure (when not nil).
func newEnvWith(t testing.TB, adminPassword string, configure func(*engine.Config)) *env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "web.db"), sqlite.Options{Sync: sqlite.SyncNormal})
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	ts := httptest.NewServer(e)
	live := hub.New(hub.Config{BaseURL: ts.URL})
	ecfg := engine.Config{Store: st, BaseURL: ts.URL, Publisher: live}
	if configure != nil {
		configure(&ecfg)
	}
	eng := engine.New(ecfg)
	v2 := api.New(eng, nil)
	cfg := web.Config{Engine: eng, Live: live, BaseURL: ts.URL}
	var accountsOn *auth.Service
	if adminPassword != "" {
		accounts := auth.New(auth.Config{Store: st.Auth(), BcryptCost: bcrypt.MinCost})
		if _, err := accounts.Init(ctx, adminPassword); err != nil {
			t.Fatal(err)
		}
		cfg.Auth, accountsOn = accounts, accounts
		v2.SetAuth(accounts)
		dash := web.New(cfg)
		e.Use(guard.Middleware(accounts, guard.Config{Fault: api.Fault, PageError: dash.ErrorPage}))
		v2.Register(e)
		dash.Register(e)
	} else {
		v2.Register(e)
		web.New(cfg).Register(e)
	}
	engDone, hubDone := make(chan struct{}), make(chan struct{})
	go func() { eng.Run(ctx); close(engDone) }()
	go func() { live.Run(ctx); close(hubDone) }()
	t.Cleanup(func() {
		cancel()
		<-hubDone
		ts.Close()
		<-engDone
		st.Close()
	})
	if _, err := eng.CreateWorkflows(ctx, nil, workflows, "", engine.ScopePrivate); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &env{t: t, url: ts.URL, eng: eng, st: st, client: client, accounts: accountsOn}
}

// startApproval starts the approve workflow and returns the id of the
// action execution that waits.
func (e *env) startApproval(requester string) (exID, actionID string) {
	e.t.Helper()
	ctx := context.Background()
	ex, err := e.eng.StartExecution(ctx, engine.StartRequest{WorkflowName: "approve", Input: map[string]any{"requester": requester}})
	if err != nil {
		e.t.Fatal(err)
	}
	list, err := e.eng.ListActionExecutions(ctx, engine.ListQuery{Filters: []engine.Filter{
		{Field: "workflow_execution_id", Op: engine.OpEq, Values: []string{ex.ID}},
	}})
	if err != nil || len(list) != 1 {
		e.t.Fatalf("action executions of %s = %v, %v", ex.ID, list, err)
	}
	return ex.ID, list[0].ID
}

// page is a fetched HTML page.
type page struct {
	status int
	header http.Header
	body   string
	doc    *goquery.Document
}

// get fetches a dashboard page as a browser would (Accept: text/html).
func (e *env) get(path string) *page {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.url+path, nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	return e.do(req)
}

// post submits a form.
func (e *env) post(path string, form url.Values) *page {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	return e.do(req)
}

func (e *env) do(req *http.Request) *page {
	e.t.Helper()
	res, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	p := &page{status: res.StatusCode, header: res.Header, body: string(b)}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		if p.doc, err = goquery.NewDocumentFromReader(strings.NewReader(p.body)); err != nil {
			e.t.Fatal(err)
		}
	}
	return p
}

// text returns the trimmed, space-normalised text of the first match.
func (p *page) text(sel string) string {
	if p.doc == nil {
		return ""
	}
	return strings.Join(strings.Fields(p.doc.Find(sel).First().Text()), " ")
}

// csrf returns the token of the page's forms.
func (p *page) csrf() string {
	v, _ := p.doc.Find(`input[name="_csrf"]`).First().Attr("value")
	return v
}

// seedPending writes n pending std.async_noop action executions (each with
// its task; a hundred per execution) in one transaction, spread over n
// seconds; every tenth task has a timeout. It is how the benchmark fills
// the inbox without running n workflows.
func seedPending(tb testing.TB, st *sqlite.Store, n int) {
	tb.Helper()
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	err := st.Update(ctx, func(tx engine.Tx) error {
		var ex *engine.Execution
		for i := 0; i < n; i++ {
			at := t0.Add(time.Duration(i) * time.Second)
			wf := fmt.Sprintf("approve_%d", i%7)
			if i%100 == 0 {
				ex = &engine.Execution{ID: fmt.Sprintf("ex-%06d", i), WorkflowID: "wf", WorkflowName: wf, State: engine.StateRunning,
					ParamsJSON: "{}", InputJSON: fmt.Sprintf(`{"requester": "user%d"}`, i), OutputJSON: "{}", ContextJSON: "{}",
					Definition: "x", ProjectID: engine.DefaultProject, CreatedAt: at, UpdatedAt: at}
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
			a := &engine.ActionExecution{ID: fmt.Sprintf("act-%06d", i), Name: "std.async_noop", WorkflowName: &ex.WorkflowName,
				TaskName: &task.Name, TaskExecutionID: &task.ID, WorkflowExecutionID: &ex.ID, State: engine.StateRunning,
				ProjectID: engine.DefaultProject, Async: true, InputJSON: fmt.Sprintf(`{"ticket": %d}`, i), CreatedAt: at, UpdatedAt: at}
			if err := tx.CreateActionExecution(ctx, a); err != nil {
				return err
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
