package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// nextAt4 is the first 04:00 UTC after t.
func nextAt4(t time.Time) string {
	t = t.UTC()
	n := time.Date(t.Year(), t.Month(), t.Day(), 4, 0, 0, 0, time.UTC)
	if !n.After(t) {
		n = n.AddDate(0, 0, 1)
	}
	return n.Format(time.DateTime)
}

// TestMistralCLICronTriggers drives cron triggers with the real mistral
// CLI: cron-trigger-create (a pattern with a count, and a first time
// alone), -list, -get and -delete, with the columns and values a Mistral
// user sees, and Mistral's refusals (a bad pattern, a duplicate name, an
// unknown workflow, a first time in the past, an unknown trigger).
func TestMistralCLICronTriggers(t *testing.T) {
	t.Parallel()
	cli := newMistralCLI(t)
	srv := startServer(t)
	cli.url = srv.URL + "/v2"
	wfFile, err := filepath.Abs(filepath.Join("testdata", "greet.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cli.ok(t, "workflow-create", wfFile)

	before := time.Now()
	ct := cli.show(t, "cron-trigger-create", "nightly", "greet", `{"name": "cron"}`, "--params", `{"env": "prod"}`,
		"--pattern", "0 4 * * *", "--count", "3")
	after := time.Now()
	checkFields(t, "cron-trigger-create", ct, map[string]any{"Name": "nightly", "Workflow": "greet", "Params": `{"env": "prod"}`,
		"Pattern": "0 4 * * *", "Remaining executions": float64(3), "Updated at": nil})
	if next := ct["Next execution time"]; next != nextAt4(before) && next != nextAt4(after) {
		t.Errorf("cron-trigger-create: Next execution time %v, want %s", next, nextAt4(after))
	}
	if created, _ := ct["Created at"].(string); !strings.HasPrefix(created, before.UTC().Format("2006-01-02")) && !strings.HasPrefix(created, after.UTC().Format("2006-01-02")) {
		t.Errorf("cron-trigger-create: Created at %q, want today", created)
	}

	first := time.Now().UTC().Add(48 * time.Hour).Format("2006-01-02 15:04")
	once := cli.show(t, "cron-trigger-create", "once", "greet", "--first-time", first, "--utc")
	checkFields(t, "cron-trigger-create --first-time", once, map[string]any{"Name": "once", "Pattern": nil,
		"Next execution time": first + ":00", "Remaining executions": float64(1)})

	rows := cli.list(t, "cron-trigger-list")
	if len(rows) != 2 {
		t.Fatalf("cron-trigger-list printed %d rows, want 2: %v", len(rows), rows)
	}
	checkFields(t, "cron-trigger-list", rows[0], map[string]any{"Name": "nightly", "Workflow": "greet", "Pattern": "0 4 * * *",
		"Remaining executions": float64(3), "Next execution time": ct["Next execution time"]})
	checkFields(t, "cron-trigger-list", rows[1], map[string]any{"Name": "once", "Remaining executions": float64(1)})
	got := cli.show(t, "cron-trigger-get", "nightly")
	checkFields(t, "cron-trigger-get", got, map[string]any{"Name": "nightly", "Workflow": "greet", "Params": `{"env": "prod"}`,
		"Pattern": "0 4 * * *", "Created at": ct["Created at"], "Updated at": nil})
	// The default table, as people see it.
	table := tableFields(cli.ok(t, "cron-trigger-get", "once"))
	if table["Name"] != "once" || table["Remaining executions"] != "1" || table["Next execution time"] != first+":00" {
		t.Errorf("cron-trigger-get table: %v", table)
	}

	past := time.Now().UTC().Add(-time.Hour).Format("2006-01-02 15:04")
	// Three at a time: six Pythons starting at once on a loaded machine
	// can outlast the CLI's timeout.
	refusals := append(cli.all(t,
		[]string{"cron-trigger-create", "bad", "greet", "--pattern", "61 * * * *"},
		[]string{"cron-trigger-create", "nightly", "greet", "--pattern", "* * * * *"},
		[]string{"cron-trigger-create", "lost", "no_such_wf", "--pattern", "* * * * *"},
	), cli.all(t,
		[]string{"cron-trigger-create", "late", "greet", "--first-time", past, "--utc"},
		[]string{"cron-trigger-create", "wrong", "greet", `{"nam": 1}`, "--pattern", "* * * * *"},
		[]string{"cron-trigger-get", "no_such_trigger"},
	)...)
	for i, want := range []string{
		"The specified pattern is not valid: 61 * * * *",
		"Duplicate entry for cron trigger ['name', 'project_id']: nightly",
		"Workflow not found [workflow_identifier=no_such_wf, namespace=]",
		"first_execution_time must be at least 1 minute in the future.",
		"unexpected=['nam']",
		"Cron trigger not found [identifier=no_such_trigger]",
	} {
		if r := refusals[i]; r.code == 0 || !strings.Contains(r.stderr, want) {
			t.Errorf("mistral %s: exit %d, stderr %q; want a failure saying %q", strings.Join(r.args, " "), r.code, r.stderr, want)
		}
	}

	out := cli.ok(t, "cron-trigger-delete", "nightly", "once")
	for _, name := range []string{"nightly", "once"} {
		if want := "Request to delete cron trigger " + name + " has been accepted."; !strings.Contains(out, want) {
			t.Errorf("cron-trigger-delete printed %q, want %q", out, want)
		}
	}
	// An empty list prints one empty row (the client's formatter does so
	// with Mistral too).
	if rows := cli.list(t, "cron-trigger-list"); len(rows) > 1 || (len(rows) == 1 && rows[0]["Name"] != "") {
		t.Errorf("cron-trigger-list after delete: %v, want none", rows)
	}
	if r := cli.run(t, "cron-trigger-delete", "nightly"); r.code == 0 || !strings.Contains(r.stderr+r.stdout, "Unable to delete the specified cron trigger(s).") {
		t.Errorf("delete a deleted trigger: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}
