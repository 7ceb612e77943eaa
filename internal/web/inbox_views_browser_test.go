package web_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserInboxViews: an operator watches the services view. A
// service's action that starts appears without a reload, marked new, with
// the request it sent, and the views' counts follow; a person's action
// only moves the people count. When the service calls back, the row
// becomes a note of what happened, which stays through later events until
// dismissed. Everything is driven by events (the socket's, then the
// page's refetch), never by waiting a fixed time.
func TestBrowserInboxViews(t *testing.T) {
	ctx := browser(t)
	e := newEnv(t)
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) }))
	t.Cleanup(svc.Close)

	live := `document.querySelector('[data-testid="live-status"]').dataset.state === "live"`
	do(t, ctx, 20*time.Second, chromedp.EmulateViewport(1280, 860), chromedp.Navigate(e.url+"/?view=services"))
	eventually(t, ctx, 10*time.Second, "the socket connects", live)
	count := func(view string) string {
		return `(document.querySelector('[data-testid="view-` + view + `-count"]') || {}).textContent`
	}
	if got := text(t, ctx, count("services")+` + "/" + `+count("people")); got != "0/0" {
		t.Fatalf("counts at first: %s", got)
	}

	// A person's action: the people count moves, the services list does not.
	person := e.waitingAction(t, e.apiPost(t, "/v2/executions", `{"workflow_name": "approve", "input": {"requester": "ann"}}`))
	eventually(t, ctx, 5*time.Second, "the people count follows", count("people")+` === "1"`)
	if truth(t, ctx, `document.querySelector('`+rowSel(person)+`') !== null`) {
		t.Error("the services view lists a person's action")
	}

	// A service's action appears, marked new, with its request once sent.
	id := e.waitingAction(t, e.apiPost(t, "/v2/executions", `{"workflow_name": "order_vm", "input": {"url": "`+svc.URL+`/vms", "size": "large"}}`))
	eventually(t, ctx, 5*time.Second, "the service's row appears", `document.querySelector('`+rowSel(id)+`') !== null`)
	eventually(t, ctx, 5*time.Second, "the services count follows", count("services")+` === "1"`)
	eventually(t, ctx, 5*time.Second, "the row shows the request sent",
		`(document.querySelector('`+rowSel(id)+` [data-testid="row-request"]') || {}).textContent === "POST `+svc.URL+`/vms"`)
	if !truth(t, ctx, `document.querySelector('`+rowSel(id)+`').classList.contains("fresh")`) {
		t.Error("the new row is not marked new")
	}

	// The service calls back: the row becomes a note that stays.
	e.apiPost(t, "/v2/action-executions/"+id, `{"state": "SUCCESS", "output": {"vm": "web-1"}}`)
	done := `document.querySelector('tr[data-testid="inbox-row-done"][data-id="` + id + `"]')`
	eventually(t, ctx, 5*time.Second, "the row becomes a note", done+` !== null`)
	eventually(t, ctx, 5*time.Second, "the services count follows", count("services")+` === "0"`)
	if got := text(t, ctx, done+`.textContent`); !strings.Contains(got, "std.mistral_http") || !strings.Contains(got, "via api") {
		t.Errorf("the note says %q, want the action and via api", got)
	}
	// Another event and refetch (a person's action) leaves the note.
	e.waitingAction(t, e.apiPost(t, "/v2/executions", `{"workflow_name": "approve", "input": {"requester": "bo"}}`))
	eventually(t, ctx, 5*time.Second, "the people count follows", count("people")+` === "2"`)
	if !truth(t, ctx, done+` !== null`) {
		t.Fatal("the note left with the next event; it should stay until dismissed")
	}
	do(t, ctx, 5*time.Second, chromedp.Click(chromedp.CSS(`tr[data-testid="inbox-row-done"][data-id="`+id+`"] button[data-testid="dismiss"]`)))
	eventually(t, ctx, 5*time.Second, "the note leaves when dismissed", done+` === null`)
}
