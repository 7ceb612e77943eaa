package main

import (
	"net/http"
	"strings"
	"testing"
)

// TestPostgresReports: on PostgreSQL, a report and the sub-execution lists
// walk the same tree as on SQLite, and the action list filters and an
// update by id work (the queries they make: `in` filters on task and
// execution ids, the definitions' update).
func TestPostgresReports(t *testing.T) {
	t.Parallel()
	dsn, _ := secretDSN(t)
	s := startServer(t, "-db", dsn)
	createWorkflow(t, s.URL, reportTree(t))
	root := startExecution(t, s.URL, map[string]any{"workflow_name": "root_wf"})
	waitState(t, s.URL+"/v2/executions/"+root, "SUCCESS")

	stats := mustDo(t, http.StatusOK, http.MethodGet, s.URL+"/v2/executions/"+root+"/report?statistics_only=true", nil)["statistics"].(map[string]any)
	if stats["total_tasks_count"] != 8.0 || stats["success_tasks_count"] != 6.0 || stats["error_tasks_count"] != 2.0 {
		t.Errorf("report statistics: %v", stats)
	}
	for query, want := range map[string]string{
		"":                  "root_wf good_wf leaf_wf bad_wf leaf_wf",
		"?errors_only=true": "root_wf bad_wf",
		"?max_depth=1":      "root_wf good_wf bad_wf",
	} {
		list := mustDo(t, http.StatusOK, http.MethodGet, s.URL+"/v2/executions/"+root+"/executions"+query, nil)["executions"].([]any)
		var names []string
		for _, ex := range list {
			names = append(names, ex.(map[string]any)["workflow_name"].(string))
		}
		if got := strings.Join(names, " "); got != want {
			t.Errorf("sub-executions%s: %s, want %s", query, got, want)
		}
	}

	created := mustDo(t, http.StatusCreated, http.MethodPost, s.URL+"/v2/actions", "version: '2.0'\npg_greet:\n  base: std.echo\n  base-input:\n    output: hi\n")
	id := created["actions"].([]any)[0].(map[string]any)["id"].(string)
	updated := mustDo(t, http.StatusOK, http.MethodPut, s.URL+"/v2/actions/"+id, "version: '2.0'\npg_greet:\n  description: on postgres\n  base: std.echo\n  base-input:\n    output: hi\n")
	if a := updated["actions"].([]any)[0].(map[string]any); a["id"] != id || a["description"] != "on postgres" {
		t.Errorf("update by id: %v", a)
	}
	list := mustDo(t, http.StatusOK, http.MethodGet, s.URL+"/v2/actions?is_system=false", nil)["actions"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["description"] != "on postgres" {
		t.Errorf("ad-hoc actions: %v", list)
	}
}
