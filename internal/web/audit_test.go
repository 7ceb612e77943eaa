package web_test

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/sirocco-project/sirocco/internal/audit"
)

// TestAuditPage: an admin's changes and decisions made through the
// dashboard are on the Audit page, which filters them, shows the head
// and that it is not anchored, pages, and exports CSV (formulas
// neutralised) and JSON; the action page links its records. A viewer
// may open neither.
func TestAuditPage(t *testing.T) {
	t.Parallel()
	e := newEnvAuth(t, testPassword)
	tok := e.login()
	if p := e.post("/admin/users", url.Values{"_csrf": {tok}, "name": {"vera"}, "role": {"viewer"}, "password": {"vera's long password"}}); p.status != http.StatusSeeOther {
		t.Fatalf("create vera: %d", p.status)
	}
	_, id := e.startApproval("bob")
	if p := e.post("/actions/"+id, url.Values{"_csrf": {tok}, "state": {"SUCCESS"}, "output": {`{"vm": "=cmd"}`}, "comment": {"=HYPERLINK(\"x\")"}}); p.status != http.StatusSeeOther {
		t.Fatalf("decide: %d", p.status)
	}

	p := e.get("/audit")
	if p.status != http.StatusOK {
		t.Fatalf("/audit: %d %s", p.status, p.body)
	}
	if head := p.text(`[data-testid="audit-head"]`); !strings.Contains(head, "Head ") || !strings.Contains(head, "not anchored") {
		t.Errorf("the head in the header: %q", head)
	}
	if p.doc.Find(`nav a[href="/audit"][aria-current="page"]`).Length() != 1 {
		t.Error("no current Audit link in the navigation")
	}
	rows := p.doc.Find(`[data-testid="audit-row"]`)
	var texts []string
	rows.Each(func(_ int, s *goquery.Selection) {
		var cells []string
		s.Find("td").Each(func(_ int, td *goquery.Selection) {
			cells = append(cells, strings.Join(strings.Fields(td.Text()), " "))
		})
		texts = append(texts, strings.Join(strings.Fields(strings.Join(cells, " | ")), " "))
	})
	all := strings.Join(texts, "\n")
	for _, want := range []string{
		"| admin | accepted | admin | dashboard 127.0.0.1 | | | create user vera (role viewer) |",
		"| decision | accepted | admin | dashboard 127.0.0.1 | " + id[len(id)-8:] + ` | SUCCESS | | =HYPERLINK("x") | {"vm":"=cmd"}`,
		"| admin | accepted | — | server | | | create user admin (role admin) |",
		"| admin | accepted | — | server | | | create workflows approve, order_vm",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no row with %q among\n%s", want, all)
		}
	}
	if first, _ := rows.First().Attr("data-seq"); first != "4" {
		t.Errorf("the newest record first: seq %s, want 4\n%s", first, all)
	}

	// Filters, by GET.
	for query, want := range map[string]int{"user=admin&kind=decision": 1, "kind=admin": 3, "outcome=refused": 0,
		"action=" + id: 1, "since=2000-01-01&until=2000-01-02": 0, "user=nobody": 0} {
		if n := e.get("/audit?" + query).doc.Find(`[data-testid="audit-row"]`).Length(); n != want {
			t.Errorf("%s: %d rows, want %d", query, n, want)
		}
	}
	// Pages: one record a page, older by the next link.
	p = e.get("/audit?limit=1")
	next, _ := p.doc.Find(`a[rel="next"]`).Attr("href")
	if next != "/audit?limit=1&marker=4" {
		t.Fatalf("next link %q", next)
	}
	if seq, _ := e.get(next).doc.Find(`[data-testid="audit-row"]`).Attr("data-seq"); seq != "3" {
		t.Errorf("the second page starts at %s, want 3", seq)
	}
	// A bad filter: 400, naming it, the form kept.
	p = e.get("/audit?since=yesterday&user=admin")
	if p.status != http.StatusBadRequest || !strings.Contains(p.text(`[data-testid="audit-error"]`), "since") {
		t.Errorf("a bad filter: %d %q", p.status, p.text(`[data-testid="audit-error"]`))
	}
	if v, _ := p.doc.Find(`input[name="user"]`).Attr("value"); v != "admin" {
		t.Errorf("the form lost the user filter: %q", v)
	}

	// Exports of what the page shows.
	csvLink, _ := e.get("/audit?kind=decision").doc.Find(`[data-testid="audit-csv"]`).Attr("href")
	p = e.get(csvLink)
	if p.status != http.StatusOK || !strings.HasPrefix(p.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("CSV %s: %d %v", csvLink, p.status, p.header)
	}
	records, err := csv.NewReader(strings.NewReader(p.body)).ReadAll()
	if err != nil || len(records) != 2 || strings.Join(records[0], ",") != strings.Join(audit.CSVHeader, ",") {
		t.Fatalf("CSV: %q, %v", records, err)
	}
	for i, cell := range records[1] {
		if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
			t.Errorf("CSV column %s starts a formula: %q", records[0][i], cell)
		}
	}
	jsonLink, _ := e.get("/audit?kind=decision").doc.Find(`[data-testid="audit-json"]`).Attr("href")
	var exported struct {
		Audit []map[string]any
		Head  map[string]any
	}
	if p := e.get(jsonLink); json.Unmarshal([]byte(p.body), &exported) != nil || len(exported.Audit) != 1 ||
		exported.Audit[0]["comment"] != `=HYPERLINK("x")` || exported.Head["anchored"] != false {
		t.Errorf("JSON %s: %s", jsonLink, p.body)
	}

	// The action page links its records.
	link := e.get("/actions/" + id).doc.Find(`[data-testid="audit-link"]`)
	if href, _ := link.Attr("href"); href != "/audit?action="+url.QueryEscape(id) || strings.TrimSpace(link.Text()) != "Audit (1)" {
		t.Errorf("the action page's audit link: %q %q", href, link.Text())
	}

	// A viewer sees neither.
	vera := e.newBrowser()
	form := vera.get("/login")
	if p := vera.post("/login", url.Values{"_csrf": {form.csrf()}, "username": {"vera"}, "password": {"vera's long password"}}); p.status != http.StatusSeeOther {
		t.Fatalf("vera logs in: %d", p.status)
	}
	if p := vera.get("/audit"); p.status != http.StatusForbidden {
		t.Errorf("a viewer's /audit: %d, want 403", p.status)
	}
	if p := vera.get("/audit?format=csv"); p.status != http.StatusForbidden || strings.Contains(p.body, "seq,at") {
		t.Errorf("a viewer's CSV export: %d", p.status)
	}
	if p := vera.get("/actions/" + id); p.doc.Find(`[data-testid="audit-link"]`).Length() != 0 || p.doc.Find(`nav a[href="/audit"]`).Length() != 0 {
		t.Error("a viewer is shown links to the audit trail")
	}
}
