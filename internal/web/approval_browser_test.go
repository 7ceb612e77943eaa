package web_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/sirocco-project/sirocco/internal/web"
)

// TestBrowserApprovalForm: in Chromium, a person fills the form drawn from
// an approval's schema, submits it, sees the schema's error under the
// field at fault with what they typed kept, corrects it, and submits
// again; the server (the preview handler, validating with schemaform)
// records the typed answer.
func TestBrowserApprovalForm(t *testing.T) {
	ctx := browser(t)
	srv := httptest.NewServer(web.ApprovalPreview(t))
	t.Cleanup(srv.Close)

	cores := `[data-testid="field"][data-name="cores"]`
	do(t, ctx, 20*time.Second,
		chromedp.EmulateViewport(1100, 1400),
		chromedp.Navigate(srv.URL+"/approval"),
		chromedp.WaitVisible(chromedp.CSS(`form[data-testid="approval-form"]`)),
	)
	// The stylesheet applies under the policy: the form's inputs are
	// styled, and nothing carries an inline style.
	if n := text(t, ctx, `String(document.querySelectorAll('[style]').length)`); n != "0" {
		t.Errorf("%s elements with an inline style", n)
	}
	if b := text(t, ctx, `getComputedStyle(document.querySelector('button[data-testid="approve"]')).backgroundColor`); b == "" || b == "rgba(0, 0, 0, 0)" {
		t.Errorf("the Approve button is unstyled (%q): the stylesheet did not load", b)
	}

	do(t, ctx, 10*time.Second,
		chromedp.SetValue(chromedp.CSS(cores+` input`), "100"),
		chromedp.Click(chromedp.CSS(`input[name="zone"][value="us-east"]`)),
		chromedp.Click(chromedp.CSS(`input[name="tags"][value="prod"]`)),
		chromedp.SetValue(chromedp.CSS(`input[name="cost_centre"]`), "CC-1234"),
		chromedp.SetValue(chromedp.CSS(`textarea[name="note"]`), "For the Q3 load test.\nTwo weeks."),
		chromedp.SetValue(chromedp.CSS(`textarea[name="comment"]`), "fine by finance"),
		chromedp.Click(chromedp.CSS(`button[data-testid="approve"]`)),
		chromedp.WaitVisible(chromedp.CSS(cores+` [data-testid="field-error"]`)),
	)
	if msg := text(t, ctx, `document.querySelector('`+cores+` [data-testid="field-error"]').textContent`); msg != "CPU cores must be at most 64." {
		t.Errorf("the error under cores reads %q", msg)
	}
	if n := text(t, ctx, `String(document.querySelectorAll('[data-testid="field-error"]').length)`); n != "1" {
		t.Errorf("%s field errors, want the one under cores", n)
	}
	for js, want := range map[string]string{
		`document.querySelector('` + cores + ` input').value`:                            "100",
		`document.querySelector('` + cores + ` input').getAttribute('aria-invalid')`:     "true",
		`document.querySelector('input[name="cost_centre"]').value`:                      "CC-1234",
		`document.querySelector('textarea[name="note"]').value`:                          "For the Q3 load test.\nTwo weeks.",
		`document.querySelector('textarea[name="comment"]').value`:                       "fine by finance",
		`String(document.querySelector('input[name="zone"][value="us-east"]').checked)`:  "true",
		`String(document.querySelector('input[name="tags"][value="prod"]').checked)`:     "true",
		`String(document.querySelector('input[name="tags"][value="dev"]').checked)`:      "true",
		`document.querySelector('[data-testid="error-summary"] a').getAttribute('href')`: "#af-0",
	} {
		if got := text(t, ctx, js); got != want {
			t.Errorf("%s = %q, want %q", js, got, want)
		}
	}
	do(t, ctx, 10*time.Second,
		chromedp.SetValue(chromedp.CSS(cores+` input`), "8"),
		chromedp.Click(chromedp.CSS(`button[data-testid="approve"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="recorded"]`)),
	)
	got := text(t, ctx, `document.querySelector('[data-testid="recorded"]').textContent`)
	want := `{"answer":{"cores":8,"cost_centre":"CC-1234","gpu":false,"note":"For the Q3 load test.\nTwo weeks.","tags":["prod","dev"],"zone":"us-east"},"approve":true,"comment":"fine by finance"}`
	if got != want {
		t.Errorf("recorded\n%s\nwant\n%s", got, want)
	}
	if path := text(t, ctx, `location.pathname`); path != "/approval/recorded" {
		t.Errorf("after the vote the browser is at %s", path)
	}
}
