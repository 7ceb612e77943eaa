package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestBackupWhileRunning copies the database of a running server, then
// serves the copy: what was acknowledged before the backup is in it.
func TestBackupWhileRunning(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	mustDo(t, 201, "POST", srv.URL+"/v2/workflows", "version: '2.0'\nkept:\n  tasks:\n    t:\n      action: std.noop\n")
	out := filepath.Join(t.TempDir(), "copy.db")
	var stdout bytes.Buffer
	if err := run(context.Background(), []string{"backup", "-db", srv.DB, out}, noEnv, &stdout, &stdout); err != nil {
		t.Fatalf("backup: %v", err)
	}
	if !strings.Contains(stdout.String(), "Backed up") {
		t.Errorf("backup printed %q", stdout.String())
	}
	if err := run(context.Background(), []string{"backup", "-db", srv.DB, out}, noEnv, &stdout, &stdout); err == nil {
		t.Error("a backup over an existing file succeeded")
	}
	copySrv := startServer(t, "-db", out)
	wf := mustDo(t, 200, "GET", copySrv.URL+"/v2/workflows/kept", nil)
	if wf["name"] != "kept" {
		t.Errorf("the copy lacks the workflow: %v", wf)
	}
}
