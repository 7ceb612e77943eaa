package web_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/sirocco-project/sirocco/internal/engine"
)

// TestBrowserBulkWithoutJavaScript: in Chromium with JavaScript off,
// fin1 logs in, ticks two of the inbox's rows (their boxes sit in the
// table, outside the form they belong to), writes one comment and
// approves: the result page lists both as decided, and they are.
func TestBrowserBulkWithoutJavaScript(t *testing.T) {
	ctx := browser(t)
	e := approvalEnv(t)
	if _, err := e.eng.CreateWorkflows(context.Background(), nil, bulkRequests, "", engine.ScopePrivate); err != nil {
		t.Fatal(err)
	}
	one, two := e.startAs("rita", "bulk_plain"), e.startAs("rita", "bulk_plain")
	box := func(id string) string { return `input[data-testid="bulk-box"][value^="` + id + `~"]` }
	do(t, ctx, 30*time.Second,
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
			return err
		}),
		chromedp.Navigate(e.url+"/login"),
		chromedp.SetValue(chromedp.CSS(`input[name="username"]`), "fin1"),
		chromedp.SetValue(chromedp.CSS(`input[name="password"]`), "fin1-password-1"),
		chromedp.Click(chromedp.CSS(`button[data-testid="login"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="inbox"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="inbox"] `+box(one))),
		chromedp.Click(chromedp.CSS(`[data-testid="inbox"] `+box(two))),
		chromedp.SetValue(chromedp.CSS(`#bulk-comment`), "both fine"),
		chromedp.Click(chromedp.CSS(`button[data-testid="bulk-approve"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="bulk-results"]`)),
	)
	if got := text(t, ctx, `document.querySelector('[data-testid="bulk-counts"]').textContent.replace(/\s+/g, ' ').trim()`); got != "2 decided · 0 counted, waiting for more · 0 refused" {
		t.Errorf("counts %q", got)
	}
	for _, id := range []string{one, two} {
		if a, _ := e.eng.GetActionExecution(context.Background(), id); a.State != engine.StateSuccess {
			t.Errorf("%s is %s after the bulk approval, want SUCCESS", id, a.State)
		}
	}
}
