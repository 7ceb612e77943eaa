package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/web/templates"
)

func TestRootNegotiatesBetweenAPIAndDashboard(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tc := range []struct {
		accept string
		html   bool
	}{
		{"", false},
		{"*/*", false},                         // curl
		{"application/json", false},            // the mistral CLI
		{"application/json, */*;q=0.5", false}, // python-requests with a JSON preference
		{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", true}, // Chromium, Firefox
		{"text/html", true},
		{"application/json, text/html", false}, // a tie: the first listed wins
		{"text/html;q=0.1, application/json", false},
		{"text/html;q=0", false},
	} {
		req, _ := http.NewRequest(http.MethodGet, e.url+"/", nil)
		if tc.accept != "" {
			req.Header.Set("Accept", tc.accept)
		}
		p := e.do(req)
		if p.status != http.StatusOK {
			t.Errorf("Accept %q: status %d", tc.accept, p.status)
		}
		gotHTML := strings.HasPrefix(p.header.Get("Content-Type"), "text/html")
		if gotHTML != tc.html {
			t.Errorf("Accept %q: html = %v, want %v (%.80s)", tc.accept, gotHTML, tc.html, p.body)
		}
		if !tc.html && !strings.Contains(p.body, `"versions"`) {
			t.Errorf("Accept %q: body = %.100s, want the version document", tc.accept, p.body)
		}
		if !strings.Contains(strings.Join(p.header.Values("Vary"), ","), "Accept") {
			t.Errorf("Accept %q: Vary = %v, want Accept", tc.accept, p.header.Values("Vary"))
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, id := e.startApproval("bob")
	for _, path := range []string{"/", "/actions/" + id, "/executions", "/workflows", "/workflows/approve", "/actions/nope",
		"/action-definitions", "/action-definitions/std.echo", "/workbooks", "/workbooks/nope"} {
		p := e.get(path)
		csp := p.header.Get("Content-Security-Policy")
		for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "default-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP %q allows unsafe-inline", path, csp)
		}
		if got := p.header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options = %q", path, got)
		}
		if p.header.Get("Referrer-Policy") == "" {
			t.Errorf("%s: no Referrer-Policy", path)
		}
		if p.doc != nil && p.doc.Find("script:not([src]), [style], [onclick]").Length() > 0 {
			t.Errorf("%s: inline script or style", path)
		}
	}
}

func TestInbox(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ex1, a1 := e.startApproval("bob")
	_, a2 := e.startApproval("carol <script>alert(1)</script>")

	p := e.get("/")
	rows := p.doc.Find(`[data-testid="inbox-row"]`)
	if rows.Length() != 2 {
		t.Fatalf("rows = %d, want 2\n%s", rows.Length(), p.body)
	}
	if got, _ := rows.First().Attr("data-id"); got != a1 {
		t.Errorf("first row = %s, want the oldest, %s", got, a1)
	}
	if got := p.text(`[data-testid="count-pending"]`); got != "2" {
		t.Errorf("pending count = %q, want 2", got)
	}
	link, _ := rows.First().Find(`[data-testid="inbox-link"]`).Attr("href")
	if link != "/actions/"+a1 {
		t.Errorf("link = %q", link)
	}
	row := strings.Join(strings.Fields(rows.First().Text()), " ")
	for _, want := range []string{"std.async_noop", "approve", "ask", "RUNNING", `"requester": "bob"`, "execution input"} {
		if !strings.Contains(row, want) {
			t.Errorf("row %q lacks %q", row, want)
		}
	}
	if href, _ := rows.First().Find(`a[href^="/executions/"]`).Attr("href"); href != "/executions/"+ex1 {
		t.Errorf("execution link = %q", href)
	}
	if strings.Contains(p.body, "<script>alert(1)") {
		t.Error("input is not escaped")
	}
	if v, _ := p.doc.Find(`[data-live-topics]`).Attr("data-live-topics"); v != "inbox" {
		t.Errorf("live topics = %q", v)
	}
	for _, sel := range []string{`label[for="f-workflow"]`, `label[for="f-action"]`, `label[for="f-task"]`, `label[for="f-q"]`, `label[for="f-sort"]`} {
		if p.doc.Find(sel).Length() != 1 {
			t.Errorf("no %s: every filter has a label", sel)
		}
	}
	if p.doc.Find(`#f-workflow option[value="approve"]`).Length() != 1 {
		t.Error("the workflow filter does not offer approve")
	}

	t.Run("search and counts", func(t *testing.T) {
		p := e.get("/?q=CAROL")
		ids := p.doc.Find(`[data-testid="inbox-row"]`).Map(func(_ int, s *goquery.Selection) string { v, _ := s.Attr("data-id"); return v })
		if len(ids) != 1 || ids[0] != a2 {
			t.Errorf("search rows = %v, want [%s]", ids, a2)
		}
		if got := p.text(`[data-testid="inbox-counts"]`); got != "1 matching of 2 pending" {
			t.Errorf("counts = %q", got)
		}
		if v, _ := p.doc.Find(`#f-q`).Attr("value"); v != "CAROL" {
			t.Errorf("search field = %q, want it kept", v)
		}
	})

	t.Run("newest first, keyset pages", func(t *testing.T) {
		p := e.get("/?sort=newest&limit=1")
		if id, _ := p.doc.Find(`[data-testid="inbox-row"]`).Attr("data-id"); id != a2 {
			t.Errorf("first = %s, want %s", id, a2)
		}
		next, ok := p.doc.Find(`[data-testid="page-next"]`).Attr("href")
		if !ok || !strings.Contains(next, "after=") || strings.Contains(next, "offset") {
			t.Fatalf("next link = %q", next)
		}
		p = e.get(next)
		if id, _ := p.doc.Find(`[data-testid="inbox-row"]`).Attr("data-id"); id != a1 {
			t.Errorf("second page = %s, want %s", id, a1)
		}
		prev, _ := p.doc.Find(`[data-testid="page-prev"]`).Attr("href")
		p = e.get(prev)
		if id, _ := p.doc.Find(`[data-testid="inbox-row"]`).Attr("data-id"); id != a2 {
			t.Errorf("back = %s, want %s", id, a2)
		}
	})

	t.Run("fragment", func(t *testing.T) {
		p := e.get("/?fragment=1")
		if p.doc.Find("header.top").Length() != 0 || p.doc.Find(`[data-region="rows"] tr`).Length() != 2 ||
			p.doc.Find(`[data-region="counts"]`).Length() != 1 {
			t.Errorf("fragment = %s", p.body)
		}
	})

	t.Run("bad cursor", func(t *testing.T) {
		if p := e.get("/?after=zzz"); p.status != http.StatusBadRequest || p.text(`[data-testid="error-message"]`) == "" {
			t.Errorf("status %d: %s", p.status, p.body)
		}
	})

	// Past the page cap, or past what net/url reads of a query string
	// (where every filter was dropped and the whole inbox listed), a 400
	// page names the problem.
	t.Run("caps", func(t *testing.T) {
		for _, tt := range []struct{ query, want string }{
			{"limit=501", "at most 500"},
			{"workflow=nothing" + strings.Repeat("&", 10_000), "10000 parameters"},
			{"workflow=nothing;x=1", "query string"},
		} {
			p := e.get("/?" + tt.query)
			if msg := p.text(`[data-testid="error-message"]`); p.status != http.StatusBadRequest || !strings.Contains(msg, tt.want) {
				t.Errorf("/?%.40s: %d %q, want 400 naming %q", tt.query, p.status, msg, tt.want)
			}
		}
		if p := e.get("/?limit=500"); p.status != http.StatusOK {
			t.Errorf("/?limit=500: %d", p.status)
		}
	})

	t.Run("empty", func(t *testing.T) {
		p := e.get("/?workflow=nothing")
		if p.doc.Find(`[data-testid="inbox-empty"]`).Length() != 1 {
			t.Errorf("no empty state: %s", p.body)
		}
	})
}

func TestActionPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ex, id := e.startApproval("bob")
	p := e.get("/actions/" + id)
	if p.status != http.StatusOK {
		t.Fatalf("status %d", p.status)
	}
	form := p.doc.Find(`form[data-testid="decision-form"]`)
	if action, _ := form.Attr("action"); action != "/actions/"+id {
		t.Errorf("form action = %q", action)
	}
	if method, _ := form.Attr("method"); method != "post" {
		t.Errorf("form method = %q", method)
	}
	if p.csrf() == "" {
		t.Error("no CSRF token in the form")
	}
	for _, sel := range []string{`label[for="d-output"]`, `label[for="d-comment"]`, `button[value="SUCCESS"]`, `button[value="ERROR"]`} {
		if form.Find(sel).Length() != 1 {
			t.Errorf("form lacks %s", sel)
		}
	}
	body := p.text("main")
	for _, want := range []string{"std.async_noop", "ask", `"requester": "bob"`, "approve"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if got := p.doc.Find(`[data-testid="timeline"] li`).Length(); got != 3 {
		t.Errorf("timeline has %d entries, want 3 (execution, task, action)", got)
	}
	if v, _ := p.doc.Find(`[data-live-topics]`).Attr("data-live-topics"); v != "action:"+id+" execution:"+ex {
		t.Errorf("live topics = %q", v)
	}
	if p := e.get("/actions/nope"); p.status != http.StatusNotFound || !strings.Contains(p.text(`[data-testid="error-message"]`), "nope") {
		t.Errorf("unknown action: %d %s", p.status, p.body)
	}
}

func TestApproveFromTheDashboard(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ex, id := e.startApproval("bob")
	tok := e.get("/actions/" + id).csrf()
	p := e.post("/actions/"+id, url.Values{"_csrf": {tok}, "state": {"SUCCESS"}, "output": {` {"vm": "web-1"} `}, "comment": {"ok for bob"}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/actions/"+id+"?notice=decided" {
		t.Fatalf("POST: %d %s %s", p.status, p.header.Get("Location"), p.body)
	}
	a, err := e.eng.GetActionExecution(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if a.State != engine.StateSuccess || a.CompletedVia == nil || *a.CompletedVia != engine.ViaDashboard || *a.OutputJSON != `{"result": {"vm": "web-1"}}` {
		t.Errorf("action = %s via %v output %v", a.State, a.CompletedVia, *a.OutputJSON)
	}
	x, _ := e.eng.GetExecution(context.Background(), ex)
	if x.State != engine.StateSuccess {
		t.Errorf("execution = %s, want SUCCESS", x.State)
	}
	p = e.get("/actions/" + id + "?notice=decided")
	if got := p.text(`[data-testid="notice"]`); got != "Your decision was recorded." {
		t.Errorf("notice = %q", got)
	}
	if got := p.text(`[data-testid="completed-via"]`); !strings.HasPrefix(got, "Approved (SUCCESS) via the dashboard at ") {
		t.Errorf("completed = %q", got)
	}
	if p.doc.Find(`form[data-testid="decision-form"]`).Length() != 0 {
		t.Error("a completed action still shows the form")
	}
	if !strings.Contains(p.text(`[data-testid="timeline"]`), "ok for bob") {
		t.Errorf("timeline lacks the comment: %s", p.text(`[data-testid="timeline"]`))
	}
	// It has left the inbox.
	if n := e.get("/").doc.Find(`[data-testid="inbox-row"]`).Length(); n != 0 {
		t.Errorf("inbox rows = %d, want 0", n)
	}
}

func TestRejectWithInvalidJSONChangesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, id := e.startApproval("bob")
	tok := e.get("/actions/" + id).csrf()
	p := e.post("/actions/"+id, url.Values{"_csrf": {tok}, "state": {"ERROR"}, "output": {`{"reason": `}, "comment": {"no"}})
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422", p.status)
	}
	// One plain message, the page script's too (it reads it from the
	// field), rather than the parser's offset.
	if errText := p.text(`[data-testid="output-error"]`); errText != templates.NotJSONMessage {
		t.Errorf("error = %q, want %q", errText, templates.NotJSONMessage)
	}
	if v, _ := p.doc.Find(`#d-output`).Attr("data-not-json"); v != templates.NotJSONMessage {
		t.Errorf("the field gives the page script %q", v)
	}
	if _, hidden := p.doc.Find(`[data-testid="output-error"]`).Attr("hidden"); hidden {
		t.Error("the error is hidden")
	}
	if v, _ := p.doc.Find(`#d-output`).Attr("aria-invalid"); v != "true" {
		t.Errorf("aria-invalid = %q", v)
	}
	if got := p.doc.Find(`#d-output`).Text(); got != `{"reason": ` {
		t.Errorf("output field = %q, want what was typed", got)
	}
	if got := p.doc.Find(`#d-comment`).Text(); got != "no" {
		t.Errorf("comment field = %q, want what was typed", got)
	}
	a, _ := e.eng.GetActionExecution(context.Background(), id)
	if a.State != engine.StateRunning {
		t.Errorf("state = %s, want RUNNING", a.State)
	}
}

func TestDecisionAfterSomeoneElseNeverOverwrites(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, id := e.startApproval("bob")
	tok := e.get("/actions/" + id).csrf() // the page is open…
	// … when the callback arrives through the API.
	if _, err := e.eng.UpdateActionExecution(context.Background(), id, engine.Completion{State: engine.StateSuccess, Output: "yes", HasOutput: true, Via: engine.ViaAPI}); err != nil {
		t.Fatal(err)
	}
	for _, state := range []string{"ERROR", "SUCCESS"} { // a different result, and a different output
		p := e.post("/actions/"+id, url.Values{"_csrf": {tok}, "state": {state}, "output": {`"mine"`}, "comment": {"my reason"}})
		if p.status != http.StatusConflict {
			t.Fatalf("%s: %d %s, want 409 and the page", state, p.status, p.header.Get("Location"))
		}
		// What the person typed is shown, not thrown away.
		if got := p.text(`[data-testid="unrecorded-output"]`); got != `"mine"` {
			t.Errorf("%s: typed output shown = %q", state, got)
		}
		if got := p.text(`[data-testid="unrecorded-comment"]`); got != "my reason" {
			t.Errorf("%s: typed comment shown = %q", state, got)
		}
		if got := p.text(`[data-testid="notice"]`); !strings.Contains(got, "not recorded") {
			t.Errorf("%s: notice = %q", state, got)
		}
	}
	// The same result as recorded is accepted by the engine, but it was not ours.
	p := e.post("/actions/"+id, url.Values{"_csrf": {tok}, "state": {"SUCCESS"}, "output": {`"yes"`}})
	if p.status != http.StatusOK || !strings.Contains(p.text(`[data-testid="notice"]`), "not recorded") {
		t.Errorf("same result: %d, notice %q", p.status, p.text(`[data-testid="notice"]`))
	}
	a, _ := e.eng.GetActionExecution(context.Background(), id)
	if a.State != engine.StateSuccess || *a.CompletedVia != engine.ViaAPI || *a.OutputJSON != `{"result": "yes"}` {
		t.Errorf("action = %s via %s, %s", a.State, *a.CompletedVia, *a.OutputJSON)
	}
	p = e.get("/actions/" + id + "?notice=conflict")
	if got := p.text(`[data-testid="notice"]`); !strings.Contains(got, "not recorded") {
		t.Errorf("notice = %q", got)
	}
	if got := p.text(`[data-testid="completed-via"]`); !strings.HasPrefix(got, "Approved (SUCCESS) via the API at 20") {
		t.Errorf("completed = %q", got)
	}
}

// TestFormsNeedTheCSRFToken: without accounts (as with -auth off) forms
// carry a token bound to the browser's nonce cookie.
func TestFormsNeedTheCSRFToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, id := e.startApproval("bob")
	other := e.newBrowser().get("/actions/" + id).csrf() // another browser's token
	p := e.get("/actions/" + id)                         // gets the cookie
	if p.csrf() == "" || p.csrf() == other {
		t.Fatalf("tokens of two browsers: %q and %q", p.csrf(), other)
	}
	for _, tok := range []string{"", "forged", other} {
		p := e.post("/actions/"+id, url.Values{"_csrf": {tok}, "state": {"SUCCESS"}})
		if p.status != http.StatusForbidden {
			t.Errorf("token %q: status %d", tok, p.status)
		}
	}
	// A cross-site browser request is refused whatever it carries.
	if p := e.postFrom("/actions/"+id, url.Values{"_csrf": {p.csrf()}, "state": {"SUCCESS"}}, "cross-site", ""); p.status != http.StatusForbidden {
		t.Errorf("cross-site: status %d", p.status)
	}
	a, _ := e.eng.GetActionExecution(context.Background(), id)
	if a.State != engine.StateRunning {
		t.Errorf("state = %s, want RUNNING", a.State)
	}
	// The nonce cookie is HttpOnly and SameSite=Strict, and given once.
	cookies := e.newBrowser().get("/").header.Values("Set-Cookie")
	if len(cookies) != 1 || !strings.HasPrefix(cookies[0], "sirocco_form=") || !strings.Contains(cookies[0], "HttpOnly") ||
		!strings.Contains(cookies[0], "SameSite=Strict") || !strings.Contains(cookies[0], "Path=/") {
		t.Errorf("cookies %q", cookies)
	}
	if again := e.get("/").header.Values("Set-Cookie"); len(again) != 0 {
		t.Errorf("a browser with the cookie is given %q", again)
	}
}

func TestExecutionsAndWorkflows(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ex, id := e.startApproval("bob")

	p := e.get("/executions")
	if href, _ := p.doc.Find(`[data-testid="execution-row"] a`).First().Attr("href"); href != "/executions/"+ex {
		t.Errorf("executions link = %q", href)
	}
	p = e.get("/executions/" + ex)
	task := p.doc.Find(`[data-testid="task-row"]`)
	if task.Length() != 1 || !strings.Contains(task.Text(), "ask") || !strings.Contains(task.Text(), "RUNNING") {
		t.Errorf("tasks = %q", task.Text())
	}
	if href, _ := task.Find(`[data-testid="task-pending-link"]`).Attr("href"); href != "/actions/"+id {
		t.Errorf("decide link = %q", href)
	}
	if v, _ := p.doc.Find(`[data-live-topics]`).Attr("data-live-topics"); v != "execution:"+ex {
		t.Errorf("live topics = %q", v)
	}

	p = e.get("/workflows")
	if href, _ := p.doc.Find(`[data-testid="workflow-row"] a`).First().Attr("href"); href != "/workflows/approve" {
		t.Errorf("workflow link = %q", href)
	}
	p = e.get("/workflows/approve")
	if !strings.Contains(p.text(`[data-testid="definition"]`), "std.async_noop") {
		t.Errorf("definition = %q", p.text(`[data-testid="definition"]`))
	}
	// Numbered as the action and workbook pages are, so "line 7" in an
	// error can be found.
	if got := sourceLines(p)["4"]; got != "approve:" {
		t.Errorf("definition line 4 = %q, want %q", got, "approve:")
	}
	var prefill map[string]any
	if err := json.Unmarshal([]byte(p.doc.Find(`#s-input`).Text()), &prefill); err != nil || prefill["resource"] != "2 vCPU VM" {
		t.Errorf("prefilled input = %q (%v)", p.doc.Find(`#s-input`).Text(), err)
	}
	tok := p.csrf()

	for _, tc := range []struct{ input, want string }{
		{`{"requester": `, "not valid JSON"},
		{`[1]`, "must be a JSON object"},
		{`{"nobody": 1}`, "Invalid input"},
	} {
		p := e.post("/workflows/approve/executions", url.Values{"_csrf": {tok}, "input": {tc.input}})
		if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text(`[data-testid="start-error"]`), tc.want) {
			t.Errorf("input %s: %d %q", tc.input, p.status, p.text(`[data-testid="start-error"]`))
		}
	}
	p = e.post("/workflows/approve/executions", url.Values{"_csrf": {tok}, "input": {`{"requester": "dora"}`}, "description": {"from the test"}})
	loc := p.header.Get("Location")
	if p.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/executions/") {
		t.Fatalf("start: %d %q", p.status, loc)
	}
	x, err := e.eng.GetExecution(context.Background(), strings.TrimPrefix(loc, "/executions/"))
	if err != nil || x.Description != "from the test" || !strings.Contains(x.InputJSON, "dora") {
		t.Errorf("started %+v, %v", x, err)
	}
	if p := e.get("/workflows/nope"); p.status != http.StatusNotFound {
		t.Errorf("unknown workflow: %d", p.status)
	}
}

func TestStaticFilesAreHashedAndCached(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.get("/")
	for _, sel := range []string{`link[rel="stylesheet"]`, `script[src]`} {
		node := p.doc.Find(sel)
		href, ok := node.Attr("href")
		if !ok {
			href, _ = node.Attr("src")
		}
		if !strings.HasPrefix(href, "/static/") || strings.Count(href, ".") < 2 {
			t.Errorf("%s: %q has no hash", sel, href)
			continue
		}
		res, err := http.Get(e.url + href)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("%s: %d %q", href, res.StatusCode, res.Header.Get("Cache-Control"))
		}
	}
	if res, err := http.Get(e.url + "/static/app.css"); err != nil || res.StatusCode != http.StatusNotFound {
		t.Errorf("unhashed name: %v %v", res.StatusCode, err)
	}
}

// TestExecutionPublishedGlobal: the execution page shows what tasks
// published with publish: global, and no such block when there is none.
func TestExecutionPublishedGlobal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.eng.CreateWorkflows(ctx, nil, `version: '2.0'
decide:
  tasks:
    ask:
      action: std.async_noop
      on-success:
        publish:
          global:
            decision: <% task().result %>
`, "", ""); err != nil {
		t.Fatal(err)
	}
	ex, err := e.eng.StartExecution(ctx, engine.StartRequest{WorkflowName: "decide"})
	if err != nil {
		t.Fatal(err)
	}
	list, err := e.eng.ListActionExecutions(ctx, engine.ListQuery{Filters: []engine.Filter{
		{Field: "workflow_execution_id", Op: engine.OpEq, Values: []string{ex.ID}}}})
	if err != nil || len(list) != 1 {
		t.Fatalf("action executions of %s = %v, %v", ex.ID, list, err)
	}
	if _, err := e.eng.UpdateActionExecution(ctx, list[0].ID, engine.Completion{State: engine.StateSuccess, Output: "approved", HasOutput: true}); err != nil {
		t.Fatal(err)
	}
	data := e.get("/executions/" + ex.ID).doc.Find(`[data-region="data"]`)
	if txt := data.Text(); !strings.Contains(txt, "Published global") || !strings.Contains(txt, `"decision": "approved"`) {
		t.Errorf("data of %s = %q, want the published global decision", ex.ID, txt)
	}
	other, _ := e.startApproval("bob")
	if txt := e.get("/executions/" + other).doc.Find(`[data-region="data"]`).Text(); strings.Contains(txt, "Published global") {
		t.Errorf("an execution without global variables shows %q", txt)
	}
}

// TestActionPageSaysWhatMatters: the page leaves out panels that would say
// nothing (an empty input, a request std.async_noop never sends, empty
// context values) and shows the execution's description and who started
// it, so that a person decides after seeing what it is about.
func TestActionPageSaysWhatMatters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	ex, err := e.eng.StartExecution(ctx, engine.StartRequest{WorkflowName: "approve", Input: map[string]any{"requester": "bob"},
		Description: "Ticket 4411: a VM for the data team", CreatedBy: "carol"})
	if err != nil {
		t.Fatal(err)
	}
	id := e.waitingAction(t, ex.ID)
	p := e.get("/actions/" + id)
	if p.status != http.StatusOK {
		t.Fatalf("GET: %d", p.status)
	}
	for _, tt := range []struct {
		sel, want string
	}{
		{`[data-testid="exec-description"]`, "Ticket 4411: a VM for the data team"},
		{`[data-testid="started-by"]`, "Started by carol"},
	} {
		if got := strings.Join(strings.Fields(p.text(tt.sel)), " "); got != tt.want {
			t.Errorf("%s = %q, want %q", tt.sel, got, tt.want)
		}
	}
	body := p.text("main")
	for _, gone := range []string{"sends no request", "Request sent", "Task published", "Execution params"} {
		if strings.Contains(body, gone) {
			t.Errorf("the page says %q, a panel with nothing in it", gone)
		}
	}
	if n := p.doc.Find(`[data-testid="input-panel"]`).Length(); n != 0 {
		t.Errorf("an empty input has a panel (%d)", n)
	}
	if !strings.Contains(p.text(`[data-testid="context"]`), `"requester": "bob"`) {
		t.Errorf("the execution input is not shown: %q", p.text(`[data-testid="context"]`))
	}
}
