package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/web/templates"
)

// scripts turns the tab's JavaScript off or on.
func scripts(on bool) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !on})
		return err
	})
}

// TestBrowserNothingTypedIsLost: on an action's decision form, in
// Chromium with JavaScript on and off, what a person typed survives the
// action being finished elsewhere, an output over the limit and an
// output that is not JSON (which can then be sent as text).
func TestBrowserNothingTypedIsLost(t *testing.T) {
	ctx := browser(t)
	const limit = 1000
	e := newEnvWith(t, "", func(c *engine.Config) { c.MaxOutputBytes = limit })
	live := `document.querySelector('[data-testid="live-status"]').dataset.state === "live"`
	state := func(id string) engine.State {
		t.Helper()
		a, err := e.eng.GetActionExecution(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		return a.State
	}
	finish := func(id string) {
		t.Helper()
		if _, err := e.eng.UpdateActionExecution(context.Background(), id, engine.Completion{State: engine.StateSuccess, Output: "done by ops", HasOutput: true, Via: engine.ViaAPI}); err != nil {
			t.Fatal(err)
		}
	}
	// marker survives only while the page is not reloaded: a form the
	// page script stops is never sent.
	const mark, marked = `window.__kept = 1`, `window.__kept === 1`

	t.Run("finished elsewhere while typing, with JavaScript", func(t *testing.T) {
		_, id := e.startApproval("ann")
		do(t, ctx, 10*time.Second, scripts(true), chromedp.Navigate(e.url+"/actions/"+id),
			chromedp.WaitVisible(chromedp.CSS(`form[data-testid="decision-form"]`)))
		eventually(t, ctx, 10*time.Second, "the socket connects", live)
		do(t, ctx, 10*time.Second,
			chromedp.SendKeys(chromedp.CSS(`#d-output`), `{"vm": "web-1"}`),
			chromedp.SendKeys(chromedp.CSS(`#d-comment`), "checked the budget\nwith finance"))
		finish(id)
		eventually(t, ctx, 5*time.Second, "the page shows the completion and what was typed",
			`!!document.querySelector('[data-testid="completed"]') && !!document.querySelector('[data-testid="kept-notice"]')`)
		got := text(t, ctx, `Array.from(document.querySelectorAll('[data-testid="kept-text"]')).map(a => a.value).join("|")`)
		if got != `{"vm": "web-1"}|checked the budget`+"\n"+`with finance` {
			t.Errorf("kept %q", got)
		}
		if got := text(t, ctx, `document.querySelector('[data-testid="completed-via"]').textContent`); !strings.Contains(got, "via the API") {
			t.Errorf("the page says %q", got)
		}
	})

	t.Run("finished elsewhere while typing, without JavaScript", func(t *testing.T) {
		_, id := e.startApproval("ben")
		do(t, ctx, 10*time.Second, scripts(false), chromedp.Navigate(e.url+"/actions/"+id),
			chromedp.SendKeys(chromedp.CSS(`#d-output`), `"no"`),
			chromedp.SendKeys(chromedp.CSS(`#d-comment`), "over budget"))
		finish(id)
		do(t, ctx, 10*time.Second, chromedp.Click(chromedp.CSS(`button[data-testid="reject"]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="unrecorded"]`)))
		if got := text(t, ctx, `document.querySelector('[data-testid="notice"]').textContent`); !strings.Contains(got, "not recorded") {
			t.Errorf("notice %q", got)
		}
		if got := text(t, ctx, `document.querySelector('[data-testid="unrecorded-output"]').textContent + "|" + document.querySelector('[data-testid="unrecorded-comment"]').textContent`); got != `"no"|over budget` {
			t.Errorf("kept %q", got)
		}
	})

	big := `"` + strings.Repeat("x", 2*limit) + `"`
	t.Run("an output over the limit, with JavaScript, is caught before sending", func(t *testing.T) {
		_, id := e.startApproval("cat")
		do(t, ctx, 10*time.Second, scripts(true), chromedp.Navigate(e.url+"/actions/"+id),
			chromedp.WaitVisible(chromedp.CSS(`form[data-testid="decision-form"]`)),
			chromedp.Evaluate[chromedp.Void](mark),
			chromedp.SetValue(chromedp.CSS(`#d-output`), big),
			chromedp.Click(chromedp.CSS(`button[data-testid="approve"]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="output-error"]`)))
		if got := text(t, ctx, `document.querySelector('[data-testid="output-error"]').textContent`); got != "Output is too large: 2002 bytes encoded, the limit is 1000 bytes. Nothing was changed." {
			t.Errorf("error %q", got)
		}
		if got := text(t, ctx, `String(`+marked+`) + document.querySelector('#d-output').getAttribute("aria-invalid") + (document.querySelector('#d-output').value === `+"`"+big+"`"+`)`); got != "truetruetrue" {
			t.Errorf("page kept, field marked, text kept: %s", got)
		}
		if s := state(id); s != engine.StateRunning {
			t.Errorf("state %s", s)
		}
	})

	t.Run("a form past the hard cap, with JavaScript, is caught before sending", func(t *testing.T) {
		_, id := e.startApproval("cy")
		long := strings.Repeat("why & how; ", 7<<10) // 77 KiB typed, more once encoded
		do(t, ctx, 20*time.Second, scripts(true), chromedp.Navigate(e.url+"/actions/"+id),
			chromedp.WaitVisible(chromedp.CSS(`form[data-testid="decision-form"]`)),
			chromedp.Evaluate[chromedp.Void](mark),
			chromedp.SetValue(chromedp.CSS(`#d-output`), `"ok"`),
			chromedp.SetValue(chromedp.CSS(`#d-comment`), long),
			chromedp.Click(chromedp.CSS(`button[data-testid="approve"]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="form-error"]`)))
		if got := text(t, ctx, `document.querySelector('[data-testid="form-error"]').textContent`); !strings.HasPrefix(got, "The form is too large to send") ||
			!strings.Contains(got, "the limit is "+strconv.Itoa(limit+64<<10)+" bytes") {
			t.Errorf("error %q", got)
		}
		if got := text(t, ctx, `String(`+marked+`) + (document.querySelector('#d-comment').value.length === `+strconv.Itoa(len(long))+`)`); got != "truetrue" {
			t.Errorf("page kept, text kept: %s", got)
		}
		if s := state(id); s != engine.StateRunning {
			t.Errorf("state %s", s)
		}
	})

	t.Run("an output over the limit, without JavaScript, within the hard cap", func(t *testing.T) {
		_, id := e.startApproval("dan")
		do(t, ctx, 10*time.Second, scripts(false), chromedp.Navigate(e.url+"/actions/"+id),
			chromedp.SetValue(chromedp.CSS(`#d-output`), big),
			chromedp.Click(chromedp.CSS(`button[data-testid="approve"]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="output-error"]`)))
		if got := text(t, ctx, `document.querySelector('[data-testid="output-error"]').textContent`); !strings.HasPrefix(got, "Output is too large") {
			t.Errorf("error %q", got)
		}
		if got := text(t, ctx, `document.querySelector('#d-output').value`); got != big {
			t.Errorf("the field holds %d bytes, want what was typed", len(got))
		}
		if s := state(id); s != engine.StateRunning {
			t.Errorf("state %s", s)
		}
	})

	t.Run("an output past the hard cap, without JavaScript: Back keeps the text", func(t *testing.T) {
		_, id := e.startApproval("eve")
		huge := `"` + strings.Repeat("y", 70<<10) + `"`
		do(t, ctx, 20*time.Second, scripts(false), chromedp.Navigate(e.url+"/actions/"+id),
			chromedp.SetValue(chromedp.CSS(`#d-output`), huge),
			chromedp.SendKeys(chromedp.CSS(`#d-comment`), "long one"),
			chromedp.Click(chromedp.CSS(`button[data-testid="approve"]`)),
			chromedp.WaitNotPresent(chromedp.CSS(`form[data-testid="decision-form"]`)))
		// Polled: the form's going does not mean the answer's page is
		// loaded, and evaluating while it loads fails ("Inspected target
		// navigated or closed").
		eventually(t, ctx, 10*time.Second, "the page saying Back keeps the text",
			`!!document.querySelector('main') && document.querySelector('main').textContent.includes("Back button returns to the form with your text")`)
		do(t, ctx, 10*time.Second, goBack())
		eventually(t, ctx, 10*time.Second, "Back restores what was typed", `!!document.querySelector('#d-output') && `+
			`document.querySelector('#d-output').value.length === `+strconv.Itoa(len(huge))+` && document.querySelector('#d-comment').value === "long one"`)
		if s := state(id); s != engine.StateRunning {
			t.Errorf("state %s", s)
		}
	})

	t.Run("a start form past the hard cap, without JavaScript: Back keeps the text", func(t *testing.T) {
		// The 413 page says Back keeps the text whatever the form: the
		// start form's input too. (Chromium keeps this page whole on Back,
		// so its autocomplete="off" does no harm here; the action page is
		// drawn again, and there it did.)
		input := `{"requester": "` + strings.Repeat("z", 70<<10) + `"}`
		do(t, ctx, 20*time.Second, scripts(false), chromedp.Navigate(e.url+"/workflows/approve"),
			chromedp.SetValue(chromedp.CSS(`#s-input`), input),
			chromedp.Click(chromedp.CSS(`button[data-testid="start"]`)),
			chromedp.WaitNotPresent(chromedp.CSS(`form[data-testid="start-form"]`)))
		// Polled: the form's going does not mean the answer's page is
		// loaded, and evaluating while it loads fails ("Inspected target
		// navigated or closed").
		eventually(t, ctx, 10*time.Second, "the page saying Back keeps the text",
			`!!document.querySelector('main') && document.querySelector('main').textContent.includes("Back button returns to the form with your text")`)
		do(t, ctx, 10*time.Second, goBack())
		eventually(t, ctx, 10*time.Second, "Back restores what was typed", `!!document.querySelector('#s-input') && document.querySelector('#s-input').value.length === `+strconv.Itoa(len(input)))
	})

	for _, js := range []bool{true, false} {
		name := map[bool]string{true: "with JavaScript", false: "without JavaScript"}[js]
		t.Run("an output that is not JSON, "+name+", is sent as text", func(t *testing.T) {
			_, id := e.startApproval("fay")
			do(t, ctx, 10*time.Second, scripts(js), chromedp.Navigate(e.url+"/actions/"+id),
				chromedp.WaitVisible(chromedp.CSS(`form[data-testid="decision-form"]`)),
				chromedp.Evaluate[chromedp.Void](mark),
				chromedp.SendKeys(chromedp.CSS(`#d-output`), "approved"),
				chromedp.Click(chromedp.CSS(`button[data-testid="approve"]`)),
				chromedp.WaitVisible(chromedp.CSS(`[data-testid="output-error"]`)),
				chromedp.WaitVisible(chromedp.CSS(`[data-testid="as-text"]`)))
			if got := text(t, ctx, `document.querySelector('[data-testid="output-error"]').textContent`); got != templates.NotJSONMessage {
				t.Errorf("error %q", got)
			}
			if got := text(t, ctx, `document.querySelector('#d-output').getAttribute("aria-invalid") + document.querySelector('#d-output').value`); got != "trueapproved" {
				t.Errorf("field: %q", got)
			}
			// With JavaScript the page said it without sending.
			if got := text(t, ctx, `String(`+marked+`)`); got != map[bool]string{true: "true", false: "false"}[js] {
				t.Errorf("page kept: %s", got)
			}
			do(t, ctx, 10*time.Second, chromedp.Click(chromedp.CSS(`[data-testid="as-text"]`)))
			if js {
				// Ticking the box answers the message at once.
				if got := text(t, ctx, `String(document.querySelector('[data-testid="output-error"]').hidden) + document.querySelector('#d-output').getAttribute("aria-invalid")`); got != "truefalse" {
					t.Errorf("after ticking send as text, error hidden and field unmarked: %s", got)
				}
			}
			do(t, ctx, 10*time.Second,
				chromedp.Click(chromedp.CSS(`button[data-testid="approve"]`)),
				chromedp.WaitVisible(chromedp.CSS(`[data-testid="completed"]`)))
			if got := text(t, ctx, `document.querySelector('[data-testid="action-output"]').textContent`); got != `"approved"` {
				t.Errorf("output %q", got)
			}
		})
	}
}

// TestBrowserApprovalTypedIsKept: an approval decided by an admin's
// override while approvers fill in its form: with JavaScript, fin1's page
// redraws the decision with the outcome and keeps what fin1 typed below
// it; without, sec1's late approve says why it was not recorded and shows
// what sec1 typed.
func TestBrowserApprovalTypedIsKept(t *testing.T) {
	parent := browser(t)
	e := approvalEnv(t)
	ada := e.as("ada")
	override := func(id string) {
		t.Helper()
		path := "/actions/" + id
		p := ada.post(path, url.Values{"_csrf": {ada.get(path).csrf()}, "override": {"ERROR"}, "reason": {"the project was cancelled"}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("ada's override: %d", p.status)
		}
	}

	t.Run("with JavaScript", func(t *testing.T) {
		fin1 := person(t, parent, e, "fin1")
		id := e.startAs("rita", "request_vm")
		do(t, fin1, 10*time.Second, chromedp.Navigate(e.url+"/actions/"+id), chromedp.WaitVisible(chromedp.CSS(`form[data-testid="approval-form"]`)))
		until(t, fin1, 10*time.Second, "the socket connects", liveNow)
		do(t, fin1, 10*time.Second,
			chromedp.SendKeys(chromedp.CSS(`input[name="note"]`), "ask Rita first"),
			chromedp.SendKeys(chromedp.CSS(`#approval-comment`), "fine for finance"))
		override(id)
		until(t, fin1, 5*time.Second, "the outcome and what was typed", `!!document.querySelector('[data-testid="approval-closed"]') && !!document.querySelector('[data-testid="kept-notice"]')`)
		if got := text(t, fin1, `Array.from(document.querySelectorAll('[data-testid="kept-text"]')).map(a => a.value).join("|")`); got != "ask Rita first|fine for finance" {
			t.Errorf("kept %q", got)
		}
	})

	t.Run("without JavaScript", func(t *testing.T) {
		sec1 := person(t, parent, e, "sec1")
		id := e.startAs("rita", "request_vm")
		do(t, sec1, 10*time.Second, scripts(false), chromedp.Navigate(e.url+"/actions/"+id),
			chromedp.SetValue(chromedp.CSS(`input[name="cores"]`), "0"),
			chromedp.SendKeys(chromedp.CSS(`#approval-comment`), "fine for security"))
		override(id)
		do(t, sec1, 10*time.Second, chromedp.Click(chromedp.CSS(`button[data-testid="approve"]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="unrecorded"]`)))
		if got := text(t, sec1, `document.querySelector('[data-testid="notice"]').textContent`); !strings.Contains(got, "not recorded") {
			t.Errorf("notice %q", got)
		}
		if got := text(t, sec1, `document.querySelector('[data-testid="unrecorded-output"]').textContent + "|" + document.querySelector('[data-testid="unrecorded-comment"]').textContent`); got != `{"cores": "0"}|fine for security` {
			t.Errorf("kept %q", got)
		}
	})
}

// TestBrowserApprovalFreeField: an approval's free field holding text that
// is not JSON, with JavaScript on and off (the approval form is checked by
// the server alone): the plain message under the marked field, the text
// kept, and "send as text" approves with it as a string.
func TestBrowserApprovalFreeField(t *testing.T) {
	parent := browser(t)
	e := approvalEnv(t)
	if _, err := e.eng.CreateWorkflows(context.Background(), nil, freeAnswer, "", engine.ScopePrivate); err != nil {
		t.Fatal(err)
	}
	fin1 := person(t, parent, e, "fin1")
	for _, js := range []bool{true, false} {
		t.Run(map[bool]string{true: "with JavaScript", false: "without JavaScript"}[js], func(t *testing.T) {
			id := e.startAs("rita", "free_answer")
			do(t, fin1, 10*time.Second, scripts(js), chromedp.Navigate(e.url+"/actions/"+id),
				chromedp.SendKeys(chromedp.CSS(`textarea[name="details"]`), "looks fine"),
				chromedp.Click(chromedp.CSS(`button[data-testid="approve"]`)),
				chromedp.WaitVisible(chromedp.CSS(`[data-testid="as-text"]`)))
			if got := text(t, fin1, `document.querySelector('[data-testid="field-error"]').textContent`); got != `Details is not valid JSON — to send text, put it in double quotes: "approved".` {
				t.Errorf("error %q", got)
			}
			if got := text(t, fin1, `document.querySelector('textarea[name="details"]').getAttribute("aria-invalid") + document.querySelector('textarea[name="details"]').value`); got != "truelooks fine" {
				t.Errorf("field %q", got)
			}
			do(t, fin1, 10*time.Second,
				chromedp.Click(chromedp.CSS(`[data-testid="as-text"]`)),
				chromedp.Click(chromedp.CSS(`button[data-testid="approve"]`)),
				chromedp.WaitVisible(chromedp.CSS(`[data-testid="completed"]`)))
			if got := text(t, fin1, `document.querySelector('[data-testid="action-output"]').textContent`); !strings.Contains(got, `"details": "looks fine"`) {
				t.Errorf("output %q", got)
			}
		})
	}
}

// goBack starts the browser's Back and returns: the caller waits for
// what it expects. (history.back() through Runtime.evaluate navigates
// while the call is open, which sometimes fails it: "Inspected target
// navigated or closed"; chromedp.NavigateBack waits for a load event that
// a page restored from the back/forward cache never sends.)
func goBack() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		h, err := chromedp.Call(ctx, cdppage.GetNavigationHistory, cdp.Empty{})
		if err != nil {
			return err
		}
		if h.CurrentIndex < 1 || int(h.CurrentIndex) >= len(h.Entries) {
			return fmt.Errorf("no page to go back to (entry %d of %d)", h.CurrentIndex, len(h.Entries))
		}
		_, err = chromedp.Call(ctx, cdppage.NavigateToHistoryEntry, cdppage.NavigateToHistoryEntryParams{EntryID: h.Entries[h.CurrentIndex-1].ID})
		return err
	})
}
