package expr

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

// TestYAMLDumpGolden compares yaml_dump with what PyYAML produced for each
// value of testdata/yaml_dump.txt, and reads every output back.
func TestYAMLDumpGolden(t *testing.T) {
	t.Parallel()
	f, err := os.Open("testdata/yaml_dump.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	line, n := 0, 0
	for sc.Scan() {
		line++
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		in, wantJSON, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			t.Fatalf("yaml_dump.txt:%d: no tab", line)
		}
		v, err := jsonvalue.Decode([]byte(in))
		if err != nil {
			t.Fatalf("yaml_dump.txt:%d: %v", line, err)
		}
		var want string
		if err := json.Unmarshal([]byte(wantJSON), &want); err != nil {
			t.Fatalf("yaml_dump.txt:%d: %v", line, err)
		}
		n++
		got, err := fnYAMLDump(nil, []any{v})
		if err != nil || got != want {
			t.Errorf("yaml_dump.txt:%d: yaml_dump(%s) = %q, %v; want %q", line, in, got, err, want)
			continue
		}
		back, err := fnYAMLParse(nil, []any{got})
		if err != nil || !jsonvalue.Equal(back, v) { // keys come back sorted, as PyYAML dumps them
			t.Errorf("yaml_dump.txt:%d: yaml_parse(yaml_dump(%s)) = %#v, %v", line, in, back, err)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 80 {
		t.Fatalf("only %d cases read", n)
	}
}

// FuzzYAMLDump checks that yaml_parse(yaml_dump(x)) == x. The input is a
// JSON document when it is one; otherwise the string itself, as an item, a
// key and a value.
func FuzzYAMLDump(f *testing.F) {
	for _, s := range []string{
		`{"a": [1, 2.5, "yes", null, true, {"b": {}}], "": [], "x y": "1:30"}`, `"0o17"`, `"1.0e5"`,
		"a\nb", " lead", "trail ", "- x", "caf\u00e9 \u2028 \x85 \ufeff", "'quoted' \"double\"",
		strings.Repeat("word ", 40), "2001-12-14", "~", "=", "<<", "#", `[[[]]]`, `1e16`, `-0.0`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return // Python strings, and so Mistral's values, are text
		}
		v, err := jsonvalue.Decode([]byte(s))
		if err != nil {
			v = []any{s, map[string]any{s: s}}
		}
		y, err := fnYAMLDump(nil, []any{v})
		if err != nil {
			t.Fatalf("yaml_dump(%#v): %v", v, err)
		}
		back, err := fnYAMLParse(nil, []any{y})
		// yaml_dump sorts keys, as PyYAML does: the same members come back.
		if err != nil || !jsonvalue.Equal(back, v) {
			t.Fatalf("yaml_parse(yaml_dump(%#v)) = %#v, %v; yaml: %q", v, back, err, y)
		}
	})
}
