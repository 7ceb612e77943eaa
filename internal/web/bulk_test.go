package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/sirocco-project/sirocco/internal/engine"
)

// bulkRequests are approvals for finance: two allow bulk decisions (one
// with a schema that needs an answer), one does not.
const bulkRequests = `---
version: '2.0'
bulk_plain:
  tasks:
    ask:
      action: std.approval
      input: {title: Renew the TLS certificate, approvers: [group:finance], allow_bulk: true}
bulk_schema:
  tasks:
    ask:
      action: std.approval
      input:
        title: Pick a size
        approvers: [group:finance]
        allow_bulk: true
        schema: {type: object, required: [size], properties: {size: {type: string}}}
bulk_not:
  tasks:
    ask:
      action: std.approval
      input: {title: Wire the money, approvers: [group:finance]}
`

// TestInboxBulkDecision: the inbox gives a checkbox only to the rows that
// allow bulk decisions and wait for the person; the form (plain HTML, its
// boxes tied to it by their form attribute) approves the ticked ones, or
// all on the page, each through its own rules and schema, and answers
// with a page listing each as decided or refused and why. A forged box
// for an approval without allow_bulk is refused and the approval waits.
func TestInboxBulkDecision(t *testing.T) {
	t.Parallel()
	e := approvalEnv(t)
	if _, err := e.eng.CreateWorkflows(context.Background(), nil, bulkRequests, "", engine.ScopePrivate); err != nil {
		t.Fatal(err)
	}
	plain := e.startAs("rita", "bulk_plain")
	schema := e.startAs("rita", "bulk_schema")
	not := e.startAs("rita", "bulk_not")

	fin1 := e.as("fin1")
	p := fin1.get("/inbox")
	if p.status != http.StatusOK {
		t.Fatalf("inbox: %d", p.status)
	}
	form := p.doc.Find(`form[data-testid="bulk-form"]`)
	if form.Length() != 1 || form.AttrOr("action", "") != "/approvals/decide" || form.AttrOr("method", "") != "post" {
		t.Fatalf("no bulk form in the inbox: %s", p.body)
	}
	if form.Find("script").Length() > 0 {
		t.Error("the bulk form carries a script")
	}
	boxes := map[string]string{} // action id → checkbox value
	p.doc.Find(`[data-testid="inbox"] input[data-testid="bulk-box"]`).Each(func(_ int, s *goquery.Selection) {
		if s.AttrOr("form", "") != form.AttrOr("id", "-") {
			t.Errorf("a box not tied to the bulk form: %v", s.Nodes[0].Attr)
		}
		v := s.AttrOr("value", "")
		boxes[strings.SplitN(v, "~", 2)[0]] = v
	})
	if len(boxes) != 2 || boxes[plain] == "" || boxes[schema] == "" {
		t.Fatalf("boxes for %v, want the two approvals that allow bulk (%s, %s), not %s", boxes, plain, schema, not)
	}
	var page []string
	form.Find(`input[name="page"]`).Each(func(_ int, s *goquery.Selection) { page = append(page, s.AttrOr("value", "")) })
	if len(page) != 2 {
		t.Errorf("select all on this page carries %v, want the two boxes", page)
	}
	// Someone whom the approvals do not wait for (sec1) gets no box.
	if n := e.as("sec1").get("/inbox").doc.Find(`input[data-testid="bulk-box"]`).Length(); n != 0 {
		t.Errorf("sec1 sees %d bulk boxes, want none", n)
	}

	// Nothing ticked: a page says so, nothing is decided.
	r := fin1.post("/approvals/decide", url.Values{"_csrf": {p.csrf()}, "state": {"SUCCESS"}})
	if r.status != http.StatusBadRequest || !strings.Contains(r.body, "Select at least one approval") {
		t.Errorf("nothing ticked: %d %s", r.status, r.text(`[data-testid="error-message"]`))
	}
	// Without the CSRF token: refused.
	if r := fin1.post("/approvals/decide", url.Values{"item": {boxes[plain]}, "state": {"SUCCESS"}}); r.status != http.StatusForbidden {
		t.Errorf("no CSRF token: %d, want 403", r.status)
	}
	// Select all on the page, plus a forged box for the one that does not
	// allow bulk decisions.
	r = fin1.post("/approvals/decide", url.Values{"_csrf": {p.csrf()}, "all": {"1"}, "page": page, "item": {not + "~x"},
		"state": {"SUCCESS"}, "comment": {"quarterly batch"}})
	if r.status != http.StatusOK {
		t.Fatalf("bulk approve: %d %s", r.status, r.body)
	}
	outcomes := map[string]string{}
	whys := map[string]string{}
	r.doc.Find(`[data-testid="bulk-result"]`).Each(func(_ int, s *goquery.Selection) {
		id := s.AttrOr("data-id", "")
		outcomes[id] = s.AttrOr("data-outcome", "")
		whys[id] = squashed(s)
	})
	if outcomes[plain] != "decided" || outcomes[schema] != "refused" || outcomes[not] != "refused" || len(outcomes) != 3 {
		t.Fatalf("outcomes %v", outcomes)
	}
	if !strings.Contains(whys[schema], "size") || !strings.Contains(whys[not], "allow_bulk") {
		t.Errorf("why: %v", whys)
	}
	if got := r.text(`[data-testid="bulk-counts"]`); got != "1 decided · 0 counted, waiting for more · 2 refused" {
		t.Errorf("counts %q", got)
	}
	for id, want := range map[string]engine.State{plain: engine.StateSuccess, schema: engine.StateRunning, not: engine.StateRunning} {
		if a, _ := e.eng.GetActionExecution(context.Background(), id); a.State != want {
			t.Errorf("%s is %s, want %s", id, a.State, want)
		}
	}
	// One answer for the rest: the schema's approval takes it.
	r = fin1.post("/approvals/decide", url.Values{"_csrf": {p.csrf()}, "item": {boxes[schema]}, "state": {"SUCCESS"}, "answer": {`{"size": "L"}`}})
	if r.status != http.StatusOK || r.doc.Find(`[data-outcome="decided"]`).Length() != 1 {
		t.Fatalf("bulk with an answer: %d %s", r.status, r.body)
	}
	recs, err := e.eng.AuditRecords(context.Background(), schema)
	if err != nil {
		t.Fatal(err)
	}
	last := recs[len(recs)-1]
	if last.Channel != engine.ViaDashboard || last.Actor != "fin1" || !strings.HasPrefix(last.Reason, "bulk decision of 1: ") ||
		last.ShownDigest != strings.SplitN(boxes[schema], "~", 2)[1] || last.AnswerJSON != `{"size":"L"}` {
		t.Errorf("audit record %+v", last)
	}
	// A bad answer: a page naming it, nothing decided.
	r = fin1.post("/approvals/decide", url.Values{"_csrf": {p.csrf()}, "item": {boxes[schema]}, "state": {"SUCCESS"}, "answer": {`{size`}})
	if r.status != http.StatusBadRequest || !strings.Contains(r.body, "not valid JSON") {
		t.Errorf("bad answer: %d", r.status)
	}
	// A viewer may not post it at all.
	val := e.as("val")
	if r := val.post("/approvals/decide", url.Values{"_csrf": {val.get("/inbox").csrf()}, "item": {boxes[plain]}, "state": {"SUCCESS"}}); r.status != http.StatusForbidden {
		t.Errorf("a viewer posts a bulk decision: %d, want 403", r.status)
	}
}
