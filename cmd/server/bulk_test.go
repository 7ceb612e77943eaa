package main

import (
	"net/http"
	"strings"
	"testing"
)

// bulkApprovals are three approvals side by side that the finance group
// decides: two allow bulk decisions, one does not.
const bulkApprovals = `version: '2.0'
bulk_three:
  tasks:
    one:
      action: std.approval
      input: {title: One, approvers: [group:finance], allow_bulk: true}
    two:
      action: std.approval
      input: {title: Two, approvers: [group:finance], allow_bulk: true}
    solo:
      action: std.approval
      input: {title: Solo, approvers: [group:finance]}
`

// TestBulkDecideOverHTTP: POST /sirocco/approvals/decide answers 200 with
// a result per item; the approvals that allow it are decided through
// their own rules, the one that does not is refused and stays pending; a
// requester is refused by the route, a bad body names its field.
func TestBulkDecideOverHTTP(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t)
	tok := s.approvalPeople(t)
	if r := s.req(t, "POST", "/v2/workflows", s.tokens["admin"], bulkApprovals, nil); r.Status != http.StatusCreated {
		t.Fatalf("create workflow: %d %s", r.Status, r.Raw)
	}
	r := s.req(t, "POST", "/v2/executions", tok["rita"], map[string]any{"workflow_name": "bulk_three"}, nil)
	if r.Status != http.StatusCreated {
		t.Fatalf("start: %d %s", r.Status, r.Raw)
	}
	exID := str(t, r.JSON, "id")
	ids := map[string]string{}
	poll(t, "three pending approvals", func() (bool, string) {
		r := s.req(t, "GET", "/v2/action_executions?workflow_execution_id="+exID+"&state=RUNNING", tok["fin1"], nil, nil)
		list, _ := r.JSON["action_executions"].([]any)
		for _, el := range list {
			m := el.(map[string]any)
			ids[m["task_name"].(string)] = m["id"].(string)
		}
		return len(ids) == 3, r.Raw
	})

	body := map[string]any{"state": "SUCCESS", "comment": "all fine", "items": []any{ids["one"], map[string]any{"id": ids["two"]}, ids["solo"]}}
	if r := s.req(t, "POST", "/sirocco/approvals/decide", tok["rita"], body, nil); r.Status != http.StatusForbidden {
		t.Errorf("rita (a requester) decides in bulk: %d %s, want 403", r.Status, r.Raw)
	}
	for _, bad := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"state": "MAYBE", "items": []any{ids["one"]}}, "state"},
		{map[string]any{"state": "SUCCESS"}, "items"},
		{map[string]any{"state": "SUCCESS", "items": []any{map[string]any{"id": ids["one"], "extra": 1}}}, "items[0]"},
		{map[string]any{"state": "SUCCESS", "items": []any{ids["one"]}, "colour": "red"}, "colour"},
	} {
		r := s.req(t, "POST", "/sirocco/approvals/decide", tok["fin1"], bad.body, nil)
		if r.Status != http.StatusBadRequest || !strings.Contains(r.Raw, bad.field) || r.JSON["faultcode"] != "Client" {
			t.Errorf("bad body %v: %d %s, want 400 naming %s", bad.body, r.Status, r.Raw, bad.field)
		}
	}
	r = s.req(t, "POST", "/sirocco/approvals/decide", tok["fin1"], body, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("fin1 decides in bulk: %d %s", r.Status, r.Raw)
	}
	results, _ := r.JSON["results"].([]any)
	if len(results) != 3 {
		t.Fatalf("results: %s", r.Raw)
	}
	want := []struct{ id, title, outcome, state string }{
		{ids["one"], "One", "decided", "SUCCESS"}, {ids["two"], "Two", "decided", "SUCCESS"}, {ids["solo"], "Solo", "refused", ""},
	}
	for i, w := range want {
		m := results[i].(map[string]any)
		state, _ := m["state"].(string)
		if m["id"] != w.id || m["title"] != w.title || m["outcome"] != w.outcome || state != w.state {
			t.Errorf("result %d: %v, want %+v", i, m, w)
		}
	}
	if m := results[2].(map[string]any); !strings.Contains(m["faultstring"].(string), "allow_bulk") || m["status"] != float64(403) {
		t.Errorf("solo's refusal: %v", m)
	}
	r = s.req(t, "GET", "/v2/action_executions/"+ids["solo"], tok["fin1"], nil, nil)
	if r.JSON["state"] != "RUNNING" {
		t.Errorf("solo after the bulk decision: %s, want RUNNING", r.Raw)
	}
	r = s.req(t, "GET", "/v2/audit?action="+ids["one"], s.tokens["admin"], nil, nil)
	if !strings.Contains(r.Raw, "bulk decision of 3") || !strings.Contains(r.Raw, `"fin1"`) {
		t.Errorf("audit of one: %s, want fin1's bulk decision", r.Raw)
	}
}

// TestClaimOverHTTP: POST /sirocco/approvals/<id>/claim claims an
// approval for a script or a chat bot (200 with who and until when);
// another approver's claim is 409 naming the holder, a requester's 403,
// an unknown id 404; DELETE releases it (204) and then another may claim.
func TestClaimOverHTTP(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t)
	tok := s.approvalPeople(t)
	r := s.req(t, "POST", "/v2/executions", tok["rita"], map[string]any{"workflow_name": "request_vm"}, nil)
	if r.Status != http.StatusCreated {
		t.Fatalf("start: %d %s", r.Status, r.Raw)
	}
	id := s.pendingAction(t, tok["fin1"], str(t, r.JSON, "id"))
	path := "/sirocco/approvals/" + id + "/claim"

	r = s.req(t, "POST", path, tok["fin1"], nil, nil)
	if r.Status != http.StatusOK || r.JSON["user"] != "fin1" || r.JSON["id"] != id || r.JSON["expires_at"] == nil {
		t.Fatalf("fin1 claims: %d %s", r.Status, r.Raw)
	}
	if r := s.req(t, "POST", path, tok["sec1"], nil, nil); r.Status != http.StatusConflict || !strings.Contains(r.Raw, "fin1 is handling this approval") {
		t.Errorf("sec1 claims fin1's: %d %s, want 409 naming fin1", r.Status, r.Raw)
	}
	if r := s.req(t, "POST", path, tok["rita"], nil, nil); r.Status != http.StatusForbidden {
		t.Errorf("rita (a requester) claims: %d %s, want 403", r.Status, r.Raw)
	}
	if r := s.req(t, "POST", "/sirocco/approvals/no-such-action/claim", tok["fin1"], nil, nil); r.Status != http.StatusNotFound {
		t.Errorf("an unknown id: %d %s, want 404", r.Status, r.Raw)
	}
	if r := s.req(t, "DELETE", path, tok["sec1"], nil, nil); r.Status != http.StatusForbidden {
		t.Errorf("sec1 releases fin1's claim: %d %s, want 403", r.Status, r.Raw)
	}
	if r := s.req(t, "DELETE", path, tok["fin1"], nil, nil); r.Status != http.StatusNoContent {
		t.Errorf("fin1 releases: %d %s, want 204", r.Status, r.Raw)
	}
	if r := s.req(t, "POST", path, tok["sec1"], nil, nil); r.Status != http.StatusOK || r.JSON["user"] != "sec1" {
		t.Errorf("sec1 claims after the release: %d %s", r.Status, r.Raw)
	}
}
