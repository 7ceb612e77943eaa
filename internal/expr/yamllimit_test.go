package expr

import (
	"runtime"
	"strings"
	"testing"
)

// TestYAMLParseNodeLimit: yaml_parse refuses a document past maxYAMLNodes,
// naming the limit and where it was passed.
func TestYAMLParseNodeLimit(t *testing.T) {
	_, err := fnYAMLParse(nil, []any{strings.Repeat("- a\n", 300_000)})
	if err == nil || !strings.Contains(err.Error(), "200000 YAML nodes") || !strings.Contains(err.Error(), "line 199999, column 1") {
		t.Fatalf("yaml_parse(300,000 items) = %v, want the node limit named at line 199999 (the 200,001st node, with the document and the list)", err)
	}
	if _, err := fnYAMLParse(nil, []any{strings.Repeat("- a\n", 1000)}); err != nil {
		t.Errorf("yaml_parse(1,000 items) = %v", err)
	}
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestYAMLParseLimitMemory: refusing an oversized document, or one whose
// aliases expand past the value budget ("billion laughs"), costs a few
// megabytes, not the node tree of the document or of its expansion.
func TestYAMLParseLimitMemory(t *testing.T) {
	list := strings.Repeat("- a\n", 300_000)
	var bomb strings.Builder
	bomb.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		bomb.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [" +
			strings.Repeat("*a"+string(rune('0'+i-1))+", ", 9) + "*a" + string(rune('0'+i-1)) + "]\n")
	}
	for _, tt := range []struct {
		name, src string
		limit     uint64
	}{
		{"300,000 items", list, 20 << 20},
		{"10^10 aliased items", bomb.String(), 20 << 20},
	} {
		var err error
		n := allocated(func() { _, err = fnYAMLParse(nil, []any{tt.src}) })
		t.Logf("%s (%d bytes): %v; allocated %d KB", tt.name, len(tt.src), err, n>>10)
		if err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
		if n > tt.limit && !raceEnabled {
			t.Errorf("%s: allocated %d MB, want less than %d MB", tt.name, n>>20, tt.limit>>20)
		}
	}
}
