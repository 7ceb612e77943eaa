package expr

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// TestGolden runs testdata/cases.txt: one case per line, the input string,
// a tab, and either the expected result as JSON (so that 5 and 5.0 differ)
// or "!" followed by a fragment of the expected error. Lines starting with
// # are comments. Inputs may use \t and \n escapes.
func TestGolden(t *testing.T) {
	t.Parallel()
	f, err := os.Open("testdata/cases.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx := testContext(t)
	sc := bufio.NewScanner(f)
	line, n := 0, 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if strings.TrimSpace(text) == "" || strings.HasPrefix(text, "#") {
			continue
		}
		in, want, ok := strings.Cut(text, "\t")
		if !ok {
			t.Fatalf("cases.txt:%d: no tab", line)
		}
		in = strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(in)
		want = strings.TrimLeft(want, "\t")
		n++
		got, err := EvalString(in, ctx)
		if frag, isErr := strings.CutPrefix(want, "!"); isErr {
			if err == nil {
				t.Errorf("cases.txt:%d: EvalString(%q) = %s, want error containing %q", line, in, mustJSON(t, got), frag)
			} else if !strings.Contains(err.Error(), frag) {
				t.Errorf("cases.txt:%d: EvalString(%q) error = %q, want it to contain %q", line, in, err, frag)
			}
			continue
		}
		if err != nil {
			t.Errorf("cases.txt:%d: EvalString(%q) error: %v", line, in, err)
			continue
		}
		if g := mustJSON(t, got); g != want {
			t.Errorf("cases.txt:%d: EvalString(%q) = %s, want %s", line, in, g, want)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 50 {
		t.Fatalf("only %d cases read from cases.txt", n)
	}
}
