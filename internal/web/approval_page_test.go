package web_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/engine"
)

// vmRequests are the approvals of the dashboard's tests: a VM request
// that finance and security both approve (one each), one for security
// alone, and one that names fin2.
const vmRequests = `---
version: '2.0'
request_vm:
  input:
    - who: rita
  tasks:
    ask:
      action: std.approval
      input:
        title: A VM for the Q3 load test
        requested_by: <% $.who %>
        description: |
          Rita needs a **large** VM for the Q3 load test, for two weeks:

          - 64 GB of memory, as in [the capacity plan](https://wiki.example/q3)
          - deleted once the test is over
        context:
          project: checkout
          budget_eur: 1200
          owners: [rita, sam]
        schema:
          type: object
          required: [cores, zone]
          additionalProperties: false
          properties:
            cores: {type: integer, title: CPU cores, minimum: 1, maximum: 64, default: 2}
            zone: {title: Zone, enum: [eu-west, us-east]}
            note: {type: string, title: Note}
        approvers: [group:finance, group:security]
        required: [{group: finance, count: 1}, {group: security, count: 1}]

security_only:
  tasks:
    ask:
      action: std.approval
      input:
        title: Open port 8443
        approvers: [group:security]

for_fin2:
  tasks:
    ask:
      action: std.approval
      input:
        title: Rotate the backup keys
        approvers: [user:fin2]
`

// approvalEnv is the server with accounts: rita asks (requester); fin1
// and fin2 are approvers in finance, sec1 one in security; vic is a viewer
// in finance (named by group, but without the approver role), val a
// viewer; ada an admin in no group. All have the password "<name>-password-1".
func approvalEnv(t *testing.T) *env {
	t.Helper()
	return seedApprovalAccounts(t, newEnvAuth(t, testPassword))
}

// seedApprovalAccounts creates approvalEnv's accounts and workflows in e.
func seedApprovalAccounts(t *testing.T, e *env) *env {
	t.Helper()
	ctx := context.Background()
	a := e.accounts
	for _, g := range []string{"finance", "security"} {
		if err := a.CreateGroup(ctx, auth.Actor{}, g, auth.RoleViewer); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []struct {
		name  string
		role  auth.Role
		group string
	}{
		{"rita", auth.RoleRequester, ""}, {"fin1", auth.RoleApprover, "finance"}, {"fin2", auth.RoleApprover, "finance"},
		{"sec1", auth.RoleApprover, "security"}, {"vic", auth.RoleViewer, "finance"}, {"val", auth.RoleViewer, ""},
		{"ada", auth.RoleAdmin, ""},
	} {
		if _, err := a.CreateUser(ctx, auth.Actor{}, u.name, u.role, u.name+"-password-1"); err != nil {
			t.Fatal(err)
		}
		if u.group != "" {
			if err := a.SetMember(ctx, auth.Actor{}, u.group, u.name, true); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := e.eng.CreateWorkflows(ctx, nil, vmRequests, "", engine.ScopePrivate); err != nil {
		t.Fatal(err)
	}
	return e
}

// as returns the server as seen by another browser, logged in as name.
func (e *env) as(name string) *env {
	e.t.Helper()
	jar, _ := cookiejar.New(nil)
	b := *e
	b.client = &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	form := b.get("/login")
	p := b.post("/login", url.Values{"_csrf": {form.csrf()}, "username": {name}, "password": {name + "-password-1"}})
	if p.status != http.StatusSeeOther {
		e.t.Fatalf("login as %s: %d %s", name, p.status, p.text(`[data-testid="error-message"]`))
	}
	return &b
}

// startAs starts workflow wf as user and returns its waiting approval.
func (e *env) startAs(user, wf string) string {
	e.t.Helper()
	ex, err := e.eng.StartExecution(context.Background(), engine.StartRequest{WorkflowName: wf, CreatedBy: user})
	if err != nil {
		e.t.Fatal(err)
	}
	list, err := e.eng.ListActionExecutions(context.Background(), engine.ListQuery{Filters: []engine.Filter{
		{Field: "workflow_execution_id", Op: engine.OpEq, Values: []string{ex.ID}},
	}})
	if err != nil || len(list) != 1 {
		e.t.Fatalf("action executions of %s: %v, %v", ex.ID, list, err)
	}
	return list[0].ID
}

// squashed is a selection's text with its spaces squashed.
func squashed(s *goquery.Selection) string { return strings.Join(strings.Fields(s.Text()), " ") }

// cells is the text of a table's cells, one after the other.
func cells(s *goquery.Selection) string {
	return strings.Join(s.Find("th, td").Map(func(_ int, c *goquery.Selection) string { return squashed(c) }), " ")
}

// buttons lists the data-testid of a selection's buttons.
func buttons(s *goquery.Selection) []string {
	var out []string
	s.Find("button").Each(func(_ int, b *goquery.Selection) { out = append(out, b.AttrOr("data-testid", "?")) })
	return out
}

// TestApprovalPage: an approval's page shows, in this order, what is asked
// (title, who asked, the description rendered harmless, the context as a
// table), the rule and the votes so far, then the decision: the form drawn
// from the schema for an approver among the approvers, the override alone
// for an admin who is not, and for everyone else a read-only panel saying
// why — including someone named by group whose viewer role the server
// would refuse. The generic decision form, context and request sections
// are not drawn; the header counts what waits for each person.
func TestApprovalPage(t *testing.T) {
	t.Parallel()
	e := approvalEnv(t)
	id := e.startAs("rita", "request_vm")
	path := "/actions/" + id

	cases := []struct {
		who      string
		buttons  []string
		fields   bool
		readonly string // the read-only panel's text, "" for none
		waiting  string // the header's count, "" for none
	}{
		{who: "fin1", buttons: []string{"approve", "reject"}, fields: true, waiting: "1"},
		{who: "sec1", buttons: []string{"approve", "reject"}, fields: true, waiting: "1"},
		{who: "ada", buttons: []string{"override-approve", "override-reject"}, fields: true, waiting: "0"},
		{who: "vic", readonly: "You are among this approval's approvers, but deciding needs the approver role"},
		{who: "val", readonly: "Only the approvers may decide this approval: group:finance, group:security."},
		{who: "rita", readonly: "You requested this approval, so someone else must decide it."},
	}
	for _, c := range cases {
		t.Run(c.who, func(t *testing.T) {
			p := e.as(c.who).get(path)
			if p.status != http.StatusOK {
				t.Fatalf("GET %s as %s: %d", path, c.who, p.status)
			}
			d := p.doc
			if got := squashed(d.Find(`[data-testid="approval-title"]`)); got != "A VM for the Q3 load test" {
				t.Errorf("title %q", got)
			}
			if got := squashed(d.Find(`title`)); !strings.HasPrefix(got, "A VM for the Q3 load test") {
				t.Errorf("the page's title %q, want the approval's", got)
			}
			if got := squashed(d.Find(`[data-testid="approval-requested-by"]`)); got != "Requested by rita" {
				t.Errorf("requested by %q", got)
			}
			if d.Find(`[data-testid="approval-description"] strong`).Text() != "large" ||
				d.Find(`[data-testid="approval-description"] a[rel="noopener noreferrer"]`).AttrOr("href", "") != "https://wiki.example/q3" {
				t.Errorf("the description is not rendered as safe Markdown: %s", d.Find(`[data-testid="approval-description"]`).Text())
			}
			if got := cells(d.Find(`[data-testid="context"] table`).First()); !strings.Contains(got, "budget_eur 1200") || !strings.Contains(got, "project checkout") {
				t.Errorf("context table %q", got)
			}
			if got := squashed(d.Find(`[data-testid="approval-missing"]`)); got != "Still needed: 1 more from finance and 1 more from security" {
				t.Errorf("missing %q", got)
			}
			// The order a person decides in.
			html := p.body
			order := []string{`data-testid="approval-description"`, `data-testid="context"`, `data-region="approval-progress"`, `data-region="approval-decision"`}
			for i := 1; i < len(order); i++ {
				if strings.Index(html, order[i-1]) > strings.Index(html, order[i]) {
					t.Errorf("%s comes after %s", order[i-1], order[i])
				}
			}
			for _, sel := range []string{`form[data-testid="decision-form"]`, `[data-region="decision"]`, `[data-region="context"]`, `[data-region="request"]`} {
				if d.Find(sel).Length() != 0 {
					t.Errorf("an approval's page draws %s", sel)
				}
			}
			decision := d.Find(`[data-region="approval-decision"]`)
			if got := buttons(decision); strings.Join(got, " ") != strings.Join(c.buttons, " ") {
				t.Errorf("buttons %v, want %v", got, c.buttons)
			}
			if got := decision.Find(`[data-testid="field"]`).Length() > 0; got != c.fields {
				t.Errorf("fields drawn: %v, want %v", got, c.fields)
			}
			ro := decision.Find(`[data-testid="approval-readonly"]`)
			if got := squashed(ro); (c.readonly == "") != (ro.Length() == 0) || !strings.HasPrefix(got, c.readonly) {
				t.Errorf("read-only panel %q, want %q", got, c.readonly)
			}
			if c.readonly != "" && decision.Find("form").Length() != 0 {
				t.Error("a form is drawn for someone who may not decide")
			}
			w := d.Find(`[data-testid="waiting-count"]`)
			if got := w.Text(); got != c.waiting || (c.waiting == "") != (w.Length() == 0) {
				t.Errorf("the header counts %q waiting, want %q", got, c.waiting)
			}
			if topics := d.Find(`main`).AttrOr("data-live-topics", ""); topics != "action:"+id+" execution:"+executionOf(t, e, id) {
				t.Errorf("live topics %q", topics)
			}
		})
	}

	// What the viewer's role forbids, the server refuses too: the page
	// promised nothing else.
	vic := e.as("vic")
	p := vic.post(path, url.Values{"_csrf": {vic.get(path).csrf()}, "state": {"SUCCESS"}, "cores": {"2"}, "zone": {"eu-west"}})
	if p.status != http.StatusForbidden {
		t.Errorf("vic's vote: %d, want 403", p.status)
	}
}

func executionOf(t *testing.T, e *env, actionID string) string {
	t.Helper()
	a, err := e.eng.GetActionExecution(context.Background(), actionID)
	if err != nil || a.WorkflowExecutionID == nil {
		t.Fatalf("action %s: %v", actionID, err)
	}
	return *a.WorkflowExecutionID
}

// TestApprovalPageVotes: a form the schema refuses comes back (422) with
// the error under its field and everything typed kept, nothing recorded;
// so does a vote the engine refuses (403 for an admin's plain vote where
// the approvers do not name her), with the refusal at the top. A vote
// counted redirects; the page then says so, lists it, and waits for the
// rest, whose approver now confirms the proposed answer (a form drawn
// before it, with another answer, is refused naming it). The last vote
// decides; a stale form posted afterwards records nothing and shows what
// was typed.
func TestApprovalPageVotes(t *testing.T) {
	t.Parallel()
	e := approvalEnv(t)
	id := e.startAs("rita", "request_vm")
	path := "/actions/" + id
	fin1 := e.as("fin1")
	csrf := fin1.get(path).csrf()

	p := fin1.post(path, url.Values{"_csrf": {csrf}, "state": {"SUCCESS"}, "cores": {"100"}, "zone": {"us-east"},
		"note": {"two weeks"}, "comment": {"fine by finance"}})
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("cores 100: %d, want 422", p.status)
	}
	cores := p.doc.Find(`[data-testid="field"][data-name="cores"]`)
	if got := squashed(cores.Find(`[data-testid="field-error"]`)); got != "CPU cores must be at most 64." {
		t.Errorf("the error under cores %q", got)
	}
	if n := p.doc.Find(`[data-testid="field-error"]`).Length(); n != 1 {
		t.Errorf("%d field errors, want the one under cores", n)
	}
	for sel, want := range map[string]string{
		`input[name="cores"]`:                       "100",
		`input[name="zone"][value="us-east"]`:       "checked",
		`input[name="note"], textarea[name="note"]`: "two weeks",
		`textarea[name="comment"]`:                  "fine by finance",
	} {
		s := p.doc.Find(sel)
		got := s.AttrOr("value", s.Text())
		if want == "checked" {
			_, ok := s.Attr("checked")
			got = map[bool]string{true: "checked", false: "not checked"}[ok]
		}
		if got != want {
			t.Errorf("%s holds %q, want %q (what was typed)", sel, got, want)
		}
	}
	if votes, _ := e.eng.ApprovalStatus(context.Background(), id); len(votes.Votes) != 0 {
		t.Errorf("a refused form recorded %d votes", len(votes.Votes))
	}

	// The engine's refusal: ada may override, not vote.
	ada := e.as("ada")
	p = ada.post(path, url.Values{"_csrf": {ada.get(path).csrf()}, "state": {"ERROR"}, "comment": {"too big for Q3"}})
	if p.status != http.StatusForbidden {
		t.Fatalf("ada's plain vote: %d, want 403", p.status)
	}
	if got := squashed(p.doc.Find(`[data-testid="form-error"]`)); !strings.Contains(got, "Only the approvers may decide this approval") {
		t.Errorf("the refusal at the top of the form %q", got)
	}
	if got := p.doc.Find(`textarea[name="comment"]`).Text(); got != "too big for Q3" {
		t.Errorf("after the refusal the comment holds %q", got)
	}

	p = fin1.post(path, url.Values{"_csrf": {csrf}, "state": {"SUCCESS"}, "cores": {"8"}, "zone": {"us-east"}, "note": {"two weeks"}, "comment": {"fine by finance"}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != path+"?notice=voted" {
		t.Fatalf("fin1's vote: %d → %q", p.status, p.header.Get("Location"))
	}
	p = fin1.get(path + "?notice=voted")
	if got := squashed(p.doc.Find(`[data-testid="notice"]`)); !strings.Contains(got, "Your vote was recorded") {
		t.Errorf("notice %q", got)
	}
	if got := squashed(p.doc.Find(`[data-testid="my-vote"]`)); !strings.HasPrefix(got, "You approved this") || !strings.Contains(got, "Still needed: 1 more from security") {
		t.Errorf("my vote %q", got)
	}
	vote := p.doc.Find(`[data-testid="vote"][data-user="fin1"]`)
	if got := squashed(vote); !strings.Contains(got, "approved") || !strings.Contains(got, "finance") || !strings.Contains(got, "fine by finance") || !strings.Contains(got, "dashboard") {
		t.Errorf("fin1's vote row %q", got)
	}
	if got := p.text(`[data-testid="waiting-count"]`); got != "0" {
		t.Errorf("after voting fin1's header counts %q", got)
	}

	// sec1's form was drawn before fin1's answer: what it sends is not
	// taken as a confirmation of an answer sec1 has not seen.
	sec1 := e.as("sec1")
	p = sec1.post(path, url.Values{"_csrf": {sec1.get("/").csrf()}, "answering": {"1"}, "state": {"SUCCESS"}, "cores": {"2"}, "zone": {"eu-west"},
		"comment": {"ok for security"}})
	if p.status != http.StatusConflict || !strings.Contains(p.text(`[data-testid="form-error"]`), "A different answer is proposed") {
		t.Errorf("sec1's stale form: %d %q, want 409 naming the proposal", p.status, p.text(`[data-testid="form-error"]`))
	}
	if p.doc.Find(`[data-testid="confirming"]`).Length() != 1 || p.doc.Find(`textarea[name="comment"]`).Text() != "ok for security" {
		t.Error("after the stale form sec1 is not asked to confirm, or the comment is lost")
	}
	p = sec1.get(path)
	if got := cells(p.doc.Find(`[data-testid="proposal"]`)) + " " + squashed(p.doc.Find(`[data-testid="proposal"] p`)); !strings.Contains(got, "CPU cores 8") || !strings.Contains(got, "By fin1") {
		t.Errorf("the proposal shown to sec1 %q", got)
	}
	if p.doc.Find(`[data-testid="confirming"]`).Length() != 1 || p.doc.Find(`[data-region="approval-decision"] [data-testid="field"]`).Length() != 0 {
		t.Error("sec1 is asked for an answer again, not to confirm the proposal")
	}
	p = sec1.post(path, url.Values{"_csrf": {p.csrf()}, "state": {"SUCCESS"}, "comment": {"ok for security"}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != path+"?notice=decided" {
		t.Fatalf("sec1's vote: %d → %q", p.status, p.header.Get("Location"))
	}
	p = sec1.get(path)
	if p.doc.Find(`[data-testid="approval-closed"]`).Length() != 1 || p.doc.Find(`[data-region="approval-decision"] [data-testid="completed"]`).Length() != 1 {
		t.Error("the decided approval does not show its outcome in the decision section")
	}
	if got := p.text(`[data-testid="action-output"]`); !strings.Contains(got, `"cores": 8`) || !strings.Contains(got, `"approved": true`) {
		t.Errorf("the outcome %q", got)
	}

	// fin2 had the page open and posts late.
	fin2 := e.as("fin2")
	p = fin2.post(path, url.Values{"_csrf": {fin2.get("/").csrf()}, "state": {"ERROR"}, "comment": {"no: too late in the quarter"}})
	if p.status != http.StatusConflict {
		t.Fatalf("fin2's late vote: %d, want 409", p.status)
	}
	if got := p.text(`[data-testid="notice"]`); !strings.Contains(got, "not recorded") || !strings.Contains(got, "already decided") {
		t.Errorf("notice %q", got)
	}
	if got := p.text(`[data-testid="unrecorded-comment"]`); got != "no: too late in the quarter" {
		t.Errorf("what fin2 typed %q", got)
	}
	a, _ := e.eng.GetActionExecution(context.Background(), id)
	if a.State != engine.StateSuccess {
		t.Errorf("state %s after the late vote", a.State)
	}

	// The context downloads whole.
	res := e.as("val").get(path + "/context.json")
	if res.status != http.StatusOK || !strings.Contains(res.body, `"budget_eur"`) || res.header.Get("Content-Type") != "application/json" {
		t.Errorf("context.json: %d %s %q", res.status, res.header.Get("Content-Type"), res.body)
	}
}

// TestNonApprovalPageUnchanged: an action that is no approval keeps its
// page: the JSON form and the generic context, no approval panel; and it
// has no context to download. (std.async_noop sends no request: since
// issue 17 its page has no request section saying so.)
func TestNonApprovalPageUnchanged(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, id := e.startApproval("bob")
	p := e.get("/actions/" + id)
	for sel, want := range map[string]int{
		`form[data-testid="decision-form"]`: 1, `[data-region="decision"]`: 1, `[data-region="context"]`: 1, `[data-region="request"]`: 0,
		`[data-testid="approval"]`: 0, `[data-region="approval-progress"]`: 0, `[data-region="approval-decision"]`: 0,
	} {
		if n := p.doc.Find(sel).Length(); n != want {
			t.Errorf("%d of %s, want %d", n, sel, want)
		}
	}
	if p := e.get("/actions/" + id + "/context.json"); p.status != http.StatusNotFound {
		t.Errorf("context.json of a std.async_noop: %d, want 404", p.status)
	}
}

// rowsOf maps the rows of a table (a selection's inbox rows) to their
// ids, in order.
func rowsOf(s *goquery.Selection) []string {
	return s.Find(`tr[data-testid="inbox-row"]`).Map(func(_ int, r *goquery.Selection) string { return r.AttrOr("data-id", "?") })
}

// TestInboxWaitingForMe: the inbox knows its person. Approvals they may
// decide come first ("Waiting for me", counted), then everything pending,
// where an approval's row shows its title, who asked, what is still
// missing and whether it is theirs or read-only; ?mine=1 lists only
// theirs. A vote takes the approval out of the voter's. Every page's
// header counts what waits, for approvers only; /inbox/waiting is that
// count alone, for the page script.
func TestInboxWaitingForMe(t *testing.T) {
	t.Parallel()
	e := approvalEnv(t)
	vm := e.startAs("rita", "request_vm")
	port := e.startAs("rita", "security_only")
	keys := e.startAs("rita", "for_fin2")
	vm2 := e.startAs("rita", "request_vm")
	_, noop := e.startApproval("bob") // a std.async_noop

	fin1 := e.as("fin1")
	p := fin1.get("/")
	mine := p.doc.Find(`[data-testid="mine"]`)
	if got := rowsOf(mine); strings.Join(got, " ") != vm+" "+vm2 {
		t.Errorf("waiting for fin1: %v, want [%s %s] (oldest first)", got, vm, vm2)
	}
	if got := mine.Find(`[data-testid="mine-count"]`).Text(); got != "2" {
		t.Errorf("the section counts %q", got)
	}
	if got := p.text(`[data-testid="waiting-count"]`); got != "2" {
		t.Errorf("the header counts %q", got)
	}
	if strings.Index(p.body, `data-testid="mine"`) > strings.Index(p.body, `data-testid="inbox"`) {
		t.Error("Waiting for me comes after the whole list")
	}
	all := p.doc.Find(`table[data-testid="inbox"]`)
	if got := rowsOf(all); strings.Join(got, " ") != strings.Join([]string{vm, port, keys, vm2, noop}, " ") {
		t.Errorf("all pending: %v", got)
	}
	row := func(id string) *goquery.Selection { return all.Find(`tr[data-id="` + id + `"]`) }
	for id, want := range map[string][]string{
		vm:   {"A VM for the Q3 load test", "asked by rita", "Still needed: 1 more from finance and 1 more from security", "yours to decide"},
		port: {"Open port 8443", "asked by rita", "Still needed: 1 more approval", "read-only"},
		keys: {"Rotate the backup keys", "Still needed: 1 more approval", "read-only"},
		noop: {"std.async_noop", `"requester": "bob"`},
	} {
		got := squashed(row(id))
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("row %s %q lacks %q", id, got, w)
			}
		}
	}
	if got := squashed(row(port).Find(`[data-testid="inbox-link"]`)); got != "Open port 8443" {
		t.Errorf("an approval's link reads %q, want its title", got)
	}
	if row(vm).Find(`[data-testid="row-readonly"]`).Length() != 0 || row(port).Find(`[data-testid="row-mine"]`).Length() != 0 {
		t.Error("a row is marked both ways")
	}

	// ?mine=1: only fin1's, counted; and the fragment carries the section.
	p = fin1.get("/?mine=1")
	if got := rowsOf(p.doc.Find(`table[data-testid="inbox"]`)); strings.Join(got, " ") != vm+" "+vm2 || p.doc.Find(`[data-testid="mine"]`).Length() != 0 {
		t.Errorf("?mine=1 lists %v", got)
	}
	if got := p.text(`[data-testid="count-waiting"]`); got != "2" {
		t.Errorf("?mine=1 counts %q", got)
	}
	if p := fin1.get("/?fragment=1"); p.doc.Find(`[data-region="mine-rows"] tr[data-id="`+vm+`"]`).Length() != 1 {
		t.Error("the inbox's fragment lacks the Waiting for me rows")
	}

	// fin1 votes: vm leaves fin1's, and stays sec1's with what is missing.
	form := fin1.get("/actions/" + vm)
	fin1.post("/actions/"+vm, url.Values{"_csrf": {form.csrf()}, "state": {"SUCCESS"}, "cores": {"4"}, "zone": {"eu-west"}})
	p = fin1.get("/")
	if got := rowsOf(p.doc.Find(`[data-testid="mine"]`)); strings.Join(got, " ") != vm2 {
		t.Errorf("after voting, waiting for fin1: %v", got)
	}
	if got := p.text(`[data-testid="waiting-count"]`); got != "1" {
		t.Errorf("after voting fin1's header counts %q", got)
	}
	p = e.as("sec1").get("/")
	if got := squashed(p.doc.Find(`[data-testid="mine"] tr[data-id="` + vm + `"]`)); !strings.Contains(got, "Still needed: 1 more from security") {
		t.Errorf("sec1's row of vm after fin1's vote %q", got)
	}
	if got := rowsOf(p.doc.Find(`[data-testid="mine"]`)); strings.Join(got, " ") != strings.Join([]string{vm, port, vm2}, " ") {
		t.Errorf("waiting for sec1: %v", got)
	}

	// Every page's header, for who decides; the count alone for the script.
	for _, c := range []struct{ who, want string }{{"fin2", "3"}, {"ada", "0"}, {"val", ""}, {"rita", ""}} {
		b := e.as(c.who)
		p := b.get("/executions")
		w := p.doc.Find(`[data-testid="waiting-count"]`)
		if w.Text() != c.want || (c.want == "") != (w.Length() == 0) {
			t.Errorf("%s's header on /executions counts %q, want %q", c.who, w.Text(), c.want)
		}
		f := b.get("/inbox/waiting")
		if c.want == "" {
			if f.status != http.StatusNoContent {
				t.Errorf("/inbox/waiting for %s: %d, want 204", c.who, f.status)
			}
			continue
		}
		if f.status != http.StatusOK || f.text(`a[data-waiting] [data-testid="waiting-count"]`) != c.want || f.doc.Find("html body > a[data-waiting]").Length() != 1 {
			t.Errorf("/inbox/waiting for %s: %d %q", c.who, f.status, f.body)
		}
	}
	// ada, an admin named by none, may override them all.
	p = e.as("ada").get("/")
	if got := squashed(p.doc.Find(`table[data-testid="inbox"] tr[data-id="` + port + `"] [data-testid="row-readonly"]`)); got != "read-only · you may override" {
		t.Errorf("ada's row of port: %q", got)
	}
	if p.doc.Find(`[data-testid="mine"] [data-testid="mine-empty"]`).Length() != 1 {
		t.Error("ada's Waiting for me does not say it is empty")
	}
	// A viewer has no section.
	if p := e.as("val").get("/"); p.doc.Find(`[data-testid="mine"]`).Length() != 0 || p.doc.Find(`tr[data-id="`+port+`"] [data-testid="row-readonly"]`).Length() != 1 {
		t.Error("a viewer's inbox: a Waiting for me section, or approvals not read-only")
	}
}
