package web_test

import (
	"context"
	"encoding/json"
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

// colorScheme makes the tab prefer a light or dark colour scheme.
func colorScheme(scheme string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		})
		return err
	})
}

// TestBrowserFocusRing: a focused form field has an outline at least 2 px
// wide whose colour has at least 3:1 contrast with what surrounds it (the
// card and the page), in the light and the dark scheme.
func TestBrowserFocusRing(t *testing.T) {
	ctx := browser(t)
	e := newEnvAuth(t, testPassword)
	const measure = `(function () {
		const lum = function (c) {
			const m = c.match(/[\d.]+/g).map(Number);
			const ch = m.slice(0, 3).map(function (v) { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
			return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2];
		};
		const ratio = function (a, b) { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
		const out = [];
		for (const sel of ['[data-testid="login-name"]', '[data-testid="login-password"]']) {
			const el = document.querySelector(sel);
			el.focus();
			if (document.activeElement !== el) return "not focused: " + sel;
			const s = getComputedStyle(el);
			const card = getComputedStyle(el.closest(".card")).backgroundColor;
			const page = getComputedStyle(document.body).backgroundColor;
			out.push({sel: sel, style: s.outlineStyle, width: parseFloat(s.outlineWidth), card: ratio(s.outlineColor, card), page: ratio(s.outlineColor, page)});
		}
		return JSON.stringify(out);
	})()`
	// A headless tab never has the window's focus: emulate it, so that
	// focus() matches :focus as in a person's browser.
	do(t, ctx, 10*time.Second, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true})
		return err
	}))
	for _, scheme := range []string{"light", "dark"} {
		do(t, ctx, 20*time.Second, colorScheme(scheme), chromedp.Navigate(e.url+"/login"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)))
		var rings []struct {
			Sel, Style        string
			Width, Card, Page float64
		}
		if err := json.Unmarshal([]byte(text(t, ctx, measure)), &rings); err != nil {
			t.Fatal(err)
		}
		for _, r := range rings {
			if r.Style == "none" || r.Width < 2 || r.Card < 3 || r.Page < 3 {
				t.Errorf("%s: focused %s: outline %s %.1f px, contrast %.2f:1 with the card and %.2f:1 with the page; want >= 2 px and 3:1",
					scheme, r.Sel, r.Style, r.Width, r.Card, r.Page)
			}
		}
	}
}
