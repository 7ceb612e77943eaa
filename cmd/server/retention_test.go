package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/audit"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/sqlite"
)

// TestRetentionFlag: -retention and SIROCCO_RETENTION give the policy (the
// flag wins); off by default; a bad value is a usage error naming the
// problem.
func TestRetentionFlag(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args    []string
		env     map[string]string
		want    *engine.Retention
		wantErr string
	}{
		{},
		{args: []string{"-retention", "30d"}, want: &engine.Retention{OlderThan: 30 * 24 * time.Hour, Every: engine.DefaultRetentionEvery, Batch: engine.DefaultRetentionBatch}},
		{env: map[string]string{"SIROCCO_RETENTION": "max=100,every=1h"}, want: &engine.Retention{Keep: 100, Every: time.Hour, Batch: engine.DefaultRetentionBatch}},
		{args: []string{"-retention", "off"}, env: map[string]string{"SIROCCO_RETENTION": "max=100"}},
		{args: []string{"-retention", "30 days"}, wantErr: `-retention "30 days": "30 days" is not a duration`},
		{env: map[string]string{"SIROCCO_RETENTION": "max=-1"}, wantErr: "max=-1: want at least 1"},
	} {
		cfg, err := parseConfig(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
		if tt.wantErr != "" {
			var ue usageError
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, &ue) {
				t.Errorf("parseConfig(%q, %v) = %v, want a usage error containing %q", tt.args, tt.env, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseConfig(%q, %v): %v", tt.args, tt.env, err)
			continue
		}
		if got, want := cfg.retention, tt.want; (got == nil) != (want == nil) || got != nil && got.String() != want.String() {
			t.Errorf("parseConfig(%q, %v): retention %v, want %v", tt.args, tt.env, got, want)
		}
	}
}

// TestRetentionServed: a server with -retention max=1 purges the older
// finished executions at its next run, counts them on /metrics, records
// the run in the audit trail, and the trail still verifies under its key.
func TestRetentionServed(t *testing.T) {
	t.Parallel()
	s := startServer(t, "-retention", "max=1,every=1s", "-audit-key-file", writeKeyFile(t, auditTestKey))
	createWorkflow(t, s.URL, "version: '2.0'\nquick:\n  tasks:\n    t:\n      action: std.noop\n")
	var ids []string
	for range 3 {
		id := startExecution(t, s.URL, map[string]any{"workflow_name": "quick"})
		waitState(t, s.URL+"/v2/executions/"+id, "SUCCESS")
		ids = append(ids, id)
	}
	poll(t, "the retention policy to purge 2 executions", func() (bool, string) {
		r := do(t, http.MethodGet, s.URL+"/metrics", nil)
		return strings.Contains(string(r.Raw), "\nsirocco_retention_purged_executions_total 2\n"), metricLines(string(r.Raw), "sirocco_retention_")
	})
	// The metric counts each batch as it commits; the run's audit record
	// commits at its end, before its "run done" line: wait for the runs
	// that purged them to end (stopping sooner would cut one short).
	done := regexp.MustCompile(`msg="retention: run done" executions=(\d+)`)
	poll(t, "the runs that purged them to end", func() (bool, string) {
		n := 0
		for _, m := range done.FindAllStringSubmatch(s.stderr.String(), -1) {
			k, _ := strconv.Atoi(m[1])
			n += k
		}
		return n == 2, fmt.Sprintf("%d executions in the runs ended so far", n)
	})
	list := mustDo(t, http.StatusOK, http.MethodGet, s.URL+"/v2/executions", nil)
	if got, _ := list["executions"].([]any); len(got) != 1 || got[0].(map[string]any)["id"] != ids[2] {
		t.Errorf("executions left: %v, want the newest, %s", got, ids[2])
	}
	s.Stop(t)
	out, err := runAudit(keyEnv(auditTestKey), "verify", "-db", s.DB)
	if err != nil || !strings.Contains(out, "intact") {
		t.Fatalf("audit verify after the purge: %v\n%s", err, out)
	}
	// A run may have come between two of the executions' ends: the
	// records of the runs that purged add up to 2.
	var purges []string
	purged := 0
	if _, err := sqlite.ReadAuditFile(context.Background(), s.DB, func(r *audit.Record) error {
		if n, ok := strings.CutPrefix(r.Reason, "retention: executions purged: "); ok && r.Channel == engine.ViaServer && r.Actor == "" {
			purges = append(purges, r.Reason)
			k, _ := strconv.Atoi(n[:strings.Index(n, " ")])
			purged += k
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if purged != 2 {
		t.Errorf("the purges' audit records: %q, want 2 executions in all", purges)
	}
	if !strings.Contains(s.stderr.String(), "retention: purge root executions beyond the newest 1 finished, every 1s") ||
		!strings.Contains(s.stderr.String(), `msg="retention: run done" executions=`) {
		t.Errorf("the log lacks the policy or the run:\n%s", s.stderr.String())
	}
}

func metricLines(body, prefix string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "; ")
}
