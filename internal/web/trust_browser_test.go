package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/sirocco-project/sirocco/internal/engine"
)

// TestBrowserLiveOrigin: with a loopback -base-url (the test server's
// http://127.0.0.1:<port>), the dashboard opened at http://localhost:<port>
// goes live; opened under another name that reaches the same server, it
// says at once why live updates are off and does not try to reconnect.
func TestBrowserLiveOrigin(t *testing.T) {
	ctx := browser(t, chromedp.Flag("host-resolver-rules", "MAP sirocco.test 127.0.0.1"))
	e := newEnv(t)
	status := `document.querySelector('[data-testid="live-status"]')`

	do(t, ctx, 20*time.Second, chromedp.Navigate(strings.Replace(e.url, "127.0.0.1", "localhost", 1)+"/"))
	eventually(t, ctx, 10*time.Second, "the page at localhost goes live", status+`.dataset.state === "live"`)

	do(t, ctx, 20*time.Second, chromedp.Navigate(strings.Replace(e.url, "127.0.0.1", "sirocco.test", 1)+"/"))
	eventually(t, ctx, 10*time.Second, "the page under another name says why it is not live", status+`.dataset.state === "off"`)
	msg := text(t, ctx, status+`.textContent`)
	if !strings.Contains(msg, "-base-url is "+e.url) {
		t.Errorf("the status says %q, want it to name the -base-url %s", msg, e.url)
	}
	if strings.Contains(msg, "Reconnecting") {
		t.Errorf("the status says %q", msg)
	}
}

// TestBrowserLocalTimes: times show in the browser's time zone (here
// Asia/Kolkata, UTC+05:30), with the UTC time on hover.
func TestBrowserLocalTimes(t *testing.T) {
	ctx := browser(t)
	e := newEnv(t)
	ex, err := e.eng.StartExecution(context.Background(), engine.StartRequest{WorkflowName: "approve", Input: map[string]any{"requester": "ann"}})
	if err != nil {
		t.Fatal(err)
	}
	do(t, ctx, 20*time.Second,
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Asia/Kolkata"})
			return err
		}),
		chromedp.Navigate(e.url+"/executions/"+ex.ID),
		chromedp.WaitVisible(chromedp.CSS(`time[datetime][data-local]`)),
	)
	iso := text(t, ctx, `document.querySelector('time[datetime][data-local]').getAttribute('datetime')`)
	at, err := time.Parse(time.RFC3339, iso)
	if err != nil {
		t.Fatal(err)
	}
	shown := text(t, ctx, `document.querySelector('time[datetime][data-local]').textContent`)
	hover := text(t, ctx, `document.querySelector('time[datetime][data-local]').title`)
	kolkata := at.In(time.FixedZone("IST", 5*3600+1800)).Format("2006-01-02 15:04:05")
	if !strings.HasPrefix(shown, kolkata) {
		t.Errorf("the time shows %q, want it in Asia/Kolkata: %s", shown, kolkata)
	}
	if want := at.UTC().Format("2006-01-02 15:04:05") + " UTC"; hover != want {
		t.Errorf("hovering shows %q, want %q", hover, want)
	}
}
