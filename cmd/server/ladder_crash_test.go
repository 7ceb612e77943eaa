package main

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ladderCrashFlow is an approval whose ladder runs in seconds: a reminder
// after 1 s, an escalation at 3 s, and on_timeout at 4 s.
const ladderCrashFlow = `---
version: '2.0'
ladder_crash:
  output:
    why: <% $.why %>
  tasks:
    ask:
      action: std.approval
      input:
        title: Decide before the crash
        remind_after: 1
        remind_every: 60
        escalate_after: 3
        escalate_to: [user:nobody]
        timeout: 4
        on_timeout: {state: ERROR, output: nobody decided}
      on-error: handled
    handled:
      action: std.echo output="handled"
      publish:
        why: <% task().result %>
`

// TestCrashLadder: an approval's ladder survives kill -9. The
// reminder that fired before the kill is not sent again; the escalation
// and the timeout, which fell due while no server ran, are handled once
// when the next server starts: the timeout alone (it ends the wait), as a
// decision with channel timeout, and the workflow goes on.
func TestCrashLadder(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts the server binary; skipped with -short")
	}
	t.Parallel()
	bin := buildServer(t)
	db := filepath.Join(t.TempDir(), "sirocco.db")
	p := startProcess(t, bin, "-addr", "127.0.0.1:0", "-db", db, "-seed=false")
	base := p.URL
	createWorkflow(t, base, ladderCrashFlow)
	exID := startExecution(t, base, map[string]any{"workflow_name": "ladder_crash"})

	var actionID string
	var created time.Time
	poll(t, "the approval to wait", func() (bool, string) {
		r := do(t, http.MethodGet, base+"/v2/action_executions?workflow_execution_id="+exID, nil)
		list, _ := r.JSON["action_executions"].([]any)
		if len(list) != 1 {
			return false, r.Raw
		}
		a := list[0].(map[string]any)
		actionID = a["id"].(string)
		var err error
		created, err = time.Parse("2006-01-02 15:04:05", a["created_at"].(string))
		return err == nil && a["state"] == "RUNNING", r.Raw
	})
	rungs := func(base string) []string {
		r := do(t, http.MethodGet, base+"/v2/audit?action="+actionID, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("GET /v2/audit: %d %s", r.Status, r.Raw)
		}
		list, _ := r.JSON["audit"].([]any)
		var out []string
		for i := len(list) - 1; i >= 0; i-- { // newest first
			rec := list[i].(map[string]any)
			out = append(out, fmt.Sprintf("%s/%s/%s", rec["kind"], rec["channel"], rec["state"]))
		}
		return out
	}
	poll(t, "the reminder", func() (bool, string) {
		got := rungs(base)
		return len(got) > 0, strings.Join(got, " ")
	})
	p.kill(t)

	// The outage lasts past the timeout. created_at has whole seconds, so
	// the timeout is due by created+5s at the latest.
	time.Sleep(time.Until(created.Add(5 * time.Second)))
	startProcess(t, bin, "-addr", strings.TrimPrefix(base, "http://"), "-db", db, "-seed=false")
	ex := waitState(t, base+"/v2/executions/"+exID, "SUCCESS")
	if got := str(t, ex, "output"); got != `{"why": "handled"}` {
		t.Errorf("execution output %s", got)
	}
	a := mustDo(t, http.StatusOK, http.MethodGet, base+"/v2/action_executions/"+actionID, nil)
	if a["state"] != "ERROR" || !strings.Contains(str(t, a, "output"), "nobody decided") {
		t.Errorf("approval %v with output %v", a["state"], a["output"])
	}
	want := "reminder/timeout/ timeout/timeout/ERROR"
	if got := strings.Join(rungs(base), " "); got != want {
		t.Errorf("the ladder's records: %s, want %s", got, want)
	}
}
