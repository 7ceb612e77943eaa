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

// TestNodeLimitMemory: refusing a 500,000-item document (2 MB) costs a
// few megabytes: the nodes are counted from the text, and yaml.v3's node
// tree (some 200 MB) is never built.
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
	t.Logf("refusing %d bytes (500,000 items) allocated %d KB", len(src), bytes>>10)
	if bytes > 20<<20 {
		t.Errorf("allocated %d MB, want less than 20 MB", bytes>>20)
	}
}

// TestAliasBombMemory: aliases that would expand to 10^10 values are
// refused once the expansion budget (maxNodes) is spent: bounded memory.
func TestAliasBombMemory(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: '2.0'\nwf:\n  vars:\n    a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		prev := "*a" + string(rune('0'+i-1))
		b.WriteString("    a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [" + strings.Repeat(prev+", ", 9) + prev + "]\n")
	}
	b.WriteString("  tasks:\n    t:\n      action: std.noop\n")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := Parse([]byte(b.String()))
	runtime.ReadMemStats(&after)
	n := after.TotalAlloc - before.TotalAlloc
	t.Logf("alias bomb: %v; allocated %d MB", err, n>>20)
	if err == nil || !strings.Contains(err.Error(), "excessive aliasing") {
		t.Errorf("Parse(alias bomb) = %v, want excessive aliasing", err)
	}
	if n > 64<<20 {
		t.Errorf("allocated %d MB, want less than 64 MB", n>>20)
	}
}
