package pgtest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// TestSweepOrphans: a cluster whose test binary died (its owner PID is
// gone) is stopped and removed by the next start; one whose owner lives
// is left alone.
func TestSweepOrphans(t *testing.T) {
	live, orphan := Private(t), Private(t)
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(orphan.dir, ownerFile), []byte(strconv.Itoa(dead.Process.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}
	sweepOrphans(orphan.bin)
	if _, err := os.Stat(orphan.dir); !os.IsNotExist(err) {
		t.Errorf("the orphan's directory is still there: %v", err)
	}
	if err := orphan.Exec(context.Background(), "SELECT 1"); err == nil {
		t.Error("the orphan's server still answers")
	}
	if err := live.Exec(context.Background(), "SELECT 1"); err != nil {
		t.Errorf("a cluster whose owner lives was touched: %v", err)
	}
}
