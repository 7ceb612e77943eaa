package main

import (
	"net/http"
	"testing"
	"time"
)

// TestActionTransitionsByRole: the route × role matrix for action
// transitions (role × target state × sync/async) through the real API.
func TestActionTransitionsByRole(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t)
	admin := s.tokens["admin"]
	pending := func(wf, action string) string {
		t.Helper()
		if r := s.req(t, "POST", "/v2/workflows", admin, "version: '2.0'\n"+wf+":\n  tasks:\n    t:\n      action: "+action+"\n", nil); r.Status != http.StatusCreated {
			t.Fatalf("create workflow: %d %s", r.Status, r.Raw)
		}
		r := s.req(t, "POST", "/v2/executions", admin, map[string]any{"workflow_name": wf}, nil)
		if r.Status != http.StatusCreated {
			t.Fatalf("start: %d %s", r.Status, r.Raw)
		}
		ex := str(t, r.JSON, "id")
		deadline := time.Now().Add(waitTimeout)
		for {
			r := s.req(t, "GET", "/v2/action_executions?state=RUNNING&workflow_execution_id="+ex, admin, nil, nil)
			if list, _ := r.JSON["action_executions"].([]any); len(list) == 1 {
				id, _ := list[0].(map[string]any)["id"].(string)
				return id
			}
			if time.Now().After(deadline) {
				t.Fatal("no pending action")
			}
			time.Sleep(5 * time.Millisecond) // poll interval
		}
	}
	put := func(who, id, state string, want int) {
		t.Helper()
		r := s.req(t, "PUT", "/v2/action_executions/"+id, s.tokens[who], map[string]any{"state": state}, nil)
		if r.Status != want {
			t.Errorf("%s PUT %s on %s: %d, want %d; %s", who, state, id, r.Status, want, r.Raw)
		}
		if want == http.StatusForbidden && r.JSON["faultstring"] == nil {
			t.Errorf("%s PUT %s: no faultstring: %s", who, state, r.Raw)
		}
	}
	async := pending("held", "std.async_noop")
	for _, st := range []string{"PAUSED", "RUNNING", "CANCELLED"} {
		put("approver", async, st, http.StatusForbidden)
		put("viewer", async, st, http.StatusForbidden)
	}
	put("admin", async, "PAUSED", http.StatusOK)
	put("approver", async, "RUNNING", http.StatusForbidden) // cannot resume what an admin paused
	put("admin", async, "RUNNING", http.StatusOK)
	put("approver", async, "SUCCESS", http.StatusOK)

	sync := pending("sleeper", "std.sleep seconds=3600")
	put("approver", sync, "SUCCESS", http.StatusForbidden)
	put("approver", sync, "ERROR", http.StatusForbidden)
	put("admin", sync, "SUCCESS", http.StatusOK)
}
