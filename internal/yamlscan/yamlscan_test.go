package yamlscan

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// built decodes every document of src with yaml.v3 and counts the nodes
// it builds (aliases once), as the callers' exact checks do; ok is false
// when yaml.v3 refuses src.
func built(src []byte) (n int, ok bool) {
	defer func() {
		if recover() != nil {
			n, ok = 0, false
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(src))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return n, true
		}
		if err != nil {
			return 0, false
		}
		stack := []*yaml.Node{&doc}
		for len(stack) > 0 {
			x := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			n++
			stack = append(stack, x.Content...)
		}
	}
}

// TestCountExact: for documents without explicit keys, one per text, the
// count is yaml.v3's.
func TestCountExact(t *testing.T) {
	for _, src := range []string{
		"a",
		"a: 1\nb: 2\n",
		"- a\n- b\n",
		"- - - a\n",
		"a:\n  - x\n  -\n  - {p: 1, q}\n",
		"{a: 1, b: [x, y: z, [], {}], c}",
		"[a, b: c, {d}]",
		"a: &x [1, 2]\nb: *x\nc: !!str 3\n<<: {d: 4}\n",
		"a: |\n  - not\n  - items\nb: >-\n  x: y\n\n  - z\nc: 'it''s\n  - a: b'\nd: \"q\\\"\n  - x\"\n",
		"k: plain text\n  - goes on\n  x:y\nl: no",
		"- a\n  - b\n- c #- d\n",
		"a:\n- 1\n- 2\nb:\n  c:\n    d: [1,\n  2]\n",
		"- |2\n    a\n  b\n- x\n",
		"\"quoted key\": 1\n'k2': [\"a,b\", 'c]d']\n",
		"a: b # c: d\n# - e\nf:\n",
		"x: \"a\\\n  - b\"\n",
		"a:\r\n  - b\r\n  - c: d\r\n",
		"a:\u2028  - b\u2029  - c\n",
	} {
		want, ok := built([]byte(src))
		if !ok {
			t.Errorf("yaml.v3 refuses %q", src)
			continue
		}
		if got := Count([]byte(src)); got != want {
			t.Errorf("Count(%q) = %d, yaml.v3 builds %d nodes", src, got, want)
		}
	}
}

// TestCountOver: explicit keys and further documents count more than
// yaml.v3 builds, never fewer.
func TestCountOver(t *testing.T) {
	for _, src := range []string{
		"? a\n: b\n",
		"? - x\n  - y\n: [z]\n",
		"a\n---\nb\n--- c\n",
		"[? a : b]",
		"%YAML 1.1\n---\na: 1\n",
	} {
		want, ok := built([]byte(src))
		if !ok {
			t.Errorf("yaml.v3 refuses %q", src)
			continue
		}
		if got := Count([]byte(src)); got < want {
			t.Errorf("Count(%q) = %d < %d, what yaml.v3 builds", src, got, want)
		}
	}
}

// TestOver: a long list passes the limit at the item that passes it, and
// whatever hides items from a naive reading (block scalars, quotes,
// comments) does not hide real ones.
func TestOver(t *testing.T) {
	list := "x:\n" + strings.Repeat("- a\n", 1000)
	if at, over := Over([]byte(list), 500); !over || at != (Position{Line: 1 + 497, Column: 1}) {
		t.Errorf("Over(1,000 items, 500) = %v %v, want over at line 498", at, over)
	}
	if _, over := Over([]byte(list), 2002); over {
		t.Error("Over(1,000 items, 2,002) = true")
	}
	// An empty block scalar ends at a line no deeper than its mapping:
	// the pairs after it are real.
	tricky := "- key: |\n" + strings.Repeat("  k: v\n", 1000)
	if n, _ := built([]byte(tricky)); Count([]byte(tricky)) < n {
		t.Errorf("Count = %d < %d", Count([]byte(tricky)), n)
	}
	// A quote inside a plain scalar's continuation starts nothing.
	tricky = "- a\n  \"b\n" + strings.Repeat("- c\n", 1000) + "- \"\n"
	if n, _ := built([]byte(tricky)); Count([]byte(tricky)) < n {
		t.Errorf("Count = %d < %d", Count([]byte(tricky)), n)
	}
}

// TestUTF16: yaml.v3 reads UTF-16 with a byte order mark; so does Count.
func TestUTF16(t *testing.T) {
	src := "- a\n- b\n- c\n"
	le := []byte{0xFF, 0xFE}
	for _, r := range src {
		le = append(le, byte(r), 0)
	}
	want, ok := built(le)
	if !ok || want != 5 {
		t.Fatalf("yaml.v3 on UTF-16: %d %v", want, ok)
	}
	if got := Count(le); got != want {
		t.Errorf("Count(UTF-16) = %d, want %d", got, want)
	}
}

// TestNoAllocation: counting a megabyte allocates next to nothing.
func TestNoAllocation(t *testing.T) {
	src := []byte(strings.Repeat("- a\n", 250_000))
	allocs := testing.AllocsPerRun(2, func() { Count(src) })
	if allocs > 10 {
		t.Errorf("Count allocated %v times", allocs)
	}
}

// FuzzCount: Count never counts fewer nodes than yaml.v3 builds for a
// stream it accepts.
func FuzzCount(f *testing.F) {
	for _, pattern := range []string{"../dsl/testdata/valid/*.yaml", "../dsl/testdata/invalid/*.yaml", "../../cmd/server/seed/*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			if src, err := os.ReadFile(file); err == nil {
				f.Add(src)
			}
		}
	}
	for _, s := range []string{"- a\n  - b\n", "a: |\n b\nc: d", "[a, {b: c}, ? d]", "a: 'x\n  - y'\n- z", "\ufeff- a", "a:\n\ufeff- b"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		got := Count(src)
		if want, ok := built(src); ok && got < want {
			t.Fatalf("Count = %d, yaml.v3 builds %d nodes for %q", got, want, src)
		}
	})
}

func BenchmarkCount(b *testing.B) {
	src := []byte(strings.Repeat("- a\n", 250_000))
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		Count(src)
	}
}
