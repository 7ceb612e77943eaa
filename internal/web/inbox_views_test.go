package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/sqlite"
	"github.com/sirocco-project/sirocco/internal/web"
)

// sentAction waits (on the engine's record, as waitingAction does) until
// the action has recorded the request it sent.
func (e *env) sentAction(t *testing.T, id string) *engine.ActionExecution {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		a, err := e.eng.GetActionExecution(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if a.RequestJSON != nil {
			return a
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s sent no request", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestInboxViews: the inbox's people and services views, each counted in
// its tab; a person's row shows the execution's description and who
// started it; a service's row the request sent and, for an admin, a
// cancel form that cancels it.
func TestInboxViews(t *testing.T) {
	t.Parallel()
	e := newEnvAuth(t, testPassword)
	e.login()
	ctx := context.Background()
	if _, err := e.accounts.CreateUser(ctx, auth.Actor{}, "fin1", auth.RoleApprover, "fin1-password-1"); err != nil {
		t.Fatal(err)
	}
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) }))
	t.Cleanup(svc.Close)
	person, err := e.eng.StartExecution(ctx, engine.StartRequest{WorkflowName: "approve", Input: map[string]any{"requester": "bob"},
		Description: "Ticket 4411: a VM for the data team", CreatedBy: "carol"})
	if err != nil {
		t.Fatal(err)
	}
	personID := e.waitingAction(t, person.ID)
	service, err := e.eng.StartExecution(ctx, engine.StartRequest{WorkflowName: "order_vm", Input: map[string]any{"url": svc.URL + "/vms"}})
	if err != nil {
		t.Fatal(err)
	}
	serviceID := e.sentAction(t, e.waitingAction(t, service.ID)).ID

	ids := func(p *page) []string {
		var out []string
		p.doc.Find(`table[data-testid="inbox"] tr[data-testid="inbox-row"]`).Each(func(_ int, s *goquery.Selection) {
			id, _ := s.Attr("data-id")
			out = append(out, id)
		})
		return out
	}
	for _, tt := range []struct {
		path    string
		want    []string
		current string
	}{
		{"/", []string{personID, serviceID}, "view-all"},
		{"/?view=people", []string{personID}, "view-people"},
		{"/?view=services", []string{serviceID}, "view-services"},
	} {
		p := e.get(tt.path)
		if p.status != http.StatusOK {
			t.Fatalf("%s: %d", tt.path, p.status)
		}
		if got := ids(p); strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("%s lists %v, want %v", tt.path, got, tt.want)
		}
		for sel, want := range map[string]string{
			`[data-testid="view-all-count"]`: "2", `[data-testid="view-people-count"]`: "1", `[data-testid="view-services-count"]`: "1",
		} {
			if got := p.text(sel); got != want {
				t.Errorf("%s: %s = %q, want %q", tt.path, sel, got, want)
			}
		}
		if cur, _ := p.doc.Find(`[data-testid="views"] [aria-current="page"]`).Attr("data-testid"); cur != tt.current {
			t.Errorf("%s: the current view is %q, want %q", tt.path, cur, tt.current)
		}
	}

	p := e.get("/?view=people")
	row := `tr[data-id="` + personID + `"] `
	if got := p.text(row + `[data-testid="row-description"]`); got != "Ticket 4411: a VM for the data team" {
		t.Errorf("the person's row: description %q", got)
	}
	if got := p.text(row + `[data-testid="row-started-by"]`); got != "started by carol" {
		t.Errorf("the person's row: %q", got)
	}
	if n := p.doc.Find(row + `[data-testid="row-cancel"]`).Length(); n != 0 {
		t.Error("a person's row offers a cancel form")
	}

	p = e.get("/?view=services")
	row = `tr[data-id="` + serviceID + `"] `
	if got := p.text(row + `[data-testid="row-request"]`); got != "POST "+svc.URL+"/vms" {
		t.Errorf("the service's row: request %q, want POST %s/vms", got, svc.URL)
	}
	if p.doc.Find(row+`form[data-testid="row-cancel"]`).Length() != 1 {
		t.Fatal("the service's row has no cancel form for the admin")
	}

	if p := e.get("/?view=robots"); p.status != http.StatusBadRequest || !strings.Contains(p.body, "view must be") {
		t.Errorf("view=robots: %d", p.status)
	}
	// Cancelling a person's action from the services view is refused.
	if res := e.post("/actions/"+personID+"/cancel", url.Values{"_csrf": {p.csrf()}}); res.status != http.StatusConflict || !strings.Contains(res.body, "does not wait for a service") {
		t.Errorf("cancel of a person's action: %d, want 409", res.status)
	}
	// An approver sees the services view, but no cancel form, and may
	// not cancel.
	fin := e.as("fin1")
	fp := fin.get("/?view=services")
	if fp.status != http.StatusOK || fp.doc.Find(row+`[data-testid="row-request"]`).Length() != 1 || fp.doc.Find(row+`form[data-testid="row-cancel"]`).Length() != 0 {
		t.Errorf("an approver's services view: %d, cancel forms %d", fp.status, fp.doc.Find(`form[data-testid="row-cancel"]`).Length())
	}
	if res := fin.post("/actions/"+serviceID+"/cancel", url.Values{"_csrf": {fp.csrf()}}); res.status != http.StatusForbidden {
		t.Errorf("an approver's cancel: %d, want 403", res.status)
	}
	res := e.post("/actions/"+serviceID+"/cancel", url.Values{"_csrf": {p.csrf()}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/?view=services" {
		t.Fatalf("cancel: %d to %q", res.status, res.header.Get("Location"))
	}
	a, err := e.eng.GetActionExecution(ctx, serviceID)
	if err != nil {
		t.Fatal(err)
	}
	if a.State != engine.StateCancelled || a.CompletedVia == nil || *a.CompletedVia != engine.ViaDashboard {
		t.Errorf("after cancel: %s via %v", a.State, a.CompletedVia)
	}
	if got := e.get("/?view=services").text(`[data-testid="view-services-count"]`); got != "0" {
		t.Errorf("services after the cancel: %q", got)
	}
}

// TestInboxOverdue: a service's row past its task's timeout says by how
// much (the dashboard's clock two hours on, the task's timeout a minute).
func TestInboxOverdue(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "overdue.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) }))
	eng := engine.New(engine.Config{Store: st, BaseURL: "http://sirocco.test"})
	done := make(chan struct{})
	go func() { eng.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; svc.Close(); st.Close() })
	e := echo.New()
	later := time.Now().Add(2 * time.Hour)
	web.New(web.Config{Engine: eng, BaseURL: "http://sirocco.test", Now: func() time.Time { return later }}).Register(e)
	ts := httptest.NewServer(e)
	t.Cleanup(ts.Close)
	if _, err := eng.CreateWorkflows(ctx, nil, `version: '2.0'
slow:
  tasks:
    order:
      action: std.mistral_http url=`+svc.URL+`
      timeout: 60
`, "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.StartExecution(ctx, engine.StartRequest{WorkflowName: "slow"}); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/inbox?view=services", nil)
	req.Header.Set("Accept", "text/html")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	doc, err := goquery.NewDocumentFromReader(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(strings.Fields(doc.Find(`tr[data-testid="inbox-row"] time.overdue`).Text()), " ")
	if !strings.HasPrefix(got, "overdue by 1h 5") {
		t.Errorf("the row's timeout says %q, want overdue by about 1h 59m", got)
	}
}
