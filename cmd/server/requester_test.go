package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestRequesterRole: a requester starts executions, through the API and
// the dashboard's start form, and each records who started it; a
// requester reads, but decides nothing and changes no definition.
func TestRequesterRole(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t)
	admin, requester := s.tokens["admin"], s.tokens["requester"]
	if r := s.req(t, "POST", "/v2/workflows", admin, "version: '2.0'\nwait:\n  tasks:\n    w:\n      action: std.async_noop\n", nil); r.Status != http.StatusCreated {
		t.Fatalf("create workflow: %d %s", r.Status, r.Raw)
	}
	r := s.req(t, "POST", "/v2/executions", requester, map[string]any{"workflow_name": "wait"}, nil)
	if r.Status != http.StatusCreated || r.JSON["created_by"] != "requester1" {
		t.Fatalf("POST /v2/executions as a requester: %d created_by %v; %s", r.Status, r.JSON["created_by"], r.Raw)
	}
	exID := str(t, r.JSON, "id")
	if r := s.req(t, "GET", "/v2/executions/"+exID, requester, nil, nil); r.Status != http.StatusOK || r.JSON["created_by"] != "requester1" {
		t.Errorf("GET the execution as its requester: %d created_by %v", r.Status, r.JSON["created_by"])
	}
	list := s.req(t, "GET", "/v2/executions?created_by=requester1", s.tokens["viewer"], nil, nil)
	if items, _ := list.JSON["executions"].([]any); list.Status != http.StatusOK || len(items) != 1 {
		t.Errorf("executions filtered by created_by: %d %s", list.Status, list.Raw)
	}

	// The dashboard's start form, as a requester's session.
	form := url.Values{"_csrf": {s.csrf["requester"]}, "input": {"{}"}}
	page := sendWith(t, s.sessions["requester"], "POST", s.URL+"/workflows/wait/executions", "", form, nil)
	loc := page.Header.Get("Location")
	if page.Status != http.StatusSeeOther || !strings.HasPrefix(loc, "/executions/") {
		t.Fatalf("start form as a requester: %d Location %q; %.300s", page.Status, loc, page.Raw)
	}
	webID := strings.TrimPrefix(loc, "/executions/")
	if r := s.req(t, "GET", "/v2/executions/"+webID, admin, nil, nil); r.JSON["created_by"] != "requester1" {
		t.Errorf("an execution started from the dashboard: created_by %v, want requester1", r.JSON["created_by"])
	}
	view := sendWith(t, s.sessions["requester"], "GET", s.URL+loc, "", nil, nil)
	if !strings.Contains(view.Raw, `data-testid="created-by">requester1<`) {
		t.Errorf("the execution page does not say who started it: %.300s", view.Raw)
	}

	// Not a decider, not an author.
	id := s.pendingAction(t, admin, exID)
	if r := s.req(t, "PUT", "/v2/action_executions/"+id, requester, map[string]any{"state": "SUCCESS", "output": 1}, nil); r.Status != http.StatusForbidden {
		t.Errorf("a requester completing an action: %d, want 403; %s", r.Status, r.Raw)
	}
	if r := s.req(t, "POST", "/v2/workflows", requester, "version: '2.0'\nmine:\n  tasks:\n    t: {}\n", nil); r.Status != http.StatusForbidden {
		t.Errorf("a requester creating a workflow: %d, want 403", r.Status)
	}
	if r := s.req(t, "PUT", "/v2/executions/"+exID, requester, map[string]any{"state": "CANCELLED"}, nil); r.Status != http.StatusForbidden {
		t.Errorf("a requester cancelling an execution: %d, want 403", r.Status)
	}
}

// pendingAction waits until execution exID has a RUNNING action
// execution, reading with token, and returns its id.
func (s *authServer) pendingAction(t *testing.T, token, exID string) string {
	t.Helper()
	var id string
	poll(t, "a RUNNING action execution of execution "+exID, func() (bool, string) {
		r := s.req(t, "GET", "/v2/action_executions?workflow_execution_id="+exID+"&state=RUNNING", token, nil, nil)
		list, _ := r.JSON["action_executions"].([]any)
		if len(list) == 0 {
			return false, r.Raw
		}
		id, _ = list[0].(map[string]any)["id"].(string)
		return id != "", r.Raw
	})
	return id
}
