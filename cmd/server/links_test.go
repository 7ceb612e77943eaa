package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/pgtest"
)

// linkTokens returns the tokens of approval actionID's decision links by
// person, as the server signs them: read from its SQLite file and signed
// with the key it derives from its secret. Nothing over HTTP gives them:
// only each person is sent theirs.
func linkTokens(t *testing.T, db, actionID string) map[string]string {
	t.Helper()
	raw := rawDB(t, db)
	var secret []byte
	if err := raw.QueryRow(`SELECT value FROM secrets WHERE name = 'callback'`).Scan(&secret); err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("sirocco decision link key"))
	signer := engine.New(engine.Config{Links: engine.LinkConfig{Key: m.Sum(nil)}})
	rows, err := raw.Query(`SELECT id, user_name, expires_at FROM decision_links WHERE action_execution_id = ?`, actionID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		l := &engine.DecisionLink{ActionExecutionID: actionID}
		var expires string
		if err := rows.Scan(&l.ID, &l.User, &expires); err != nil {
			t.Fatal(err)
		}
		if l.ExpiresAt, err = time.Parse("2006-01-02 15:04:05.999999", expires); err != nil {
			t.Fatal(err)
		}
		out[l.User] = signer.LinkToken(l)
	}
	return out
}

// startVMApproval starts request_vm as rita and returns the approval's id
// and its links' tokens.
func startVMApproval(t *testing.T, s *authServer, tok map[string]string) (string, map[string]string) {
	t.Helper()
	r := s.req(t, "POST", "/v2/executions", tok["rita"], map[string]any{"workflow_name": "request_vm"}, nil)
	if r.Status != http.StatusCreated {
		t.Fatalf("start request_vm: %d %s", r.Status, r.Raw)
	}
	id := str(t, s.runningAction(t, str(t, r.JSON, "id")), "id")
	links := linkTokens(t, s.DB, id)
	if len(links) != 2 || links["fin1"] == "" || links["sec1"] == "" {
		t.Fatalf("links of the approval: %v; want fin1's and sec1's", links)
	}
	return id, links
}

var linkFormRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// decideByLink opens a link with client (logged in as its person) and
// approves with the VM's answer; it returns the POST's answer.
func decideByLink(t *testing.T, base string, client *http.Client, token string) response {
	t.Helper()
	page := sendWith(t, client, "GET", base+"/links/"+token, "", nil, map[string]string{"Accept": "text/html"})
	if page.Status != http.StatusOK || page.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("GET the link: %d, Referrer-Policy %q; want 200, no-referrer", page.Status, page.Header.Get("Referrer-Policy"))
	}
	// The page's last _csrf is its decision form's (the header's logout
	// form comes first).
	all := linkFormRE.FindAllStringSubmatch(page.Raw, -1)
	if len(all) == 0 {
		t.Fatalf("no form on the link page:\n%.2000s", page.Raw)
	}
	form := url.Values{"_csrf": {all[len(all)-1][1]}, "answering": {"1"}, "state": {"SUCCESS"}, "cores": {"4"}, "zone": {"eu-west"}}
	return sendWith(t, client, "POST", base+"/links/"+token, "", form, map[string]string{"Accept": "text/html", "Origin": base})
}

// linkState is the state of user's link to approval id, as the API lists
// it to an admin.
func linkState(t *testing.T, base, admin, id, user string) string {
	t.Helper()
	c := &authServer{testServer: &testServer{URL: base}}
	r := c.req(t, "GET", "/sirocco/approvals/"+id+"/links", admin, nil, nil)
	list, _ := r.JSON["links"].([]any)
	for _, l := range list {
		if m := l.(map[string]any); m["user"] == user {
			return m["state"].(string)
		}
	}
	t.Fatalf("no link of %s in %d %s", user, r.Status, r.Raw)
	return ""
}

// TestDecisionLinkServer: on the whole server, with its key and its
// logger at debug level, a person decides through their link from the
// dashboard (a GET first, which decides nothing), channel link; the link
// is then used; the log never holds a token, only /links/:token.
func TestDecisionLinkServer(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t)
	tok := s.approvalPeople(t)
	id, links := startVMApproval(t, s, tok)
	fin1, _ := s.dashboardLogin(t, "fin1", "fin1-password-1")
	if got := linkState(t, s.URL, s.tokens["admin"], id, "fin1"); got != "live" {
		t.Fatalf("fin1's link before: %s", got)
	}
	if r := decideByLink(t, s.URL, fin1, links["fin1"]); r.Status != http.StatusSeeOther {
		t.Fatalf("POST the link: %d %.1000s", r.Status, r.Raw)
	}
	if got := linkState(t, s.URL, s.tokens["admin"], id, "fin1"); got != "used" {
		t.Errorf("fin1's link after: %s; want used", got)
	}
	audit := s.req(t, "GET", "/v2/audit?limit=1000", s.tokens["admin"], nil, nil)
	if !strings.Contains(audit.Raw, `"channel": "link"`) && !strings.Contains(audit.Raw, `"channel":"link"`) {
		t.Errorf("no audit record via link:\n%.2000s", audit.Raw)
	}
	log := s.stderr.String()
	if !strings.Contains(log, "path=/links/:token") {
		t.Errorf("the log has no request to /links/:token: the check below would prove nothing")
	}
	s.checkLogClean(t, links["fin1"], strings.Split(links["fin1"], ".")[1], strings.Split(links["sec1"], ".")[1])
}

// TestDecisionLinkMigrateTo: a link issued on SQLite decides on
// PostgreSQL after migrate-to: its row and the key's secret move.
func TestDecisionLinkMigrateTo(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t)
	tok := s.approvalPeople(t)
	id, links := startVMApproval(t, s, tok)
	dsn := pgtest.DSN(t)
	s.Stop(t)
	var out strings.Builder
	if err := run(context.Background(), []string{"migrate-to", "-db", s.DB, dsn}, func(string) string { return "" }, &out, &out); err != nil {
		t.Fatalf("migrate-to: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "decision_links ") {
		t.Errorf("migrate-to's report lacks decision_links:\n%s", out.String())
	}
	p := &authServer{testServer: startServerEnv(t, map[string]string{"SIROCCO_AUTH": "on", "SIROCCO_ADMIN_PASSWORD": testAdminPassword}, "-db", dsn)}
	fin1, _ := p.dashboardLogin(t, "fin1", "fin1-password-1")
	if r := decideByLink(t, p.URL, fin1, links["fin1"]); r.Status != http.StatusSeeOther {
		t.Fatalf("fin1's link after the move: %d %.1000s", r.Status, r.Raw)
	}
	if got := linkState(t, p.URL, s.tokens["admin"], id, "fin1"); got != "used" {
		t.Errorf("fin1's link after deciding on PostgreSQL: %s; want used", got)
	}
	if got := linkState(t, p.URL, s.tokens["admin"], id, "sec1"); got != "live" {
		t.Errorf("sec1's link after the move: %s; want live", got)
	}
}
