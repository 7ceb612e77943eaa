package web_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserPresence: two people in two browsers on one approval's page:
// fin2's page says "fin1 is viewing this" once fin1 opens it (live.js
// draws the hub's presence message), and nothing once fin1 leaves.
func TestBrowserPresence(t *testing.T) {
	b1, b2 := browser(t), browser(t)
	e := approvalEnv(t)
	id := e.startAs("rita", "request_vm")
	login := func(user string) []chromedp.Action[chromedp.Void] {
		return []chromedp.Action[chromedp.Void]{
			chromedp.Navigate(e.url + "/login?next=/actions/" + id),
			chromedp.SetValue(chromedp.CSS(`input[name="username"]`), user),
			chromedp.SetValue(chromedp.CSS(`input[name="password"]`), user+"-password-1"),
			chromedp.Click(chromedp.CSS(`button[data-testid="login"]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="presence"]`)),
		}
	}
	do(t, b2, 30*time.Second, login("fin2")...)
	eventually(t, b2, 10*time.Second, "fin2's page is live", `document.querySelector('[data-testid="live-status"]')?.dataset.state === "live"`)
	do(t, b1, 30*time.Second, login("fin1")...)
	eventually(t, b2, 10*time.Second, "fin2 sees fin1", `document.querySelector('[data-testid="presence"]').textContent === "fin1 is viewing this"`)
	if got := text(t, b1, `document.querySelector('[data-testid="presence"]').textContent`); got != "fin2 is viewing this" {
		t.Errorf("fin1's page says %q", got)
	}
	do(t, b1, 10*time.Second, chromedp.Navigate(e.url+"/workflows"))
	eventually(t, b2, 10*time.Second, "fin1 gone from fin2's page", `document.querySelector('[data-testid="presence"]').textContent === ""`)
}
