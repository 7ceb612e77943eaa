package dsl

import (
	"errors"
	"runtime"
	"strings"
	"testing"
)

// bigList is a workflow document whose input default is a list of n items,
// about 4 bytes an item: 500,000 fit in the API's 2 MB body.
func bigList(n int) []byte {
	var b strings.Builder
	b.WriteString("version: '2.0'\nwf:\n  input:\n    - x:\n")
	b.WriteString(strings.Repeat("      - a\n", n))
	b.WriteString("  tasks:\n    t:\n      action: std.noop\n")
	return []byte(b.String())
}

// TestNodeLimit: a document past MaxDocumentNodes is refused, naming the
// limit and the line where it was passed, and matches ErrTooManyNodes.
func TestNodeLimit(t *testing.T) {
	_, err := Parse(bigList(500_000))
	var de *Error
	if !errors.As(err, &de) || !errors.Is(err, ErrTooManyNodes) {
		t.Fatalf("Parse(500,000 items) = %v, want an *Error matching ErrTooManyNodes", err)
	}
	if !strings.Contains(de.Msg, "200000") || de.Line < 2 {
		t.Errorf("error %q at line %d: want the limit named and a position", de.Msg, de.Line)
	}
	if _, err := Parse(bigList(1000)); err != nil {
		t.Errorf("Parse(1,000 items) = %v, want nil", err)
	}
}

// TestNodeLimitMemory reports what a refused 500,000-item document costs.
// What remains is yaml.v3's node tree, which is bounded by the body size;
// the specs and values built from it are never made.
func TestNodeLimitMemory(t *testing.T) {
	src := bigList(500_000)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if _, err := Parse(src); err == nil {
		t.Fatal("Parse succeeded")
	}
	runtime.ReadMemStats(&after)
	bytes := after.TotalAlloc - before.TotalAlloc
	t.Logf("refusing %d bytes (500,000 items) allocated %d MB", len(src), bytes>>20)
	if bytes > 300<<20 {
		t.Errorf("allocated %d MB, want at most 300 MB", bytes>>20)
	}
}
