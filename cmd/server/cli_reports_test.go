package main

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// reportTree reads the workflows whose reports internal/api recorded from
// Mistral: a root calling a workflow that succeeds and one that fails
// (handled), each calling a leaf.
func reportTree(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "internal", "api", "testdata", "reports", "tree.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestMistralCLIReports drives execution-get-report (--errors-only, the
// default, --no-errors-only, --max-depth, --statistics-only) and the
// --errors-only and --max-depth of execution-get-sub-executions and
// task-get-sub-executions with the real CLI.
func TestMistralCLIReports(t *testing.T) {
	t.Parallel()
	cli := newMistralCLI(t)
	cli.timeout = coverageTimeout // nine CLI runs, three at a time, beside the other CLI tests
	srv := startServer(t)
	cli.url = srv.URL + "/v2"
	file := t.TempDir() + "/tree.yaml"
	if err := os.WriteFile(file, []byte(reportTree(t)), 0o600); err != nil {
		t.Fatal(err)
	}
	cli.ok(t, "workflow-create", file)
	root := str(t, cli.show(t, "execution-create", "root_wf"), "ID")
	waitState(t, srv.URL+"/v2/executions/"+root, "SUCCESS")
	taskID := map[string]string{}
	for _, raw := range mustDo(t, http.StatusOK, http.MethodGet, srv.URL+"/v2/executions/"+root+"/tasks", nil)["tasks"].([]any) {
		tk := raw.(map[string]any)
		taskID[tk["name"].(string)] = tk["id"].(string)
	}

	reports := cli.all(t,
		[]string{"execution-get-report", root},
		[]string{"execution-get-report", root, "--no-errors-only", "--max-depth", "0"},
		[]string{"execution-get-report", root, "--statistics-only", "--no-errors-only"},
	)
	for _, tc := range []struct {
		r          cliResult
		has, lacks []string
	}{
		{reports[0], // errors only, the CLI's default: the failed path, down to the retried task
			[]string{"Number of tasks in ERROR state: 2", "Number of tasks in SUCCESS state: 0",
				"workflow 'root_wf' [SUCCESS] " + root, "    task 'bad_call' [ERROR] " + taskID["bad_call"],
				"        workflow 'bad_wf' [ERROR]", "            task 'boom' [ERROR]", "            (retry count: 1)",
				"            (error info: The action raised an exception", "                action 'std.fail' [ERROR]"},
			[]string{"task 'good_call'", "task 'handled'", "task 'leaf_call'"}},
		{reports[1], // the root's tasks and the sub-workflows they started, not theirs
			[]string{"Number of tasks in SUCCESS state: 2", "Number of tasks in ERROR state: 1",
				"    task 'good_call' [SUCCESS]", "        workflow 'good_wf' [SUCCESS]", "        workflow 'bad_wf' [ERROR]",
				"    task 'handled' [SUCCESS]", "        action 'std.noop' [SUCCESS]"},
			[]string{"task 'leaf_call'", "task 'boom'"}},
		{reports[2], // every task of the tree counted, no tree
			[]string{"Number of tasks in SUCCESS state: 6", "Number of tasks in ERROR state: 2", "Number of tasks in RUNNING state: 0",
				"Estimated time (seconds) for the execution to finish: 0"},
			[]string{"Workflow Execution Tree", "root_wf"}},
	} {
		out := tc.r.mustSucceed(t)
		for _, s := range tc.has {
			if !strings.Contains(out, s) {
				t.Errorf("mistral %s: output lacks %q:\n%s", strings.Join(tc.r.args, " "), s, out)
			}
		}
		for _, s := range tc.lacks {
			if strings.Contains(out, s) {
				t.Errorf("mistral %s: output holds %q:\n%s", strings.Join(tc.r.args, " "), s, out)
			}
		}
	}

	lists := append(cli.all(t,
		[]string{"execution-get-sub-executions", root, "-f", "json"},
		[]string{"execution-get-sub-executions", root, "--errors-only", "-f", "json"},
		[]string{"execution-get-sub-executions", root, "--max-depth", "1", "-f", "json"},
	), cli.all(t,
		[]string{"task-get-sub-executions", taskID["bad_call"], "--errors-only", "-f", "json"},
		[]string{"task-get-sub-executions", taskID["good_call"], "--errors-only", "-f", "json"},
		[]string{"task-get-sub-executions", taskID["good_call"], "--max-depth", "0", "-f", "json"},
	)...)
	for i, want := range [][]string{
		{"root_wf", "good_wf", "leaf_wf", "bad_wf", "leaf_wf"},
		{"root_wf", "bad_wf"},
		{"root_wf", "good_wf", "bad_wf"},
		{"bad_wf"},
		nil,
		{"good_wf"},
	} {
		var got []string
		for _, row := range lists[i].rows(t) {
			if name, _ := row["Workflow name"].(string); name != "" { // an empty list prints one empty row
				got = append(got, name)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("mistral %s: %q, want %q", strings.Join(lists[i].args, " "), got, want)
		}
	}
}
