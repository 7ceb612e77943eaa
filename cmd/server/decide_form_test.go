package main

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestDecisionFormByRole: viewers see a pending action without the form
// they could not use; approvers and admins get it.
func TestDecisionFormByRole(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t)
	admin := s.tokens["admin"]
	if r := s.req(t, "POST", "/v2/workflows", admin, "version: '2.0'\nheld:\n  tasks:\n    t:\n      action: std.async_noop\n", nil); r.Status != http.StatusCreated {
		t.Fatalf("create workflow: %d %s", r.Status, r.Raw)
	}
	if r := s.req(t, "POST", "/v2/executions", admin, map[string]any{"workflow_name": "held"}, nil); r.Status != http.StatusCreated {
		t.Fatalf("start: %d %s", r.Status, r.Raw)
	}
	var id string
	deadline := time.Now().Add(waitTimeout)
	for id == "" {
		r := s.req(t, "GET", "/v2/action_executions?state=RUNNING", admin, nil, nil)
		if list, _ := r.JSON["action_executions"].([]any); len(list) == 1 {
			id, _ = list[0].(map[string]any)["id"].(string)
		} else if time.Now().After(deadline) {
			t.Fatal("no pending action")
		} else {
			time.Sleep(5 * time.Millisecond) // poll interval
		}
	}
	for role, wantForm := range map[string]bool{"viewer": false, "approver": true, "admin": true} {
		page := sendWith(t, s.sessions[role], "GET", s.URL+"/actions/"+id, "", nil, nil)
		if page.Status != http.StatusOK {
			t.Fatalf("%s: GET /actions/%s: %d", role, id, page.Status)
		}
		if got := strings.Contains(page.Raw, `data-testid="decision-form"`); got != wantForm {
			t.Errorf("%s sees the decision form: %v, want %v", role, got, wantForm)
		}
		if got := strings.Contains(page.Raw, `data-testid="cannot-decide"`); got == wantForm {
			t.Errorf("%s sees the cannot-decide note: %v, want %v", role, got, !wantForm)
		}
	}
}
