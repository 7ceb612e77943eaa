package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/engine"
)

// showcase is a seeded dashboard: the server's example workflows, a
// workbook, an ad-hoc action, a cron trigger, approvals and other actions
// waiting, and finished executions — what the phone test visits and the
// README's screenshots show. It seeds everything it shows, so it can be run
// again after the pages change.
type showcase struct {
	*env
	// approval and pending are an approval and a std.async_noop action
	// waiting; done is an action decided in the dashboard; execution and
	// finished are executions waiting and finished.
	approval, pending, done string
	execution, finished     string
	// pages are the paths of every page, by name.
	pages []showcasePage
}

type showcasePage struct{ name, path string }

const showcaseExtras = `---
version: '2.0'
deploy_release:
  description: Build, test and roll out a release in two regions; a person approves production.
  input:
    - release: "2026.12"
  tasks:
    build:
      action: std.echo output="built <% $.release %>"
      on-success: [unit_tests, integration_tests]
    unit_tests:
      action: std.echo output="unit ok"
      on-success: [staging]
    integration_tests:
      action: std.echo output="integration ok"
      on-success: [staging]
    staging:
      join: all
      action: std.echo output="staged"
      on-success: [approve_production]
    approve_production:
      action: std.approval
      input:
        title: Roll out <% $.release %> to production
        description: Staging passed. Approve to roll out to **eu-west** and **us-east**.
        requested_by: release-bot
        context:
          release: <% $.release %>
          regions: [eu-west, us-east]
      on-success: [rollout]
      on-error: [rollback]
    rollout:
      with-items: region in <% list(eu-west, us-east) %>
      action: std.echo output="rolled out to <% $.region %>"
    rollback:
      action: std.echo output="rolled back"
`

const showcaseActions = `---
version: '2.0'
notify_oncall:
  description: Page the on-call engineer through the paging service; it answers by callback.
  base: std.mistral_http
  base-input:
    url: http://127.0.0.1:9/page
    method: POST
  input:
    - message
`

const showcaseWorkbook = `---
version: '2.0'
name: billing
description: Monthly invoicing.
workflows:
  invoice:
    input:
      - month
    tasks:
      render:
        action: std.echo output="invoice for <% $.month %>"
`

// newShowcase starts a server with accounts (admin logs in with
// testPassword) and seeds it.
func newShowcase(t *testing.T) *showcase {
	t.Helper()
	e := newEnvAuth(t, testPassword)
	ctx := context.Background()
	examples, err := os.ReadFile(filepath.Join("..", "..", "cmd", "server", "seed", "examples.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, def := range []string{string(examples), showcaseExtras} {
		if _, err := e.eng.CreateWorkflows(ctx, nil, def, "", engine.ScopePrivate); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.eng.CreateActions(ctx, nil, showcaseActions, "", engine.ScopePrivate); err != nil {
		t.Fatal(err)
	}
	if _, err := e.eng.CreateWorkbook(ctx, nil, showcaseWorkbook, "", engine.ScopePrivate); err != nil {
		t.Fatal(err)
	}
	if _, err := e.eng.CreateCronTrigger(ctx, nil, engine.CronRequest{Name: "nightly_report", Pattern: "0 2 * * *", WorkflowName: "approve_request",
		WorkflowInput: map[string]any{"requester": "cron"}, Scope: engine.ScopePrivate}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"ann", "bob"} {
		if _, err := e.accounts.CreateUser(ctx, auth.Actor{}, u, auth.RoleApprover, u+"-password-1"); err != nil {
			t.Fatal(err)
		}
	}
	s := &showcase{env: e}
	start := func(wf, by, desc string, input map[string]any) string {
		t.Helper()
		ex, err := e.eng.StartExecution(ctx, engine.StartRequest{WorkflowName: wf, Input: input, CreatedBy: by, Description: desc})
		if err != nil {
			t.Fatal(err)
		}
		return ex.ID
	}
	// A provisioning service that accepts requests and answers later.
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) }))
	t.Cleanup(svc.Close)

	s.execution = start("deploy_release", "ann", "December release", nil)
	s.approval = e.waitingAction(t, s.execution)
	e.waitingAction(t, start("request_vm", "bob", "Load test for the Q3 campaign", map[string]any{"requester": "bob", "size": "large", "cost_centre": "CC-2087"}))
	e.waitingAction(t, start("request_vm", "ann", "", map[string]any{"requester": "ann", "cost_centre": "CC-1234"}))
	s.pending = e.waitingAction(t, start("approve_request", "bob", "", map[string]any{"requester": "carol", "resource": "4 vCPU VM"}))
	e.waitingAction(t, start("order_vm", "ann", "VM for the build farm", map[string]any{"url": svc.URL + "/vms", "size": "large"}))

	s.finished = start("approve_request", "ann", "", map[string]any{"requester": "dave"})
	s.done = e.waitingAction(t, s.finished)
	if _, _, err := e.eng.DeliverResult(ctx, s.done, engine.Completion{State: engine.StateSuccess, Output: "approved", HasOutput: true, Via: "dashboard",
		Comment: "fine by me", Decider: &engine.Decider{User: "admin"}}); err != nil {
		t.Fatal(err)
	}
	s.pages = []showcasePage{
		{"inbox", "/"},
		{"inbox-mine", "/?mine=1"},
		{"approval", "/actions/" + s.approval},
		{"action", "/actions/" + s.pending},
		{"action-done", "/actions/" + s.done},
		{"executions", "/executions"},
		{"execution", "/executions/" + s.execution},
		{"execution-done", "/executions/" + s.finished},
		{"workflows", "/workflows"},
		{"workflow", "/workflows/deploy_release"},
		{"action-definitions", "/action-definitions"},
		{"action-definition", "/action-definitions/notify_oncall"},
		{"workbooks", "/workbooks"},
		{"workbook", "/workbooks/billing"},
		{"triggers", "/triggers"},
		{"admin", "/admin"},
		{"audit", "/audit"},
		{"replicas", "/replicas"},
		{"password", "/account/password"},
		{"not-found", "/executions/no-such-execution"},
	}
	return s
}

// loginBrowser logs a browser tab in as admin.
func (s *showcase) loginBrowser(t *testing.T, ctx context.Context) {
	t.Helper()
	do(t, ctx, 20*time.Second,
		chromedp.Navigate(s.url+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)),
		chromedp.SetValue(chromedp.CSS(`[data-testid="login-name"]`), "admin"),
		chromedp.SetValue(chromedp.CSS(`[data-testid="login-password"]`), testPassword),
		chromedp.Click(chromedp.CSS(`button[data-testid="login"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="logout"]`)),
	)
}

// fitsJS is a script that returns "" when a page fits a screen width
// wide without scrolling sideways, else what sticks out.
func fitsJS(width int) string {
	return strings.ReplaceAll(`(function () {
		// A phone widens its layout viewport to fit what is too wide (and
		// zooms out): innerWidth must stay the screen's width.
		const w = WIDTH;
		if (window.innerWidth <= w && document.documentElement.scrollWidth <= window.innerWidth) return "";
		// Name the elements that stick out, to say what to fix.
		const out = [];
		for (const el of document.querySelectorAll("body *")) {
			const r = el.getBoundingClientRect();
			if (r.right > w + 0.5 && getComputedStyle(el).position !== "fixed") {
				let inScroller = false;
				for (let a = el.parentElement; a; a = a.parentElement) {
					const o = getComputedStyle(a).overflowX;
					if ((o === "auto" || o === "scroll" || o === "hidden") && a.getBoundingClientRect().right <= w + 0.5) { inScroller = true; break; }
				}
				if (!inScroller) out.push(el.tagName.toLowerCase() + (el.className ? "." + String(el.className).trim().replace(/\s+/g, ".") : "") + " (" + Math.round(r.right) + "px)");
			}
		}
		return "innerWidth " + window.innerWidth + ", scrollWidth " + document.documentElement.scrollWidth + " > " + w + ": " + out.slice(0, 6).join(", ");
	})()`, "WIDTH", strconv.Itoa(width))
}

// pageReady is true once a page has loaded and its script has run.
const pageReady = `document.readyState === "complete" && !!document.querySelector("main")`

// TestBrowserPhone: at 400 px every page fits the screen (no horizontal
// scroll: scrollWidth <= innerWidth), the menu is folded behind one
// button, and filters fold away; tables become cards.
func TestBrowserPhone(t *testing.T) {
	ctx := browser(t)
	s := newShowcase(t)
	s.loginBrowser(t, ctx)
	// On a desktop (1280 px) nothing scrolls sideways either: the header
	// of an admin, with every section, wraps instead.
	do(t, ctx, 10*time.Second, chromedp.EmulateViewport(1280, 900))
	for _, p := range s.pages {
		do(t, ctx, 20*time.Second, chromedp.Navigate(s.url+p.path))
		eventually(t, ctx, 5*time.Second, p.name+" loads", pageReady)
		if wide := text(t, ctx, fitsJS(1280)); wide != "" {
			t.Errorf("%s (%s) scrolls sideways at 1280 px: %s", p.name, p.path, wide)
		}
	}
	do(t, ctx, 10*time.Second, chromedp.EmulateViewport(400, 860, chromedp.EmulateMobile))
	for _, p := range append(s.pages, showcasePage{"login", "/login"}) {
		if p.name == "login" {
			do(t, ctx, 10*time.Second, chromedp.Click(chromedp.CSS(`button[data-testid="logout"]`)))
			eventually(t, ctx, 5*time.Second, "logged out", `location.pathname === "/login"`)
		}
		do(t, ctx, 20*time.Second, chromedp.Navigate(s.url+p.path))
		eventually(t, ctx, 5*time.Second, p.name+" loads", pageReady)
		wide := text(t, ctx, fitsJS(400))
		if wide != "" {
			t.Errorf("%s (%s) scrolls sideways at 400 px: %s", p.name, p.path, wide)
		}
		if p.name == "login" || p.name == "not-found" {
			continue
		}
		// The menu is folded: its links are hidden behind the Menu button.
		if got := text(t, ctx, `String(document.querySelector("header.top nav").getBoundingClientRect().height === 0 && getComputedStyle(document.querySelector('[data-testid="menu-button"]')).display !== "none")`); got != "true" {
			t.Errorf("%s: the menu is not folded behind its button at 400 px", p.name)
		}
	}
	// The menu opens with its button, without JavaScript's help.
	do(t, ctx, 10*time.Second, chromedp.Navigate(s.url+"/login"))
	s.loginBrowser(t, ctx)
	do(t, ctx, 10*time.Second, chromedp.Navigate(s.url+"/executions"), chromedp.Click(chromedp.CSS(`[data-testid="menu-button"]`)))
	eventually(t, ctx, 2*time.Second, "the menu opens", `document.querySelector("header.top nav").getBoundingClientRect().height > 100`)
	// The filters fold away, and open with their button.
	for _, path := range []string{"/", "/executions", "/audit"} {
		do(t, ctx, 10*time.Second, chromedp.Navigate(s.url+path))
		eventually(t, ctx, 5*time.Second, path+" loads", pageReady)
		if got := text(t, ctx, `String(document.querySelector("form.filters").getBoundingClientRect().height)`); got != "0" {
			t.Errorf("%s: the filters take %s px at 400 px, want them folded", path, got)
		}
		do(t, ctx, 10*time.Second, chromedp.Click(chromedp.CSS(`[data-testid="filters-button"]`)))
		eventually(t, ctx, 2*time.Second, path+": the filters open", `document.querySelector("form.filters").getBoundingClientRect().height > 50`)
	}
	// Rows are cards: a table's header row is not shown.
	do(t, ctx, 10*time.Second, chromedp.Navigate(s.url+"/executions"))
	if got := text(t, ctx, `getComputedStyle(document.querySelector("table thead")).display`); got != "none" {
		t.Errorf("the executions table's header is %q at 400 px, want rows as cards", got)
	}
}
