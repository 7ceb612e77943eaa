package main

import (
	"context"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// filesUnder lists the files below root, relative to it.
func filesUnder(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(root, path)
			files = append(files, rel)
		}
		return err
	})
	if err != nil {
		t.Errorf("walk %s: %v", root, err)
	}
	return files
}

// TestDBPath checks that -db is taken as a file name, whatever characters
// the directory holds: the database, and its WAL (proof that the pragmas
// were applied), are where -db says.
func TestDBPath(t *testing.T) {
	t.Parallel()
	// Subtest names stay plain: t.TempDir keeps '#' and '%' in the
	// directory it makes, so a misread path could escape it.
	for _, tt := range []struct{ name, dir string }{
		{"plain", "plain"},
		{"space", "with space"},
		{"hash", "with#hash"},
		{"question mark", "with?question"},
		{"percent", "with%41percent"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			db := filepath.Join(root, tt.dir, "sirocco.db")
			if err := os.Mkdir(filepath.Dir(db), 0o755); err != nil {
				t.Fatal(err)
			}
			srv := startServer(t, "-db", db)
			createWorkflow(t, srv.URL, waitingWorkflow)
			for _, f := range []string{db, db + "-wal"} {
				if _, err := os.Stat(f); err != nil {
					t.Errorf("with -db %q, after a write: %v; files there: %q", db, err, filesUnder(t, root))
				}
			}
			srv.Stop(t)

			// A second server on the same file sees the workflow.
			again := startServer(t, "-db", db)
			mustDo(t, http.StatusOK, http.MethodGet, again.URL+"/v2/workflows/wait_for_it", nil)
		})
	}
}

// TestOneServerPerFile: a second server on a SQLite file another one
// serves stops before it listens, saying why; it starts once the first
// has stopped.
func TestOneServerPerFile(t *testing.T) {
	s := startServer(t)
	var stdout, stderr strings.Builder
	err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-db", s.DB, "-seed=false"}, func(string) string { return "" }, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "in use by a running server") {
		t.Fatalf("second server on %s: %v, want a refusal saying the file is in use", s.DB, err)
	}
	if strings.Contains(stdout.String(), "listening") {
		t.Errorf("the second server listened:\n%s", stdout.String())
	}
	s.Stop(t)
	s2 := startServer(t, "-db", s.DB)
	if r := do(t, "GET", s2.URL+"/readyz", nil); r.Status != http.StatusOK {
		t.Errorf("restart on the same file: /readyz %d", r.Status)
	}
}
