package web_test

import (
	"context"
	"encoding/json"
	"github.com/PuerkitoBio/goquery"
	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/engine"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestAdminLastAdmin: the only admin's row has no Delete button (the
// server refuses to delete it); once there is a second admin, both have one.
func TestAdminLastAdmin(t *testing.T) {
	t.Parallel()
	e := newEnvAuth(t, testPassword)
	tok := e.login()
	deletes := func(user string) int {
		t.Helper()
		return e.get("/admin").doc.Find(`tr[data-user="` + user + `"] form[action$="/delete"] button`).Length()
	}
	if n := deletes("admin"); n != 0 {
		t.Errorf("the last admin has %d Delete buttons", n)
	}
	if e.get("/admin").doc.Find(`tr[data-user="admin"] [data-testid="last-admin"]`).Length() != 1 {
		t.Error("the last admin's row does not say why it has no Delete button")
	}
	if p := e.post("/admin/users", url.Values{"_csrf": {tok}, "name": {"bea"}, "role": {"admin"}, "password": {"bea's long password"}}); p.status != http.StatusSeeOther {
		t.Fatalf("create bea: %d %s", p.status, p.body)
	}
	for _, u := range []string{"admin", "bea"} {
		if n := deletes(u); n != 1 {
			t.Errorf("with two admins, %s has %d Delete buttons", u, n)
		}
	}
}

// TestAdminTokenLabels: an API token's value starts with sirocco_ and the
// first characters of its id, and the tokens table shows that start, so
// that two tokens can be told apart and a holder can find theirs.
func TestAdminTokenLabels(t *testing.T) {
	t.Parallel()
	e := newEnvAuth(t, testPassword)
	tok := e.login()
	var values []string
	for _, name := range []string{"ci", "provisioning"} {
		p := e.post("/admin/tokens", url.Values{"_csrf": {tok}, "name": {name}, "role": {"approver"}})
		if p.status != http.StatusOK {
			t.Fatalf("create token %s: %d %s", name, p.status, p.body)
		}
		values = append(values, strings.TrimSpace(p.doc.Find(`[data-testid="new-token-value"]`).Text()))
	}
	labels := e.get("/admin").doc.Find(`[data-testid="token-label"]`)
	if labels.Length() != 2 {
		t.Fatalf("%d token labels, want 2", labels.Length())
	}
	seen := map[string]bool{}
	labels.Each(func(_ int, l *goquery.Selection) {
		label := strings.TrimSuffix(strings.TrimSpace(l.Text()), "…")
		if len(label) != len("sirocco_")+8 || !strings.HasPrefix(label, "sirocco_") {
			t.Errorf("label %q, want sirocco_ and 8 characters of the id", label)
		}
		seen[label] = true
	})
	for _, v := range values {
		n := len("sirocco_") + 8
		if len(v) <= n || v[n] != '_' || !seen[v[:n]] {
			t.Errorf("token %.16s… starts with no label in the table (%v)", v, seen)
		}
	}
	if len(seen) != 2 {
		t.Errorf("the two tokens share a label: %v", seen)
	}
}

// TestActionExecutionDecided: GET /v2/action_executions/<id> says who
// decided, when, via what and with what comment (Sirocco extensions):
// null before; the person and their comment after a decision in the
// dashboard; no person for a service's callback.
func TestActionExecutionDecided(t *testing.T) {
	t.Parallel()
	e := newEnvAuth(t, testPassword)
	csrf := e.login()
	token, _, err := e.accounts.CreateToken(context.Background(), auth.Actor{}, "admin", "reader", auth.RoleViewer, auth.KindAPI, 0)
	if err != nil {
		t.Fatal(err)
	}
	getJSON := func(id string) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, e.url+"/v2/action_executions/"+id, nil)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		p := e.do(req)
		var m map[string]any
		if p.status != http.StatusOK || json.Unmarshal([]byte(p.body), &m) != nil {
			t.Fatalf("GET %s: %d %s", id, p.status, p.body)
		}
		return m
	}
	_, id := e.startApproval("ann")
	for _, k := range []string{"decided_by", "decided_at", "decided_via", "comment"} {
		if v, ok := getJSON(id)[k]; !ok || v != nil {
			t.Errorf("pending: %s = %v (present %v), want null", k, v, ok)
		}
	}
	if p := e.post("/actions/"+id, url.Values{"_csrf": {csrf}, "state": {"SUCCESS"}, "output": {`"approved"`}, "comment": {"fine by me"}}); p.status != http.StatusSeeOther {
		t.Fatalf("decide: %d %s", p.status, p.body)
	}
	m := getJSON(id)
	if m["decided_by"] != "admin" || m["decided_via"] != "dashboard" || m["comment"] != "fine by me" {
		t.Errorf("decided: by %v via %v comment %v", m["decided_by"], m["decided_via"], m["comment"])
	}
	if at, _ := m["decided_at"].(string); at == "" || at < m["created_at"].(string) {
		t.Errorf("decided_at %v, created_at %v", m["decided_at"], m["created_at"])
	}

	_, machine := e.startApproval("bob")
	if _, _, err := e.eng.DeliverResult(context.Background(), machine, engine.Completion{State: engine.StateSuccess, Output: "done", Via: "api"}); err != nil {
		t.Fatal(err)
	}
	m = getJSON(machine)
	if m["decided_by"] != nil || m["comment"] != nil || m["decided_via"] != "api" || m["decided_at"] == nil {
		t.Errorf("a callback: by %v via %v at %v comment %v", m["decided_by"], m["decided_via"], m["decided_at"], m["comment"])
	}
}
