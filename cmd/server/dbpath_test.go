package main

import (
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
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
