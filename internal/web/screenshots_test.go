package web_test

import (
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// -screenshots (or SIROCCO_SCREENSHOTS=1) makes TestBrowserScreenshots rewrite
// the README's pictures.
var updateScreenshots = flag.Bool("screenshots", false, "rewrite docs/screenshots/*.png (TestBrowserScreenshots)")

// readmeShots are the pages the README shows, by file name.
var readmeShots = []struct{ name, page string }{
	{"inbox", "inbox"},
	{"approval", "approval"},
	{"execution", "execution"},
	{"workflow", "workflow"},
}

// TestBrowserScreenshots regenerates every screenshot in the README from a
// seeded database (newShowcase), in Chromium: each page on a desktop
// (1280 px) and a phone (400 px), in the light and the dark scheme, as
// docs/screenshots/<page>-<desktop|phone>-<light|dark>.png. It runs only
// when asked:
//
//	go test ./internal/web -run Screenshots -screenshots
//	SIROCCO_SCREENSHOTS=1 go test ./internal/web -run Screenshots
func TestBrowserScreenshots(t *testing.T) {
	if !*updateScreenshots && os.Getenv("SIROCCO_SCREENSHOTS") != "1" {
		t.Skip("rewrites docs/screenshots: run with -screenshots or SIROCCO_SCREENSHOTS=1")
	}
	ctx := browser(t)
	s := newShowcase(t)
	s.loginBrowser(t, ctx)
	paths := map[string]string{}
	for _, p := range s.pages {
		paths[p.name] = p.path
	}
	if err := os.MkdirAll("../../docs/screenshots", 0o755); err != nil {
		t.Fatal(err)
	}
	for _, device := range []struct {
		name          string
		width, height int64
		mobile        bool
	}{{"desktop", 1280, 900, false}, {"phone", 400, 860, true}} {
		for _, scheme := range []string{"light", "dark"} {
			view := chromedp.EmulateViewport(device.width, device.height)
			if device.mobile {
				view = chromedp.EmulateViewport(device.width, device.height, chromedp.EmulateMobile)
			}
			do(t, ctx, 10*time.Second, view, colorScheme(scheme))
			for _, shot := range readmeShots {
				path, ok := paths[shot.page]
				if !ok {
					t.Fatalf("no page %q in the showcase", shot.page)
				}
				do(t, ctx, 20*time.Second, chromedp.Navigate(s.url+path))
				eventually(t, ctx, 10*time.Second, shot.name+" goes live",
					pageReady+` && document.querySelector('[data-testid="live-status"]').dataset.state === "live"`)
				// Settled: no row is still fading in, nothing is loading.
				eventually(t, ctx, 10*time.Second, shot.name+" settles",
					`document.getAnimations().every(function (a) { return a.playState !== "running"; })`)
				screenshot(t, ctx, fmt.Sprintf("screenshots/%s-%s-%s.png", shot.name, device.name, scheme))
			}
		}
	}
}
