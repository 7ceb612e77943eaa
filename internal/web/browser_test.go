package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/guard"
)

// findBrowser returns Debian's chromium (or another Chrome), or skips the
// test — unless SIROCCO_REQUIRE_BROWSER=1 (set by .ci/run), which fails it.
func findBrowser(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("SIROCCO_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("SIROCCO_REQUIRE_BROWSER") == "1" {
		t.Fatal("no chromium found and SIROCCO_REQUIRE_BROWSER=1 (apt-get install chromium)")
	}
	t.Skip("no chromium found: skipping the browser tests (apt-get install chromium; SIROCCO_REQUIRE_BROWSER=1 makes this a failure)")
	return ""
}

// browser starts a headless chromium and returns the context of its first
// tab; extra adds flags (e.g. host-resolver-rules).
func browser(t *testing.T, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	path := findBrowser(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	opts = append(opts, extra...)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // start the browser, without a timeout
		t.Fatalf("start %s: %v", path, err)
	}
	return ctx
}

// tab opens another tab of the same browser.
func tab(t *testing.T, parent context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(parent)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// do runs steps in a tab with a deadline.
func do(t *testing.T, ctx context.Context, d time.Duration, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// eventually polls a JavaScript condition in a tab until it holds or the
// deadline passes — no sleeps standing in for timing.
func eventually(t *testing.T, ctx context.Context, within time.Duration, what, js string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v (%s; err %v)", what, within, js, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func truth(t *testing.T, ctx context.Context, js string) bool {
	t.Helper()
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func text(t *testing.T, ctx context.Context, js string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// apiPost sends JSON to the server's API, as a third party would, and
// returns the id in the answer.
func (e *env) apiPost(t *testing.T, path, body string) string {
	t.Helper()
	res, err := http.Post(e.url+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		t.Fatalf("POST %s: %d %s", path, res.StatusCode, b)
	}
	var out struct{ ID string }
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("POST %s: %v in %s", path, err, b)
	}
	return out.ID
}

// waitingAction returns the pending action execution of an execution.
func (e *env) waitingAction(t *testing.T, exID string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		p, err := e.eng.Inbox(context.Background(), engine.InboxQuery{Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range p.Items {
			if it.WorkflowExecutionID == exID {
				return it.ID
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no pending action in execution %s", exID)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func rowSel(id string) string { return fmt.Sprintf(`tr[data-testid="inbox-row"][data-id=%q]`, id) }

func TestBrowser(t *testing.T) {
	ctxA := browser(t)
	e := newEnv(t)
	ctxB := tab(t, ctxA)

	// A provisioning service that accepts std.mistral_http requests.
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) }))
	t.Cleanup(svc.Close)

	live := `document.querySelector('[data-testid="live-status"]').dataset.state === "live"`
	for _, ctx := range []context.Context{ctxA, ctxB} {
		do(t, ctx, 20*time.Second, chromedp.EmulateViewport(1280, 860), chromedp.Navigate(e.url+"/"))
		eventually(t, ctx, 10*time.Second, "the socket connects", live)
	}

	t.Run("an action started through the API appears in both tabs without reload", func(t *testing.T) {
		for _, who := range []string{"alice", "bob"} {
			e.apiPost(t, "/v2/executions", `{"workflow_name": "approve", "input": {"requester": "`+who+`"}}`)
		}
		id := e.waitingAction(t, e.apiPost(t, "/v2/executions", `{"workflow_name": "order_vm", "input": {"url": "`+svc.URL+`/vms", "size": "large"}}`))
		for _, ctx := range []context.Context{ctxA, ctxB} {
			eventually(t, ctx, 5*time.Second, "the row appears", `document.querySelector('`+rowSel(id)+`') !== null`)
			eventually(t, ctx, 5*time.Second, "the count follows", `document.querySelector('[data-testid="count-pending"]').textContent === "3"`)
		}
		// The README's screenshots show approvals: TestBrowserApprovalVoteLive
		// takes them.
	})

	t.Run("approving in one tab removes the row from the other within a second", func(t *testing.T) {
		id := e.waitingAction(t, e.apiPost(t, "/v2/executions", `{"workflow_name": "approve", "input": {"requester": "carol"}}`))
		eventually(t, ctxB, 5*time.Second, "the row appears in tab B", `document.querySelector('`+rowSel(id)+`') !== null`)
		eventually(t, ctxA, 5*time.Second, "the row appears in tab A", `document.querySelector('`+rowSel(id)+`') !== null`)
		// Tab A follows the row's link, as a person would, and approves.
		do(t, ctxA, 10*time.Second,
			chromedp.Click(chromedp.CSS(rowSel(id)+` a[data-testid="inbox-link"]`)),
			chromedp.WaitVisible(chromedp.CSS(`form[data-testid="decision-form"]`)),
			chromedp.SetValue(chromedp.CSS(`#d-output`), `"approved"`),
			chromedp.SetValue(chromedp.CSS(`#d-comment`), `fine by me`),
			chromedp.Click(chromedp.CSS(`button[data-testid="approve"]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="completed"]`)),
		)
		approved := time.Now()
		if got := text(t, ctxA, `document.querySelector('[data-testid="completed-via"]').textContent`); !strings.Contains(got, "via the dashboard") {
			t.Errorf("tab A says %q", got)
		}
		eventually(t, ctxB, time.Second, "the row leaves tab B", `document.querySelector('`+rowSel(id)+`') === null`)
		t.Logf("tab B dropped the row %v after the approval returned", time.Since(approved).Round(time.Millisecond))
		got := text(t, ctxB, `(document.querySelector('tr[data-testid="inbox-row-done"][data-id="`+id+`"]') || {}).textContent || ""`)
		if !strings.Contains(got, "via dashboard") || !strings.Contains(got, "fine by me") || !strings.Contains(got, "std.async_noop") {
			t.Errorf("tab B's note = %q, want it to name the request and say via dashboard with the comment", got)
		}
		// The note stays: another action arriving (one more refetch and
		// merge) leaves it, and the new row is marked new, until the
		// person dismisses the note.
		done := `document.querySelector('tr[data-testid="inbox-row-done"][data-id="` + id + `"]')`
		next := e.waitingAction(t, e.apiPost(t, "/v2/executions", `{"workflow_name": "approve", "input": {"requester": "frank"}}`))
		eventually(t, ctxB, 5*time.Second, "the next row appears in tab B", `document.querySelector('`+rowSel(next)+`') !== null`)
		if !truth(t, ctxB, done+` !== null`) {
			t.Fatal("the decided row left tab B when another action arrived; it should stay until dismissed")
		}
		if !truth(t, ctxB, `document.querySelector('`+rowSel(next)+`').classList.contains("fresh")`) {
			t.Error("the row that arrived is not marked new")
		}
		do(t, ctxB, 5*time.Second, chromedp.Click(chromedp.CSS(`tr[data-testid="inbox-row-done"][data-id="`+id+`"] button[data-testid="dismiss"]`)))
		eventually(t, ctxB, 5*time.Second, "the dismissed note leaves", done+` === null`)
		a, _ := e.eng.GetActionExecution(context.Background(), id)
		if a.State != engine.StateSuccess || *a.CompletedVia != engine.ViaDashboard || *a.OutputJSON != `{"result": "approved"}` {
			t.Errorf("action = %s via %s %s", a.State, *a.CompletedVia, *a.OutputJSON)
		}
	})

	t.Run("a reject with invalid JSON shows the error and changes nothing", func(t *testing.T) {
		id := e.waitingAction(t, e.apiPost(t, "/v2/executions", `{"workflow_name": "approve", "input": {"requester": "dave"}}`))
		check := func(how string) {
			t.Helper()
			msg := text(t, ctxA, `document.querySelector('[data-testid="output-error"]').textContent`)
			if !strings.Contains(msg, "JSON") || !strings.Contains(msg, "Nothing was changed") {
				t.Errorf("%s: error %q", how, msg)
			}
			a, _ := e.eng.GetActionExecution(context.Background(), id)
			if a.State != engine.StateRunning {
				t.Errorf("%s: state %s, want RUNNING", how, a.State)
			}
		}
		// With JavaScript the page checks before sending.
		do(t, ctxA, 10*time.Second,
			chromedp.Navigate(e.url+"/actions/"+id),
			chromedp.SetValue(chromedp.CSS(`#d-output`), `{"reason": nope}`),
			chromedp.Click(chromedp.CSS(`button[data-testid="reject"]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="output-error"]`)),
		)
		check("with JavaScript")
		// Without JavaScript the server checks, and keeps what was typed.
		do(t, ctxA, 10*time.Second,
			chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
				_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
				return err
			}),
			chromedp.Navigate(e.url+"/actions/"+id),
			chromedp.SetValue(chromedp.CSS(`#d-output`), `{"reason": nope}`),
			chromedp.Click(chromedp.CSS(`button[data-testid="reject"]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="output-error"]`)),
		)
		check("without JavaScript")
		if got := text(t, ctxA, `document.querySelector('#d-output').value`); got != `{"reason": nope}` {
			t.Errorf("the output field holds %q, want what was typed", got)
		}
		do(t, ctxA, 10*time.Second, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: false})
			return err
		}))
	})

	t.Run("an action completed through the API updates its open page", func(t *testing.T) {
		id := e.waitingAction(t, e.apiPost(t, "/v2/executions", `{"workflow_name": "approve", "input": {"requester": "erin"}}`))
		do(t, ctxA, 10*time.Second, chromedp.Navigate(e.url+"/actions/"+id), chromedp.WaitVisible(chromedp.CSS(`form[data-testid="decision-form"]`)))
		eventually(t, ctxA, 10*time.Second, "the socket connects", live)
		e.apiPost(t, "/v2/action-executions/"+id, `{"state": "ERROR", "output": "budget exhausted"}`)
		eventually(t, ctxA, 2*time.Second, "the page shows the completion",
			`(document.querySelector('[data-testid="completed-via"]') || {}).textContent?.includes("via the API")`)
		if n := text(t, ctxA, `String(document.querySelectorAll('form[data-testid="decision-form"]').length)`); n != "0" {
			t.Errorf("the form is still there (%s)", n)
		}
		if got := text(t, ctxA, `document.querySelector('[data-testid="action-output"]').textContent`); got != `"budget exhausted"` {
			t.Errorf("output = %q", got)
		}
	})
}

// screenshot saves the tab's viewport to docs/<name> for the README.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "docs", name)
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", path)
}

// TestBrowserLogin: a person opens the dashboard, is sent to the login
// page, is refused with a message for a wrong password, gets in with the
// right one (the inbox then follows events over its websocket, on the
// session), cannot read the session cookie from JavaScript, changes the
// password from the page the header's name links to, and is back at the
// login page after logging out.
func TestBrowserLogin(t *testing.T) {
	ctx := browser(t)
	const password = "correct horse battery"
	e := newEnvAuth(t, password)
	onLogin := `location.pathname === "/login" && !!document.querySelector('[data-testid="login-form"]')`

	do(t, ctx, 20*time.Second, chromedp.Navigate(e.url+"/"))
	eventually(t, ctx, 5*time.Second, "the dashboard sends a stranger to the login page", onLogin)

	do(t, ctx, 10*time.Second,
		chromedp.SetValue(chromedp.CSS(`[data-testid="login-name"]`), "admin"),
		chromedp.SetValue(chromedp.CSS(`[data-testid="login-password"]`), "not the password"),
		chromedp.Click(chromedp.CSS(`button[data-testid="login"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-error"]`)),
	)
	if msg := text(t, ctx, `document.querySelector('[data-testid="login-error"]').textContent`); strings.TrimSpace(msg) == "" {
		t.Error("a wrong password shows no message")
	}
	eventually(t, ctx, time.Second, "a wrong password stays on the login page", onLogin)

	do(t, ctx, 10*time.Second,
		chromedp.SetValue(chromedp.CSS(`[data-testid="login-name"]`), "admin"),
		chromedp.SetValue(chromedp.CSS(`[data-testid="login-password"]`), password),
		chromedp.Click(chromedp.CSS(`button[data-testid="login"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="logout"]`)),
	)
	if path := text(t, ctx, `location.pathname`); path != "/" && path != "/inbox" {
		t.Errorf("after logging in the browser is at %s, want the inbox", path)
	}
	eventually(t, ctx, 10*time.Second, "the inbox's socket connects with the session",
		`document.querySelector('[data-testid="live-status"]').dataset.state === "live"`)
	if cookies := text(t, ctx, `document.cookie`); strings.Contains(cookies, guard.SessionCookie) {
		t.Errorf("JavaScript can read the session cookie: %q", cookies)
	}
	ex, err := e.eng.StartExecution(context.Background(), engine.StartRequest{WorkflowName: "approve", Input: map[string]any{"requester": "erin"}})
	if err != nil {
		t.Fatal(err)
	}
	id := e.waitingAction(t, ex.ID)
	eventually(t, ctx, 5*time.Second, "a new action appears live", `document.querySelector('`+rowSel(id)+`') !== null`)

	// The name in the header leads to the password change, which keeps
	// this session.
	do(t, ctx, 10*time.Second,
		chromedp.Click(chromedp.CSS(`[data-testid="user"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="password-form"]`)),
		chromedp.SetValue(chromedp.CSS(`[data-testid="current-password"]`), password),
		chromedp.SetValue(chromedp.CSS(`[data-testid="new-password"]`), "a changed passphrase"),
		chromedp.SetValue(chromedp.CSS(`[data-testid="confirm-password"]`), "a changed passphrase"),
		chromedp.Click(chromedp.CSS(`button[data-testid="change-password"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="notice"]`)),
	)
	if msg := text(t, ctx, `document.querySelector('[data-testid="notice"]').textContent`); !strings.Contains(msg, "Password changed") {
		t.Errorf("after changing the password the page says %q", msg)
	}

	do(t, ctx, 10*time.Second, chromedp.Click(chromedp.CSS(`button[data-testid="logout"]`)))
	eventually(t, ctx, 5*time.Second, "logging out ends at the login page", onLogin)
	do(t, ctx, 20*time.Second, chromedp.Navigate(e.url+"/"))
	eventually(t, ctx, 5*time.Second, "after logging out the dashboard asks for a login again", onLogin)
}
