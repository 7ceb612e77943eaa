package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// vmApproval is the README's example, in a workflow: a VM request that
// one finance and one security approver must approve.
const vmApproval = `version: '2.0'
request_vm:
  input:
    - size: small
    - cost_centre: CC-1
  output:
    answer: <% $.answer %>
  tasks:
    approve:
      action: std.approval
      input:
        title: A <% $.size %> VM for <% $.cost_centre %>
        description: Needed for the **load tests**.
        context: {size: <% $.size %>, cost_centre: <% $.cost_centre %>}
        approvers: [group:finance, group:security]
        required: [{group: finance, count: 1}, {group: security, count: 1}]
        schema:
          type: object
          required: [cores, zone]
          properties:
            cores: {type: integer, minimum: 1, maximum: 64}
            zone: {type: string, enum: [eu-west, eu-north]}
            backup: {type: boolean}
            note: {type: string}
      publish:
        answer: <% task().result %>
`

// approvalPeople adds the groups finance and security (approvers), fin1
// in finance, sec1 in security and rita, a requester, each with an API
// token, and returns the tokens by name.
func (s *authServer) approvalPeople(t *testing.T) map[string]string {
	t.Helper()
	admin := s.tokens["admin"]
	tokens := map[string]string{}
	for _, g := range []string{"finance", "security"} {
		if r := s.req(t, "POST", "/auth/groups", admin, map[string]any{"name": g, "role": "approver"}, nil); r.Status != http.StatusCreated {
			t.Fatalf("create group %s: %d %s", g, r.Status, r.Raw)
		}
	}
	for _, u := range []struct{ name, role, group string }{{"fin1", "viewer", "finance"}, {"sec1", "viewer", "security"}, {"rita", "requester", ""}} {
		pw := u.name + "-password-1"
		s.secrets = append(s.secrets, pw)
		if r := s.req(t, "POST", "/auth/users", admin, map[string]any{"name": u.name, "role": u.role, "password": pw}, nil); r.Status != http.StatusCreated {
			t.Fatalf("create user %s: %d %s", u.name, r.Status, r.Raw)
		}
		role := u.role
		if u.group != "" {
			if r := s.req(t, "PUT", "/auth/groups/"+u.group+"/members/"+u.name, admin, nil, nil); r.Status >= 300 {
				t.Fatalf("add %s to %s: %d %s", u.name, u.group, r.Status, r.Raw)
			}
			role = "approver"
		}
		r := s.req(t, "POST", "/auth/tokens", admin, map[string]any{"name": u.name, "role": role, "user": u.name}, nil)
		if r.Status != http.StatusCreated {
			t.Fatalf("token for %s: %d %s", u.name, r.Status, r.Raw)
		}
		tokens[u.name] = str(t, r.JSON, "token")
		s.secrets = append(s.secrets, tokens[u.name])
	}
	if r := s.req(t, "POST", "/v2/workflows", admin, vmApproval, nil); r.Status != http.StatusCreated {
		t.Fatalf("create workflow: %d %s", r.Status, r.Raw)
	}
	return tokens
}

// TestApprovalOverHTTP: two approvers in different groups decide a VM
// request over the API and through the Go client: the schema is checked
// with each failing field named, the first answer is the proposal, a
// repeat changes nothing, a change of mind is 409, and the result says
// who counted for which rule and through what.
func TestApprovalOverHTTP(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t)
	tok := s.approvalPeople(t)
	r := s.req(t, "POST", "/v2/executions", tok["rita"], map[string]any{"workflow_name": "request_vm", "input": map[string]any{"size": "large"}}, nil)
	if r.Status != http.StatusCreated || r.JSON["created_by"] != "rita" {
		t.Fatalf("rita starts: %d %s", r.Status, r.Raw)
	}
	exID := str(t, r.JSON, "id")
	id := s.pendingAction(t, tok["fin1"], exID)
	put := func(who string, body map[string]any, header map[string]string) response {
		return s.req(t, "PUT", "/v2/action_executions/"+id, tok[who], body, header)
	}

	// A requester may not vote at all; the route says so.
	if r := put("rita", map[string]any{"state": "SUCCESS"}, nil); r.Status != http.StatusForbidden {
		t.Errorf("rita votes: %d, want 403", r.Status)
	}
	// Schema errors, each field named.
	r = put("fin1", map[string]any{"state": "SUCCESS", "output": map[string]any{"cores": 100, "zone": "mars", "backup": "yes"}}, nil)
	fs, _ := r.JSON["faultstring"].(string)
	if r.Status != http.StatusBadRequest || !strings.Contains(fs, "cores: must be at most 64") || !strings.Contains(fs, "zone:") || !strings.Contains(fs, "backup:") {
		t.Errorf("bad answer: %d %s, want 400 naming cores, zone and backup", r.Status, r.Raw)
	}
	// An unknown attribute or a bad type is still 400 naming it.
	if r := put("fin1", map[string]any{"state": "SUCCESS", "override": "yes"}, nil); r.Status != http.StatusBadRequest || !strings.Contains(r.Raw, "override") {
		t.Errorf("override as a string: %d %s", r.Status, r.Raw)
	}
	answer := map[string]any{"cores": 8, "zone": "eu-north", "backup": true}
	r = put("fin1", map[string]any{"state": "SUCCESS", "output": answer, "comment": "budget ok"}, map[string]string{"User-Agent": "curl/8"})
	if r.Status != http.StatusOK || r.JSON["state"] != "RUNNING" {
		t.Fatalf("fin1 approves: %d %s, want 200 still RUNNING", r.Status, r.Raw)
	}
	r = put("fin1", map[string]any{"state": "SUCCESS", "output": answer}, nil)
	if r.Status != http.StatusOK || r.Header.Get("Sirocco-Repeated") != "true" || r.JSON["state"] != "RUNNING" {
		t.Errorf("fin1 again: %d repeated %q %s", r.Status, r.Header.Get("Sirocco-Repeated"), r.Raw)
	}
	if r := put("fin1", map[string]any{"state": "ERROR", "output": "no"}, nil); r.Status != http.StatusConflict || !strings.Contains(r.Raw, "You already approved") {
		t.Errorf("fin1 changes her mind: %d %s, want 409", r.Status, r.Raw)
	}
	r = put("sec1", map[string]any{"state": "SUCCESS", "output": map[string]any{"cores": 2, "zone": "eu-north"}}, nil)
	if r.Status != http.StatusConflict || !strings.Contains(r.Raw, `{\"backup\":true,\"cores\":8,\"zone\":\"eu-north\"}, by fin1`) {
		t.Errorf("sec1 proposes another answer: %d %s, want 409 naming fin1's", r.Status, r.Raw)
	}

	// The Go client: a schema error named, then sec1's vote, with a comment.
	_, err := runClient(t, "action-execution-update", id, "--state", "SUCCESS", "--output", `{"cores": "many"}`, "--url", s.URL, "--token", tok["sec1"])
	if err == nil || !strings.Contains(err.Error(), "cores: must be") || !strings.Contains(err.Error(), "HTTP 400") {
		t.Errorf("the Go client with a bad answer: %v, want HTTP 400 naming cores", err)
	}
	out, err := runClient(t, "action-execution-update", id, "--state", "SUCCESS", "--comment", "secure enough", "--url", s.URL, "--token", tok["sec1"])
	if err != nil || !strings.Contains(out, "SUCCESS") {
		t.Fatalf("sec1 through the Go client: %v\n%s", err, out)
	}
	got := s.waitState(t, "/v2/executions/"+exID, "SUCCESS")
	var output struct {
		Answer struct {
			Approved bool           `json:"approved"`
			Output   map[string]any `json:"output"`
			Votes    []struct {
				User, Rule, Comment, Channel, At string
			} `json:"votes"`
		} `json:"answer"`
	}
	if err := json.Unmarshal([]byte(str(t, got, "output")), &output); err != nil {
		t.Fatal(err)
	}
	a := output.Answer
	if !a.Approved || !reflect.DeepEqual(a.Output, map[string]any{"cores": 8.0, "zone": "eu-north", "backup": true}) || len(a.Votes) != 2 {
		t.Fatalf("the result = %+v", a)
	}
	if v := a.Votes[0]; v.User != "fin1" || v.Rule != "group:finance" || v.Comment != "budget ok" || v.Channel != "api" || v.At == "" {
		t.Errorf("fin1's vote = %+v", v)
	}
	if v := a.Votes[1]; v.User != "sec1" || v.Rule != "group:security" || v.Comment != "secure enough" || v.Channel != "cli" {
		t.Errorf("sec1's vote = %+v", v)
	}
	// Decided: another vote is 409 naming the decision, a retry of the
	// deciding vote is 200.
	r = s.req(t, "PUT", "/v2/action_executions/"+id, s.tokens["admin"], map[string]any{"state": "ERROR", "output": "late"}, nil)
	if fs, _ := r.JSON["faultstring"].(string); r.Status != http.StatusConflict || !strings.Contains(fs, "already decided: state SUCCESS") || !strings.Contains(fs, "via cli by fin1, sec1") {
		t.Errorf("a late vote: %d %s, want 409 naming state, channel and deciders", r.Status, r.Raw)
	}
	if r := s.req(t, "POST", "/v2/action-executions/"+id, tok["sec1"], map[string]any{"state": "SUCCESS"}, nil); r.Status != http.StatusOK {
		t.Errorf("sec1's retry on the guide's route: %d %s, want 200", r.Status, r.Raw)
	}
	s.checkLogClean(t)
}

// TestApprovalOverride: an admin decides alone only with an explicit
// override and a reason; an approver may not override.
func TestApprovalOverride(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t)
	tok := s.approvalPeople(t)
	r := s.req(t, "POST", "/v2/executions", tok["rita"], map[string]any{"workflow_name": "request_vm"}, nil)
	exID := str(t, r.JSON, "id")
	id := s.pendingAction(t, tok["fin1"], exID)
	admin := s.tokens["admin"]
	answer := map[string]any{"cores": 1, "zone": "eu-west"}
	for _, tt := range []struct {
		token  string
		body   map[string]any
		status int
		want   string
	}{
		{admin, map[string]any{"state": "SUCCESS", "output": answer}, http.StatusForbidden, "Only the approvers"},
		{tok["fin1"], map[string]any{"state": "SUCCESS", "output": answer, "override": true, "reason": "x"}, http.StatusForbidden, "needs the admin role"},
		{admin, map[string]any{"state": "SUCCESS", "output": answer, "override": true}, http.StatusBadRequest, "needs a reason"},
		{admin, map[string]any{"state": "SUCCESS", "output": map[string]any{"cores": 0}, "override": true, "reason": "x"}, http.StatusBadRequest, "cores: must be at least 1"},
	} {
		r := s.req(t, "PUT", "/v2/action_executions/"+id, tt.token, tt.body, nil)
		if r.Status != tt.status || !strings.Contains(r.Raw, tt.want) {
			t.Errorf("%v: %d %s, want %d %q", tt.body, r.Status, r.Raw, tt.status, tt.want)
		}
	}
	out, err := runClient(t, "action-execution-update", id, "--state", "ERROR", "--override", "--reason", "duplicate of another request", "--url", s.URL, "--token", admin)
	if err != nil || !strings.Contains(out, "ERROR") {
		t.Fatalf("override through the Go client: %v\n%s", err, out)
	}
	got := s.waitState(t, "/v2/executions/"+exID, "ERROR")
	if info, _ := got["state_info"].(string); !strings.Contains(info, "duplicate of another request") {
		t.Errorf("state_info = %q, want the override's reason", info)
	}
}

// TestApprovalAuthOff: with authentication off everyone is one local
// admin, whom no approval counts; an override with a reason decides. The
// seeded examples work there: approve_request as ever, request_vm by
// override.
func TestApprovalAuthOff(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "-seed")
	old := startExecution(t, srv.URL, map[string]any{"workflow_name": "approve_request"})
	oldID := str(t, runningAction(t, srv.URL, old), "id")
	mustDo(t, http.StatusOK, "PUT", srv.URL+"/v2/action_executions/"+oldID, map[string]any{"state": "SUCCESS", "output": "yes"})
	waitState(t, srv.URL+"/v2/executions/"+old, "SUCCESS")

	exID := startExecution(t, srv.URL, map[string]any{"workflow_name": "request_vm", "input": map[string]any{"requester": "bob"}})
	id := str(t, runningAction(t, srv.URL, exID), "id")
	u := srv.URL + "/v2/action_executions/" + id
	answer := map[string]any{"cores": 2, "zone": "eu-west"}
	if r := do(t, "PUT", u, map[string]any{"state": "SUCCESS", "output": answer}); r.Status != http.StatusForbidden || !strings.Contains(r.Raw, "override") {
		t.Errorf("a plain vote with auth off: %d %s, want 403 pointing to the override", r.Status, r.Raw)
	}
	if r := do(t, "PUT", u, map[string]any{"state": "SUCCESS", "output": answer, "override": true}); r.Status != http.StatusBadRequest {
		t.Errorf("an override without a reason: %d %s, want 400", r.Status, r.Raw)
	}
	if r := do(t, "PUT", u, map[string]any{"state": "SUCCESS", "output": answer, "override": true, "reason": "local test"}); r.Status != http.StatusOK || r.JSON["state"] != "SUCCESS" {
		t.Errorf("an override with auth off: %d %s", r.Status, r.Raw)
	}
	got := waitState(t, srv.URL+"/v2/executions/"+exID, "SUCCESS")
	if out := str(t, got, "output"); !strings.Contains(out, `"cores": 2`) || !strings.Contains(out, `"zone": "eu-west"`) {
		t.Errorf("request_vm's output = %s, want what was granted", out)
	}
}

// TestMistralCLIApproval: with the real mistral CLI,
// action-execution-update --state SUCCESS --output '{…}' is a vote: a bad
// answer exits non-zero naming the field, a counted vote exits 0 with the
// action still RUNNING, the second approver's decides it.
func TestMistralCLIApproval(t *testing.T) {
	t.Parallel()
	cli := newMistralCLI(t)
	s := startAuthServer(t)
	tok := s.approvalPeople(t)
	r := s.req(t, "POST", "/v2/executions", tok["rita"], map[string]any{"workflow_name": "request_vm"}, nil)
	exID := str(t, r.JSON, "id")
	id := s.pendingAction(t, tok["fin1"], exID)
	answerFile := filepath.Join(t.TempDir(), "answer.json")
	if err := os.WriteFile(answerFile, []byte(`{"cores": 4, "zone": "eu-west", "note": "from a file"}`), 0o600); err != nil {
		t.Fatal(err)
	}

	bad := cli.keystone(t, s.URL, "fin1", "fin1-password-1", "action-execution-update", id, "--state", "SUCCESS", "--output", `{"cores": 65, "zone": "eu-west"}`)
	if bad.code == 0 || !strings.Contains(bad.stdout+bad.stderr, "cores: must be at most 64") {
		t.Errorf("a bad answer: exit %d, want non-zero naming cores\nstdout:\n%s\nstderr:\n%s", bad.code, bad.stdout, bad.stderr)
	}
	first := tableFields(cli.keystone(t, s.URL, "fin1", "fin1-password-1", "action-execution-update", id, "--state", "SUCCESS", "--output", answerFile).mustSucceed(t))
	if first["State"] != "RUNNING" {
		t.Errorf("the first vote: %v, want the action still RUNNING", first)
	}
	second := tableFields(cli.keystone(t, s.URL, "sec1", "sec1-password-1", "action-execution-update", id, "--state", "SUCCESS").mustSucceed(t))
	if second["State"] != "SUCCESS" {
		t.Errorf("the second vote: %v, want SUCCESS", second)
	}
	got := s.waitState(t, "/v2/executions/"+exID, "SUCCESS")
	out := str(t, got, "output")
	for _, want := range []string{`"note": "from a file"`, `"channel": "cli"`, `"user": "sec1"`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s: %s", want, out)
		}
	}
}

// TestApprovalDashboardVote: votes cast in the dashboard count with the
// groups of the session's user: the first says it waits for more, the
// second decides, and both are recorded as via dashboard.
func TestApprovalDashboardVote(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t)
	tok := s.approvalPeople(t)
	r := s.req(t, "POST", "/v2/executions", tok["rita"], map[string]any{"workflow_name": "request_vm"}, nil)
	exID := str(t, r.JSON, "id")
	id := s.pendingAction(t, tok["fin1"], exID)
	vote := func(user string, form url.Values) response {
		c, csrf := s.dashboardLogin(t, user, user+"-password-1")
		form.Set("_csrf", csrf)
		return sendWith(t, c, "POST", s.URL+"/actions/"+id, "", form, nil)
	}
	// The dashboard's form is drawn from the schema: its fields post the
	// answer.
	r = vote("fin1", url.Values{"state": {"SUCCESS"}, "answering": {"1"}, "cores": {"3"}, "zone": {"eu-west"}, "comment": {"fine by finance"}})
	if r.Status != http.StatusSeeOther || !strings.HasSuffix(r.Header.Get("Location"), "?notice=voted") {
		t.Fatalf("fin1 in the dashboard: %d Location %q; %.300s", r.Status, r.Header.Get("Location"), r.Raw)
	}
	// sec1's form was drawn before fin1's answer.
	r = vote("sec1", url.Values{"state": {"SUCCESS"}, "answering": {"1"}, "cores": {"4"}, "zone": {"eu-west"}})
	if r.Status != http.StatusConflict || !strings.Contains(r.Raw, "A different answer is proposed") {
		t.Errorf("sec1 with another answer: %d %.300s, want 409 naming the proposal", r.Status, r.Raw)
	}
	r = vote("sec1", url.Values{"state": {"SUCCESS"}})
	if r.Status != http.StatusSeeOther || !strings.HasSuffix(r.Header.Get("Location"), "?notice=decided") {
		t.Fatalf("sec1 in the dashboard: %d Location %q; %.300s", r.Status, r.Header.Get("Location"), r.Raw)
	}
	got := s.waitState(t, "/v2/executions/"+exID, "SUCCESS")
	out := str(t, got, "output")
	for _, want := range []string{`"cores": 3`, `"channel": "dashboard"`, `"rule": "group:security"`, `"comment": "fine by finance"`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s: %s", want, out)
		}
	}
}
