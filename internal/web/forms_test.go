package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/web/templates"
)

// TestOutputNotJSONSentAsText: an output that is not JSON is refused with
// the one plain message, the "send as text" choice shown; sent again
// with it, the output is that text as a JSON string.
func TestOutputNotJSONSentAsText(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, id := e.startApproval("bob")
	if _, hidden := e.get("/actions/" + id).doc.Find(`[data-testid="as-text-choice"]`).Attr("hidden"); !hidden {
		t.Error("the page offers to send as text before anything was typed")
	}
	tok := e.get("/actions/" + id).csrf()
	p := e.post("/actions/"+id, url.Values{"_csrf": {tok}, "state": {"SUCCESS"}, "output": {"approved, by phone"}})
	if p.status != http.StatusUnprocessableEntity || p.text(`[data-testid="output-error"]`) != templates.NotJSONMessage {
		t.Fatalf("%d %q", p.status, p.text(`[data-testid="output-error"]`))
	}
	if _, hidden := p.doc.Find(`[data-testid="as-text-choice"]`).Attr("hidden"); hidden {
		t.Error("the send-as-text choice is hidden after an output that is not JSON")
	}
	p = e.post("/actions/"+id, url.Values{"_csrf": {tok}, "state": {"SUCCESS"}, "output": {"approved, by phone"}, "as_text": {"1"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("sent as text: %d %s", p.status, p.text(`[data-testid="output-error"]`))
	}
	a, _ := e.eng.GetActionExecution(context.Background(), id)
	if a.State != engine.StateSuccess || a.OutputJSON == nil || *a.OutputJSON != `{"result": "approved, by phone"}` {
		t.Errorf("action = %s %v", a.State, a.OutputJSON)
	}
}

// TestRefusedFormAfterCompletionSaysWhy: a form the server refuses
// (here, an output that is not JSON) for an action completed meanwhile
// says that it was completed and keeps the text — it once showed the
// outcome and the text with no word of why.
func TestRefusedFormAfterCompletionSaysWhy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, id := e.startApproval("bob")
	tok := e.get("/actions/" + id).csrf()
	if _, err := e.eng.UpdateActionExecution(context.Background(), id, engine.Completion{State: engine.StateSuccess, Output: "yes", HasOutput: true, Via: engine.ViaAPI}); err != nil {
		t.Fatal(err)
	}
	p := e.post("/actions/"+id, url.Values{"_csrf": {tok}, "state": {"ERROR"}, "output": {"no way"}, "comment": {"too big"}})
	if got := p.text(`[data-testid="notice"]`); !strings.Contains(got, "already been completed") {
		t.Errorf("notice = %q", got)
	}
	if got := p.text(`[data-testid="unrecorded-output"]`); got != "no way" {
		t.Errorf("kept output = %q", got)
	}
	if got := p.text(`[data-testid="unrecorded-comment"]`); got != "too big" {
		t.Errorf("kept comment = %q", got)
	}
}

// TestFormPastTheCapSaysBackKeepsText: a form larger than the hard cap
// cannot be read back, so the page says what happened and that Back
// keeps the text.
func TestFormPastTheCapSaysBackKeepsText(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, "", func(c *engine.Config) { c.MaxOutputBytes = 1000 })
	_, id := e.startApproval("bob")
	tok := e.get("/actions/" + id).csrf()
	p := e.post("/actions/"+id, url.Values{"_csrf": {tok}, "state": {"SUCCESS"}, "output": {`"` + strings.Repeat("x", 70<<10) + `"`}})
	if p.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d", p.status)
	}
	if got := p.text("main"); !strings.Contains(got, "Nothing was recorded") || !strings.Contains(got, "Back button returns to the form with your text") ||
		!strings.Contains(got, "up to 1000 bytes") {
		t.Errorf("page says %q", got)
	}
}

// TestLateApprovalKeepsEverythingTyped: a form posted to an approval
// decided meanwhile keeps all that was typed — the answer's fields even
// when they do not pass the schema, and an override's reason — where it
// once kept the comment alone.
func TestLateApprovalKeepsEverythingTyped(t *testing.T) {
	t.Parallel()
	e := approvalEnv(t)
	id := e.startAs("rita", "request_vm")
	path := "/actions/" + id
	ada, fin2 := e.as("ada"), e.as("fin2")
	tok := fin2.get(path).csrf()
	p := ada.post(path, url.Values{"_csrf": {ada.get(path).csrf()}, "override": {"SUCCESS"}, "reason": {"urgent"}, "cores": {"4"}, "zone": {"eu-west"}, "answering": {"1"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("ada's override: %d %s", p.status, p.text(`[data-testid="error-summary"]`))
	}
	p = fin2.post(path, url.Values{"_csrf": {tok}, "state": {"SUCCESS"}, "cores": {"lots"}, "zone": {"eu-west"}, "note": {"ask Rita first"}, "comment": {"fine"}, "answering": {"1"}})
	if got := p.text(`[data-testid="notice"]`); !strings.Contains(got, "not recorded") {
		t.Errorf("notice %q", got)
	}
	if got := p.text(`[data-testid="unrecorded-output"]`); got != `{"cores": "lots", "note": "ask Rita first", "zone": "eu-west"}` {
		t.Errorf("fin2's answer kept as %q", got)
	}
	if got := p.text(`[data-testid="unrecorded-comment"]`); got != "fine" {
		t.Errorf("fin2's comment kept as %q", got)
	}
	p = ada.post(path, url.Values{"_csrf": {ada.get(path).csrf()}, "override": {"ERROR"}, "reason": {"changed my mind"}})
	if got := p.text(`[data-testid="unrecorded-reason"]`); got != "Override reason: changed my mind" {
		t.Errorf("ada's reason kept as %q (%d)", got, p.status)
	}
}

// freeAnswer is an approval whose answer has a free field: a property
// with no type, drawn as JSON text.
const freeAnswer = `---
version: '2.0'
free_answer:
  tasks:
    ask:
      action: std.approval
      input:
        title: Ship the release
        schema:
          type: object
          properties:
            details: {title: Details}
        approvers: [group:finance]
`

// TestApprovalFreeFieldSentAsText: an approval's free field that is not
// JSON gets the same plain message as the action page's output, under
// the field, with the "send as text" choice; sent again with it, the
// answer holds the text as a string.
func TestApprovalFreeFieldSentAsText(t *testing.T) {
	t.Parallel()
	e := approvalEnv(t)
	if _, err := e.eng.CreateWorkflows(context.Background(), nil, freeAnswer, "", engine.ScopePrivate); err != nil {
		t.Fatal(err)
	}
	id := e.startAs("rita", "free_answer")
	path := "/actions/" + id
	fin1 := e.as("fin1")
	p := fin1.get(path)
	if p.doc.Find(`[data-testid="as-text-choice"]`).Length() != 0 {
		t.Error("the form offers to send as text before anything was typed")
	}
	tok := p.csrf()
	p = fin1.post(path, url.Values{"_csrf": {tok}, "state": {"SUCCESS"}, "details": {"looks fine"}, "answering": {"1"}})
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("%d", p.status)
	}
	if got := p.text(`[data-testid="field-error"]`); got != `Details is not valid JSON — to send text, put it in double quotes: "approved".` {
		t.Errorf("error %q", got)
	}
	if v, _ := p.doc.Find(`textarea[name="details"]`).Attr("aria-invalid"); v != "true" || p.doc.Find(`textarea[name="details"]`).Text() != "looks fine" {
		t.Errorf("field marked %q, holding %q", v, p.doc.Find(`textarea[name="details"]`).Text())
	}
	box := p.doc.Find(`[data-testid="as-text"]`)
	name, _ := box.Attr("name")
	value, _ := box.Attr("value")
	if box.Length() != 1 || name == "" || value != "details" {
		t.Fatalf("send-as-text box: %d %q=%q", box.Length(), name, value)
	}
	p = fin1.post(path, url.Values{"_csrf": {tok}, "state": {"SUCCESS"}, "details": {"looks fine"}, "answering": {"1"}, name: {value}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("sent as text: %d %s", p.status, p.text(`[data-testid="field-error"]`))
	}
	a, _ := e.eng.GetActionExecution(context.Background(), id)
	if a.State != engine.StateSuccess || a.OutputJSON == nil || !strings.Contains(*a.OutputJSON, `"details": "looks fine"`) {
		t.Errorf("action = %s %v", a.State, a.OutputJSON)
	}
}
