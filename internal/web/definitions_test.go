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

// provisioning is a workbook with a workflow and an action; the workflow
// calls the action by its short name.
const provisioning = `---
version: '2.0'
name: provisioning
tags: [ops]
actions:
  notify:
    base: std.echo
    base-input:
      output: <% 'To ' + $.who %>
    input:
      - who
workflows:
  order:
    tasks:
      tell:
        action: notify who=ops
`

// greet is a standalone ad-hoc action whose text holds HTML.
const greet = `---
version: '2.0'
greet:
  description: Says hello <b>loudly</b> & "quoted"
  base: std.echo
  base-input:
    output: "Hello <% $.name %>! <script>alert('greet')</script>"
  input:
    - name
    - punct: "!"
  output:
    text: <% $ %>
`

// shout lives in the namespace team-a and builds on greet, which the
// engine finds in the default namespace.
const shout = `---
version: '2.0'
shout:
  base: greet
  input:
    - who
  base-input:
    name: <% $.who %>
`

// extra has a workbook's prefix in its name but was made on its own.
const extra = `---
version: '2.0'
provisioning.extra:
  base: std.noop
`

// newDefinitionsEnv is newEnv with the definitions above stored through
// the engine.
func newDefinitionsEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.eng.CreateWorkbook(ctx, nil, provisioning, "", engine.ScopePrivate); err != nil {
		t.Fatal(err)
	}
	for _, a := range []struct{ def, ns string }{{greet, ""}, {shout, "team-a"}, {extra, ""}} {
		if _, err := e.eng.CreateActions(ctx, nil, a.def, a.ns, engine.ScopePrivate); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// mustGet fetches a page and fails unless it answers 200.
func (e *env) mustGet(path string) *page {
	e.t.Helper()
	p := e.get(path)
	if p.status != http.StatusOK || p.doc == nil {
		e.t.Fatalf("GET %s: %d %.300s", path, p.status, p.body)
	}
	return p
}

// rows maps the first cell's link text of each matching row to the
// row's cells, space-normalised.
func rows(p *page, sel string) map[string][]string {
	out := map[string][]string{}
	p.doc.Find(sel).Each(func(_ int, tr *goquery.Selection) {
		var cells []string
		tr.Find("td").Each(func(_ int, td *goquery.Selection) {
			cells = append(cells, strings.Join(strings.Fields(td.Text()), " "))
		})
		href, _ := tr.Find("td a").First().Attr("href")
		key := cells[0]
		if _, dup := out[key]; dup {
			key += " " + cells[1]
		}
		out[key] = append([]string{href}, cells...)
	})
	return out
}

// sourceLines returns the numbered lines of a definition: number → text.
func sourceLines(p *page) map[string]string {
	out := map[string]string{}
	p.doc.Find(`[data-testid="definition"] .ln`).Each(func(_ int, ln *goquery.Selection) {
		// The line's text is what follows its number, up to the newline.
		text := ""
		if n := ln.Get(0).NextSibling; n != nil && n.Type == 1 { // html.TextNode
			text = strings.TrimSuffix(n.Data, "\n")
		}
		out[ln.Text()] = text
	})
	return out
}

func TestActionDefinitionsList(t *testing.T) {
	t.Parallel()
	e := newDefinitionsEnv(t)
	p := e.mustGet("/action-definitions")

	if href, _ := p.doc.Find(`header nav a[aria-current="page"]`).Attr("href"); href != "/action-definitions" {
		t.Errorf("current section = %q, want /action-definitions", href)
	}
	got := rows(p, `[data-testid="action-definition-row"]`)
	// Each: link, name, namespace, base, input, created, updated.
	for name, want := range map[string][]string{
		"greet":               {"/action-definitions/greet", "greet", "default", "std.echo", `name, punct="!"`},
		"shout":               {"/action-definitions/shout?namespace=team-a", "shout", "team-a", "greet", "who"},
		"provisioning.notify": {"/action-definitions/provisioning.notify", "provisioning.notify", "default", "std.echo", "who"},
		"provisioning.extra":  {"/action-definitions/provisioning.extra", "provisioning.extra", "default", "std.noop", ""},
	} {
		row, ok := got[name]
		if !ok {
			t.Errorf("no row for %s; rows %v", name, got)
			continue
		}
		if len(row) != 7 || strings.Join(row[:5], "|") != strings.Join(want, "|") {
			t.Errorf("row %s = %q, want %q then created and updated", name, row, want)
			continue
		}
		if !strings.HasSuffix(row[5], "UTC") || row[6] != "—" {
			t.Errorf("row %s: created %q, updated %q; want a time and a dash", name, row[5], row[6])
		}
	}
	if len(got) != 4 {
		t.Errorf("%d ad-hoc rows, want 4: %v", len(got), got)
	}

	builtins := rows(p, `[data-testid="builtin-action-row"]`)
	if len(builtins) != len(engine.ActionNames()) {
		t.Errorf("%d built-in rows, want %d", len(builtins), len(engine.ActionNames()))
	}
	if row := builtins["std.echo"]; len(row) != 3 || row[0] != "/action-definitions/std.echo" || row[2] != "output, delay=0" {
		t.Errorf("std.echo row = %q", row)
	}
	if row := builtins["std.http"]; len(row) != 3 || !strings.HasPrefix(row[2], "url, method=") {
		t.Errorf("std.http row = %q", row)
	}
	if _, ok := builtins["greet"]; ok {
		t.Error("an ad-hoc action is listed among the built-in ones")
	}
}

func TestActionDefinitionPages(t *testing.T) {
	t.Parallel()
	e := newDefinitionsEnv(t)

	p := e.mustGet("/action-definitions/greet")
	if got := p.text("h1"); got != "greet" {
		t.Errorf("title = %q", got)
	}
	if href, _ := p.doc.Find(`[data-testid="action-base"] a`).Attr("href"); href != "/action-definitions/std.echo" {
		t.Errorf("base link = %q", href)
	}
	if got := p.text(`[data-testid="action-input"]`); got != `name, punct="!"` {
		t.Errorf("input = %q", got)
	}
	if got := p.text(`[data-testid="base-input"] pre`); !strings.Contains(got, `"output": "Hello <% $.name %>!`) {
		t.Errorf("base input = %q", got)
	}
	if got := p.text(`[data-testid="output-transform"] pre`); !strings.Contains(got, `"text": "<% $ %>"`) {
		t.Errorf("output transformation = %q", got)
	}
	if p.doc.Find(`[data-testid="action-workbook"]`).Length() != 0 {
		t.Error("greet belongs to no workbook, yet the page names one")
	}
	// The engine stores each action as a document of its own: a version
	// line, a blank line, then the action as it was written.
	lines := sourceLines(p)
	for n, want := range map[string]string{"2": "version: '2.0'", "4": "greet:", "5": `  description: Says hello <b>loudly</b> & "quoted"`, "11": `    - punct: "!"`, "13": "    text: <% $ %>"} {
		if lines[n] != want {
			t.Errorf("definition line %s = %q, want %q (lines %q)", n, lines[n], want, lines)
		}
	}
	if len(lines) != 13 {
		t.Errorf("%d numbered lines, want 13: %q", len(lines), lines)
	}

	// Namespaced, built on an ad-hoc action of the default namespace.
	p = e.mustGet("/action-definitions/shout?namespace=team-a")
	if got := p.text(".page-head .badge"); got != "team-a" {
		t.Errorf("namespace badge = %q", got)
	}
	if href, _ := p.doc.Find(`[data-testid="action-base"] a`).Attr("href"); href != "/action-definitions/greet" {
		t.Errorf("base link = %q, want the default namespace's greet", href)
	}
	if got := p.text(`[data-testid="output-transform"]`); !strings.Contains(got, "—") {
		t.Errorf("output transformation = %q, want none", got)
	}

	// A workbook's action names its workbook; a look-alike does not.
	p = e.mustGet("/action-definitions/provisioning.notify")
	if href, _ := p.doc.Find(`[data-testid="action-workbook"]`).Attr("href"); href != "/workbooks/provisioning" {
		t.Errorf("workbook link = %q", href)
	}
	if got := sourceLines(p)["4"]; got != "provisioning.notify:" {
		t.Errorf("member definition line 4 = %q", got)
	}
	p = e.mustGet("/action-definitions/provisioning.extra")
	if p.doc.Find(`[data-testid="action-workbook"]`).Length() != 0 {
		t.Error("provisioning.extra was made on its own, yet the page names a workbook")
	}

	// Built-in actions have a page of their own, under either name.
	for _, path := range []string{"/action-definitions/std.echo", "/action-definitions/echo"} {
		p = e.mustGet(path)
		if p.text("h1") != "std.echo" || p.doc.Find(`[data-testid="builtin"]`).Length() != 1 || p.text(`[data-testid="action-input"]`) != "output, delay=0" {
			t.Errorf("%s: title %q, input %q", path, p.text("h1"), p.text(`[data-testid="action-input"]`))
		}
	}
}

func TestWorkbookPages(t *testing.T) {
	t.Parallel()
	e := newDefinitionsEnv(t)
	ctx := context.Background()
	if _, err := e.eng.CreateWorkbook(ctx, nil, strings.Replace(provisioning, "tags: [ops]", "tags: [ops, lab]", 1), "lab", engine.ScopePrivate); err != nil {
		t.Fatal(err)
	}

	p := e.mustGet("/workbooks")
	if href, _ := p.doc.Find(`header nav a[aria-current="page"]`).Attr("href"); href != "/workbooks" {
		t.Errorf("current section = %q, want /workbooks", href)
	}
	got := rows(p, `[data-testid="workbook-row"]`)
	// Each: link, name, namespace, workflows, actions, tags, created, updated.
	for key, want := range map[string][]string{
		"provisioning":     {"/workbooks/provisioning", "provisioning", "default", "1", "1", "ops"},
		"provisioning lab": {"/workbooks/provisioning?namespace=lab", "provisioning", "lab", "1", "1", "ops, lab"},
	} {
		if row := got[key]; len(row) != 8 || strings.Join(row[:6], "|") != strings.Join(want, "|") {
			t.Errorf("row %s = %q, want %q…", key, row, want)
		}
	}
	if len(got) != 2 {
		t.Errorf("%d rows, want 2: %v", len(got), got)
	}

	for _, tc := range []struct{ path, ns, query string }{
		{"/workbooks/provisioning", "", ""},
		{"/workbooks/provisioning?namespace=lab", "lab", "?namespace=lab"},
	} {
		p := e.mustGet(tc.path)
		if got := sourceLines(p)["3"]; got != "name: provisioning" {
			t.Errorf("%s: definition line 3 = %q", tc.path, got)
		}
		var wfs, acts []string
		p.doc.Find(`[data-testid="workbook-workflow"]`).Each(func(_ int, a *goquery.Selection) {
			href, _ := a.Attr("href")
			wfs = append(wfs, a.Text()+" "+href)
		})
		p.doc.Find(`[data-testid="workbook-action"]`).Each(func(_ int, a *goquery.Selection) {
			href, _ := a.Attr("href")
			acts = append(acts, a.Text()+" "+href)
		})
		if want := "provisioning.order /workflows/provisioning.order" + tc.query; len(wfs) != 1 || wfs[0] != want {
			t.Errorf("%s: workflows %q, want [%s]", tc.path, wfs, want)
		}
		if want := "provisioning.notify /action-definitions/provisioning.notify" + tc.query; len(acts) != 1 || acts[0] != want {
			t.Errorf("%s: actions %q, want [%s]", tc.path, acts, want)
		}
		// The links lead to the members' pages, which lead back.
		if len(wfs) == 1 {
			w := e.mustGet(strings.Fields(wfs[0])[1])
			if !strings.Contains(w.text(`[data-testid="definition"]`), "notify who=ops") {
				t.Errorf("%s: member workflow page shows %q", tc.path, w.text(`[data-testid="definition"]`))
			}
		}
		if len(acts) == 1 {
			a := e.mustGet(strings.Fields(acts[0])[1])
			if href, _ := a.doc.Find(`[data-testid="action-workbook"]`).Attr("href"); href != tc.path {
				t.Errorf("%s: member action's workbook link = %q", tc.path, href)
			}
		}
	}
}

func TestDefinitionPagesUnknownNames(t *testing.T) {
	t.Parallel()
	e := newDefinitionsEnv(t)
	for _, path := range []string{
		"/action-definitions/nope",
		"/action-definitions/shout",                  // it lives in team-a
		"/action-definitions/greet?namespace=team-a", // it lives in the default namespace
		"/action-definitions/%3Cscript%3E",
		"/action-definitions/a%2Fb",
		"/action-definitions/%00",
		"/action-definitions/%FF%FE?namespace=%FF",
		"/action-definitions/" + strings.Repeat("x", 5000),
		"/workbooks/nope",
		"/workbooks/provisioning?namespace=team-a",
		"/workbooks/provisioning.order",
		"/workbooks/%00?namespace=%00",
		"/workbooks/" + strings.Repeat("%2F", 500),
	} {
		p := e.get(path)
		if p.status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404; %.200s", path, p.status, p.body)
			continue
		}
		if p.doc == nil || p.text(`[data-testid="error-message"]`) == "" {
			t.Errorf("GET %s: no error page: %.200s", path, p.body)
		}
	}
}

func TestDefinitionPagesEscapeHTML(t *testing.T) {
	t.Parallel()
	e := newDefinitionsEnv(t)
	ctx := context.Background()
	wb := `---
version: '2.0'
name: evil
# </code></pre><script>alert("workbook")</script>
actions:
  a:
    base: std.echo output="<img src=x onerror=alert(1)>"
workflows:
  w:
    tasks:
      t:
        action: a
`
	if _, err := e.eng.CreateWorkbook(ctx, nil, wb, `ns"><script>alert(2)</script>`, engine.ScopePrivate); err != nil {
		t.Fatal(err)
	}
	ns := url.QueryEscape(`ns"><script>alert(2)</script>`)
	for _, tc := range []struct {
		path string
		want []string // text the page must show as text
	}{
		{"/action-definitions/greet", []string{`<script>alert('greet')</script>`, `Says hello <b>loudly</b> & "quoted"`}},
		{"/action-definitions", nil},
		{"/workbooks", []string{`ns"><script>alert(2)</script>`}},
		{"/workbooks/evil?namespace=" + ns, []string{`</code></pre><script>alert("workbook")</script>`, `ns"><script>alert(2)</script>`}},
		{"/action-definitions/evil.a?namespace=" + ns, []string{`<img src=x onerror=alert(1)>`}},
	} {
		p := e.mustGet(tc.path)
		if n := p.doc.Find("script:not([src]), img, b, [onerror]").Length(); n != 0 {
			t.Errorf("%s: %d elements made from the definitions' text", tc.path, n)
		}
		for _, bad := range []string{"<script>alert", "<b>loudly", "<img src=x"} {
			if strings.Contains(p.body, bad) {
				t.Errorf("%s: the HTML holds %q unescaped", tc.path, bad)
			}
		}
		text := p.doc.Find("main").Text()
		for _, want := range tc.want {
			if !strings.Contains(text, want) {
				t.Errorf("%s: the page does not show %q as text", tc.path, want)
			}
		}
	}
}

// TestDefinitionPagesNeedALogin: with accounts on, strangers are sent to
// the login page, as for the workflow pages; once logged in they read.
func TestDefinitionPagesNeedALogin(t *testing.T) {
	t.Parallel()
	e := newEnvAuth(t, "a long enough password")
	if _, err := e.eng.CreateWorkbook(context.Background(), nil, provisioning, "", engine.ScopePrivate); err != nil {
		t.Fatal(err)
	}
	paths := []string{"/action-definitions", "/action-definitions/provisioning.notify", "/workbooks", "/workbooks/provisioning"}
	for _, path := range paths {
		p := e.get(path)
		if loc := p.header.Get("Location"); p.status != http.StatusSeeOther || loc != "/login?next="+url.QueryEscape(path) {
			t.Errorf("anonymous GET %s: %d Location %q, want 303 to the login page", path, p.status, loc)
		}
	}
	form := e.get("/login")
	p := e.post("/login", url.Values{"_csrf": {form.csrf()}, "username": {"admin"}, "password": {"a long enough password"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("login: %d %.200s", p.status, p.body)
	}
	for _, path := range paths {
		if p := e.get(path); p.status != http.StatusOK {
			t.Errorf("GET %s after login: %d", path, p.status)
		}
	}
}
