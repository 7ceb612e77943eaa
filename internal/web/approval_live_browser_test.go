package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/sirocco-project/sirocco/internal/engine"
)

// person opens a browser context of its own (its own cookies) in the
// browser of parent, and logs in there as name.
func person(t *testing.T, parent context.Context, e *env, name string) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(parent, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	// The first run, without a deadline, opens the tab for the test's
	// whole length.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, 20*time.Second,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(e.url+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-name"]`)),
		chromedp.SetValue(chromedp.CSS(`[data-testid="login-name"]`), name),
		chromedp.SetValue(chromedp.CSS(`[data-testid="login-password"]`), name+"-password-1"),
		chromedp.Click(chromedp.CSS(`button[data-testid="login"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="logout"]`)),
	)
	return ctx
}

// until waits, without sleeping, for a JavaScript condition on a page:
// chromedp re-evaluates it on every change of the DOM, up to the deadline.
func until(t *testing.T, ctx context.Context, within time.Duration, what, js string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingMutation(), chromedp.WithPollingTimeout(within))); err != nil {
		got, _ := chromedp.Run(context.WithoutCancel(ctx), chromedp.Evaluate[string](`document.querySelector("main") ? document.querySelector("main").innerText.slice(0, 600) : ""`))
		t.Fatalf("%s: not within %v (%s): %v\npage: %s", what, within, js, err, got)
	}
}

const liveNow = `document.querySelector('[data-testid="live-status"]').dataset.state === "live"`

// TestBrowserApprovalVoteLive: two approvers in two browsers. sec1 watches
// the inbox: an approval started elsewhere comes into their Waiting for me
// and their header's count without a reload. fin1 opens it, fills the form
// drawn from its schema, sees the error under the field at fault with what
// was typed kept, corrects it and votes; sec1, on the same page with a
// comment typed, sees the vote and what is still missing appear while the
// comment stays. sec1's form, drawn before fin1's answer, is refused
// saying so; sec1 confirms, and fin1's page shows the decision. The
// README's screenshots are TestBrowserScreenshots'.
func TestBrowserApprovalVoteLive(t *testing.T) {
	root := browser(t)
	e := approvalEnv(t)
	fin1 := person(t, root, e, "fin1")
	sec1 := person(t, root, e, "sec1")

	// sec1 waits in the inbox; the approval starts through the engine.
	// The header's count as drawn is marked: the page script fetches it
	// again once its socket is open (what passed meanwhile), and after
	// that only an approval's event can change it.
	do(t, sec1, 20*time.Second, chromedp.Navigate(e.url+"/"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="mine-empty"]`)))
	if _, err := chromedp.Run(sec1, chromedp.Evaluate[string](`document.querySelector('a[data-waiting]').dataset.drawn = "1"`)); err != nil {
		t.Fatal(err)
	}
	until(t, sec1, 10*time.Second, "sec1's socket connects and the count is fetched again", liveNow+` && !document.querySelector('a[data-waiting]').dataset.drawn`)
	if got := text(t, sec1, `document.querySelector('[data-testid="waiting-count"]').textContent`); got != "0" {
		t.Fatalf("sec1's header counts %q before any approval", got)
	}
	id := e.startAs("rita", "request_vm")
	mineRow := `[data-testid="mine"] tr[data-testid="inbox-row"][data-id="` + id + `"]`
	until(t, sec1, 5*time.Second, "the approval comes into sec1's Waiting for me", `!!document.querySelector('`+mineRow+`')`)
	until(t, sec1, 5*time.Second, "sec1's header counts it", `document.querySelector('[data-testid="waiting-count"]').textContent === "1"`)
	if got := text(t, sec1, `document.querySelector('`+mineRow+` [data-testid="inbox-link"]').textContent`); got != "A VM for the Q3 load test" {
		t.Errorf("the row's link reads %q, want the title", got)
	}

	// Both open it; sec1 follows the row's link and starts a comment.
	path := e.url + "/actions/" + id
	do(t, fin1, 20*time.Second, chromedp.Navigate(path), chromedp.WaitVisible(chromedp.CSS(`form[data-testid="approval-form"]`)))
	do(t, sec1, 20*time.Second,
		chromedp.Click(chromedp.CSS(mineRow+` a[data-testid="inbox-link"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[data-testid="approval-form"]`)),
		chromedp.SetValue(chromedp.CSS(`textarea[name="comment"]`), "checking the budget first"),
	)
	for _, ctx := range []context.Context{fin1, sec1} {
		until(t, ctx, 10*time.Second, "the page's socket connects", liveNow)
	}

	// fin1: a value the schema refuses, then the right one.
	cores := `[data-testid="field"][data-name="cores"]`
	do(t, fin1, 10*time.Second,
		chromedp.SetValue(chromedp.CSS(cores+` input`), "100"),
		chromedp.Click(chromedp.CSS(`input[name="zone"][value="us-east"]`)),
		chromedp.SetValue(chromedp.CSS(`[name="note"]`), "two weeks"),
		chromedp.SetValue(chromedp.CSS(`textarea[name="comment"]`), "fine by finance"),
		chromedp.Click(chromedp.CSS(`button[data-testid="approve"]`)),
		chromedp.WaitVisible(chromedp.CSS(cores+` [data-testid="field-error"]`)),
	)
	if msg := text(t, fin1, `document.querySelector('`+cores+` [data-testid="field-error"]').textContent`); msg != "CPU cores must be at most 64." {
		t.Errorf("the error under cores reads %q", msg)
	}
	for js, want := range map[string]string{
		`document.querySelector('` + cores + ` input').value`:                           "100",
		`String(document.querySelector('input[name="zone"][value="us-east"]').checked)`: "true",
		`document.querySelector('[name="note"]').value`:                                 "two weeks",
		`document.querySelector('textarea[name="comment"]').value`:                      "fine by finance",
	} {
		if got := text(t, fin1, js); got != want {
			t.Errorf("after the refusal %s = %q, want %q", js, got, want)
		}
	}
	if st, _ := e.eng.ApprovalStatus(context.Background(), id); len(st.Votes) != 0 {
		t.Fatalf("a refused form recorded %d votes", len(st.Votes))
	}
	do(t, fin1, 10*time.Second,
		chromedp.SetValue(chromedp.CSS(cores+` input`), "8"),
		chromedp.Click(chromedp.CSS(`button[data-testid="approve"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="my-vote"]`)),
	)
	if got := text(t, fin1, `document.querySelector('[data-testid="notice"]').textContent`); !strings.Contains(got, "Your vote was recorded") {
		t.Errorf("fin1's notice %q", got)
	}

	// sec1's page follows: the vote, what is missing, the proposal; the
	// comment being typed stays.
	until(t, sec1, 5*time.Second, "sec1 sees fin1's vote", `!!document.querySelector('[data-region="approval-progress"] [data-testid="vote"][data-user="fin1"]')`)
	if got := text(t, sec1, `document.querySelector('[data-testid="approval-missing"]').textContent`); got != "Still needed: 1 more from security" {
		t.Errorf("sec1's page says %q", got)
	}
	if got := text(t, sec1, `document.querySelector('[data-testid="proposal"] .ctx').textContent`); !strings.Contains(got, "8") || !strings.Contains(got, "us-east") {
		t.Errorf("the proposal on sec1's page %q", got)
	}
	if got := text(t, sec1, `document.querySelector('textarea[name="comment"]').value`); got != "checking the budget first" {
		t.Errorf("sec1's comment after the live update %q, want what was typed", got)
	}

	// sec1 approves the form drawn before the proposal: refused, naming
	// it; the page then asks to confirm it.
	do(t, sec1, 10*time.Second,
		chromedp.SetValue(chromedp.CSS(`textarea[name="comment"]`), "ok for security"),
		chromedp.Click(chromedp.CSS(`button[data-testid="approve"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="confirming"]`)),
	)
	// (Its zone, required, was never chosen: the form says what happened
	// rather than the schema's complaint about a field no longer drawn.)
	if got := text(t, sec1, `document.querySelector('[data-testid="form-error"]').textContent`); !strings.Contains(got, "Another answer was proposed while you filled in the form") {
		t.Errorf("sec1's stale form: %q", got)
	}
	do(t, sec1, 10*time.Second,
		chromedp.Click(chromedp.CSS(`button[data-testid="approve"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="approval-closed"]`)),
	)
	until(t, fin1, 5*time.Second, "fin1's page shows the decision", `!!document.querySelector('[data-region="approval-decision"] [data-testid="completed"]')`)
	a, err := e.eng.GetActionExecution(context.Background(), id)
	if err != nil || a.State != engine.StateSuccess || !strings.Contains(*a.OutputJSON, `"cores": 8`) {
		t.Errorf("the approval: %v %v", a, err)
	}
}
