package api_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/api"
	"github.com/sirocco-project/sirocco/internal/audit"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/sqlite"
)

// auditServer serves the API over a store holding n audit records: every
// third refused, actors ann and bob in turn, actions a0 and a1 in turn,
// an hour apart from 2026-03-01T00:00Z, and comments a spreadsheet would
// take for formulas.
func auditServer(t *testing.T, n int) string {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "a.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		r := &engine.AuditRecord{At: t0.Add(time.Duration(i) * time.Hour), Actor: []string{"ann", "bob"}[i%2], Channel: "api",
			Addr: "192.0.2.1", Kind: engine.AuditDecision, ActionExecutionID: []string{"a0", "a1"}[i%2], State: engine.StateSuccess,
			Outcome: engine.AuditAccepted, Comment: "=HYPERLINK(\"http://evil.example\")", AnswerJSON: `{"n":-1}`, Groups: []string{"+ops"}}
		if i%3 == 2 {
			r.Outcome, r.Reason, r.Kind = engine.AuditRefused, "@not an approver", engine.AuditOverride
		}
		if err := st.Update(ctx, func(tx engine.Tx) error { return tx.AppendAudit(ctx, r) }); err != nil {
			t.Fatal(err)
		}
	}
	e := echo.New()
	ts := httptest.NewServer(e)
	t.Cleanup(ts.Close)
	v2 := api.New(engine.New(engine.Config{Store: st}), nil)
	v2.SetBaseURL(ts.URL)
	v2.Register(e)
	return ts.URL
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestAuditJSON: GET /v2/audit pages the trail newest first with its
// filters, links the next page, and carries the head; each record is
// exported whole.
func TestAuditJSON(t *testing.T) {
	t.Parallel()
	base := auditServer(t, 7)
	type page struct {
		Audit []map[string]any `json:"audit"`
		Head  struct {
			Seq      int64  `json:"seq"`
			Hash     string `json:"hash"`
			Anchored bool   `json:"anchored"`
		} `json:"head"`
		Next string `json:"next"`
	}
	read := func(url string) (page, *http.Response) {
		t.Helper()
		resp, body := get(t, url)
		var p page
		if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &p) != nil {
			t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
		}
		return p, resp
	}
	seqs := func(p page) []float64 {
		var out []float64
		for _, r := range p.Audit {
			out = append(out, r["seq"].(float64))
		}
		return out
	}
	p, resp := read(base + "/v2/audit?limit=3")
	if got := seqs(p); len(got) != 3 || got[0] != 7 || got[2] != 5 || p.Head.Seq != 7 || len(p.Head.Hash) != 64 || p.Head.Anchored {
		t.Fatalf("first page: %v, head %+v", got, p.Head)
	}
	if resp.Header.Get("Sirocco-Audit-Head") != "7:"+p.Head.Hash {
		t.Errorf("Sirocco-Audit-Head: %q", resp.Header.Get("Sirocco-Audit-Head"))
	}
	if !strings.HasPrefix(p.Next, base+"/v2/audit?") || !strings.Contains(p.Next, "marker=5") || !strings.Contains(p.Next, "limit=3") {
		t.Fatalf("next: %q", p.Next)
	}
	p, _ = read(p.Next)
	if got := seqs(p); len(got) != 3 || got[0] != 4 || got[2] != 2 {
		t.Errorf("second page: %v", got)
	}
	p, _ = read(p.Next)
	if got := seqs(p); len(got) != 1 || got[0] != 1 || p.Next != "" {
		t.Errorf("last page: %v, next %q", got, p.Next)
	}
	r := p.Audit[0]
	if r["actor"] != "ann" || r["comment"] != `=HYPERLINK("http://evil.example")` || r["state"] != "SUCCESS" || r["prev"] != strings.Repeat("0", 64) ||
		r["at"] != "2026-03-01T00:00:00.000000000Z" || r["answer"].(map[string]any)["n"] != -1.0 {
		t.Errorf("record 1 as exported: %v", r)
	}
	for _, tc := range []struct {
		query string
		want  []float64
	}{
		{"user=bob", []float64{6, 4, 2}},
		{"action=a0&outcome=accepted", []float64{7, 5, 1}},
		{"outcome=refused", []float64{6, 3}},
		{"kind=override", []float64{6, 3}},
		{"since=2026-03-01T04:00:00Z", []float64{7, 6, 5}},
		{"until=2026-03-01T02:00:00Z", []float64{2, 1}},
		{"since=2026-03-01&until=2026-03-01", []float64{7, 6, 5, 4, 3, 2, 1}},
		{"until=2026-02-28", nil},
		{"user=ann&marker=5", []float64{3, 1}},
	} {
		p, _ := read(base + "/v2/audit?" + tc.query)
		if got := seqs(p); len(got) != len(tc.want) || (len(got) > 0 && got[0] != tc.want[0]) || (len(got) > 0 && got[len(got)-1] != tc.want[len(tc.want)-1]) {
			t.Errorf("%s: %v, want %v", tc.query, got, tc.want)
		}
	}
}

// TestAuditBadFilters: a bad filter is 400 naming it, in Mistral's fault
// shape.
func TestAuditBadFilters(t *testing.T) {
	t.Parallel()
	base := auditServer(t, 1)
	for query, want := range map[string]string{
		"outcome=maybe":    "outcome",
		"kind=vote":        "kind",
		"since=yesterday":  "since",
		"until=2026-13-01": "until",
		"limit=0":          "limit",
		"limit=1001":       "limit",
		"limit=x":          "limit",
		"marker=-2":        "marker",
		"format=xml":       "format",
		"usr=ann":          "Unknown filter usr",
		"since=2026-03-02&until=2026-03-01T00:00:00Z": "since",
	} {
		resp, body := get(t, base+"/v2/audit?"+query)
		var f struct{ Faultstring string }
		json.Unmarshal([]byte(body), &f)
		if resp.StatusCode != http.StatusBadRequest || !strings.HasPrefix(f.Faultstring, want) {
			t.Errorf("%s: %d %s, want 400 naming %s", query, resp.StatusCode, body, want)
		}
	}
}

// TestAuditCSV: format=csv is an attachment whose cells never start a
// formula, with the next page in a Link header.
func TestAuditCSV(t *testing.T) {
	t.Parallel()
	base := auditServer(t, 4)
	resp, body := get(t, base+"/v2/audit?format=csv&limit=3&user=ann")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		resp.Header.Get("Content-Disposition") != `attachment; filename="sirocco-audit.csv"` {
		t.Fatalf("CSV: %d %v\n%s", resp.StatusCode, resp.Header, body)
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || strings.Join(rows[0], ",") != strings.Join(audit.CSVHeader, ",") {
		t.Fatalf("rows: %q", rows)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	for _, row := range rows[1:] {
		for i, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("column %s starts a formula: %q", rows[0][i], cell)
			}
		}
		if row[col["comment"]] != `'=HYPERLINK("http://evil.example")` || row[col["groups"]] != "'+ops" || row[col["actor"]] != "ann" {
			t.Errorf("row %v", row)
		}
	}
	if resp.Header.Get("Link") != "" {
		t.Errorf("a Link to a next page after the last one: %q", resp.Header.Get("Link"))
	}
	resp, _ = get(t, base+"/v2/audit?format=csv&limit=1")
	if link := resp.Header.Get("Link"); !strings.Contains(link, "marker=4") || !strings.HasSuffix(link, `>; rel="next"`) {
		t.Errorf("Link: %q", link)
	}
}
