package main

import (
	"context"
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

	// Every way of making accounts takes the role: the client verbs, the
	// admin page's role selects.
	getenv := func(k string) string {
		return map[string]string{"SIROCCO_TOKEN": admin, "SIROCCO_NEW_PASSWORD": "asker-password-1", "SIROCCO_URL": s.URL}[k]
	}
	for _, args := range [][]string{
		{"user-create", "asker", "--role", "requester"},
		{"group-create", "askers", "--role", "requester"},
		{"token-create", "asking bot", "--role", "requester", "--user", "asker"},
	} {
		var out, errOut strings.Builder
		if err := run(context.Background(), args, getenv, &out, &errOut); err != nil || !strings.Contains(out.String(), "requester") && args[0] != "token-create" {
			t.Errorf("%v: %v\n%s", args, err, out.String())
		}
	}
	adminPage := sendWith(t, s.sessions["admin"], "GET", s.URL+"/admin", "", nil, nil)
	if !strings.Contains(adminPage.Raw, `<option value="requester"`) {
		t.Errorf("the admin page offers no requester role")
	}
	form = url.Values{"_csrf": {s.csrf["admin"]}, "name": {"asker2"}, "role": {"requester"}, "password": {"asker-password-2"}}
	if r := sendWith(t, s.sessions["admin"], "POST", s.URL+"/admin/users", "", form, nil); r.Status >= 400 {
		t.Errorf("creating a requester on the admin page: %d %.300s", r.Status, r.Raw)
	}
	roles := map[string]any{}
	users, _ := s.req(t, "GET", "/auth/users", admin, nil, nil).JSON["users"].([]any)
	for _, u := range users {
		m := u.(map[string]any)
		roles[m["name"].(string)] = m["role"]
	}
	if roles["asker"] != "requester" || roles["asker2"] != "requester" {
		t.Errorf("roles after the client verb and the admin page: %v", roles)
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
