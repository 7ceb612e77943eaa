package jsonview

import (
	"bytes"
	"encoding/json"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"
)

// roomy limits never shorten the small documents of these tests.
var roomy = Limits{MaxBytes: 1 << 20, MaxDepth: 64, Indent: "  "}

// valid are well-formed documents of every kind of token and spacing.
var valid = []string{
	`null`, `true`, `false`, `0`, `-0`, `12.5e-3`, `1E+9`, `-7`, `""`, `"a\"b\\c\/\b\f\n\r\t\u00e9"`,
	`"é 😀"`, "\"\xff\"", `[]`, `{}`, `[ ]`, ` { } `, `[1,2,3]`, ` [ 1 , [ 2 , [ ] ] , { } ] `,
	`{"a":1,"b":{"c":[true,null,"x"]},"d":[]}`, "{\n\t\"k\" : \"v\" ,\r\n \"n\":[{}]}\n", `{"a":1,"a":2}`,
	`[[[[[[["deep"]]]]]]]`, `{"":""}`,
}

// TestFormatMatchesEncodingJSON: within the limits, Format writes exactly
// what json.Indent (or json.Compact, without Indent) writes.
func TestFormatMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, s := range valid {
		var want bytes.Buffer
		if err := json.Indent(&want, []byte(s), "", "  "); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		got := Format(s, roomy)
		if wantText := strings.TrimRight(want.String(), " \t\r\n"); got.Text != wantText || !got.JSON || got.Shortened() {
			t.Errorf("Format(%q) = %+v, want %q as complete JSON", s, got, wantText)
		}
		want.Reset()
		if err := json.Compact(&want, []byte(s)); err != nil {
			t.Fatal(err)
		}
		line := roomy
		line.Indent = ""
		if got := Format(s, line); got.Text != want.String() || !got.JSON || got.Shortened() {
			t.Errorf("Format(%q) on one line = %+v, want %q", s, got, want.String())
		}
	}
}

// TestFormatNotJSON: text that is not JSON is shown as it is, cut to the
// limit, and never claimed to be JSON.
func TestFormatNotJSON(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		`{`, `[1,]`, `{"a":1,}`, `{"a" 1}`, `{1:2}`, `[1 2]`, `01`, `1.`, `.5`, `1e`, `-`, `+1`, `tru`, `nul`,
		`"\x"`, `"\u12"`, `"\u12g4"`, "\"a\x01\"", `"open`, `{"a":1}x`, `[]]`, `[}`, `{]`, "\ufeff{}", `NaN`,
		`plain text`, `[[[`, `[[[]]`,
	} {
		if json.Valid([]byte(s)) {
			t.Fatalf("%q is JSON: the case is wrong", s)
		}
		got := Format(s, roomy)
		if got.JSON || got.Text != s || got.Shortened() {
			t.Errorf("Format(%q) = %+v, want the text as it is", s, got)
		}
	}
	long := strings.Repeat("é", 100) // 200 bytes
	got := Format("x"+long, Limits{MaxBytes: 100, MaxDepth: 4})
	if got.Text != "x"+strings.Repeat("é", 49)+Ellipsis || !got.Truncated || got.JSON {
		t.Errorf("long text: %+v, want 99 bytes on a character boundary and the ellipsis", got)
	}
}

// TestFormatCollapsesDeepContainers: past MaxDepth a container is shown
// as […] or {…}, however deep it goes on.
func TestFormatCollapsesDeepContainers(t *testing.T) {
	t.Parallel()
	lim := Limits{MaxBytes: 1 << 10, MaxDepth: 2, Indent: "  "}
	for _, tc := range []struct{ in, want string }{
		{strings.Repeat("[", 10000) + strings.Repeat("]", 10000), "[\n  [\n    […]\n  ]\n]"},
		{strings.Repeat(`{"k":`, 10000) + "1" + strings.Repeat("}", 10000), "{\n  \"k\": {\n    \"k\": {…}\n  }\n}"},
		{`{"a":[1,[2,"]}[{"]],"b":{}}`, "{\n  \"a\": [\n    1,\n    […]\n  ],\n  \"b\": {}\n}"},
	} {
		got := Format(tc.in, lim)
		if got.Text != tc.want || !got.Collapsed || got.Truncated || !got.JSON {
			t.Errorf("Format(%.40q…) = %+v, want %q, collapsed", tc.in, got, tc.want)
		}
	}
	// A collapsed container must still end: an unclosed one is not JSON.
	if got := Format(`[[[[`+`"x"`, lim); got.JSON {
		t.Errorf("unclosed deep array: %+v, want plain text", got)
	}
}

// TestFormatTruncates: the text stops at MaxBytes, on a character
// boundary, and says so.
func TestFormatTruncates(t *testing.T) {
	t.Parallel()
	lim := Limits{MaxBytes: 20, MaxDepth: 8, Indent: "  "}
	got := Format(`["ééééééééééééé"]`, lim)
	// "[\n  \"" is 5 bytes; 7 é fit in the 15 left, the 8th would not.
	if want := "[\n  \"" + strings.Repeat("é", 7) + "…"; got.Text != want || !got.Truncated || !got.JSON {
		t.Errorf("Format = %+v, want %q, truncated", got, want)
	}
	got = Format(`[1,2,3,4,5,6,7,8,9]`, Limits{MaxBytes: 10, MaxDepth: 8})
	if want := "[1,2,3,4,5…"; got.Text != want || !got.Truncated {
		t.Errorf("Format on one line = %+v, want %q", got, want)
	}
}

func TestClip(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		max  int
		want string
		cut  bool
	}{
		{"", 0, "", false},
		{"abc", 3, "abc", false},
		{"abcd", 3, "abc…", true},
		{"aé", 2, "a…", true},
		{"😀😀", 7, "😀…", true},
		{"😀", 0, "…", true},
	} {
		got, cut := Clip(tc.in, tc.max)
		if got != tc.want || cut != tc.cut {
			t.Errorf("Clip(%q, %d) = %q, %v; want %q, %v", tc.in, tc.max, got, cut, tc.want, tc.cut)
		}
	}
}

// adversarial are the shapes that once made pages huge, at the sizes an
// old row (or a value built by expressions) can have.
func adversarial() []struct{ name, in string } {
	var keys strings.Builder
	keys.WriteString("{")
	for i := range 1000 {
		if i > 0 {
			keys.WriteString(",")
		}
		keys.WriteString(`"` + strings.Repeat(string(rune('a'+i%26)), 1000) + `":` + `[1]`)
	}
	keys.WriteString("}")
	return []struct{ name, in string }{
		{"deep-arrays", strings.Repeat("[", 10000) + strings.Repeat("]", 10000)},
		{"deep-objects", strings.Repeat(`{"k":`, 10000) + "null" + strings.Repeat("}", 10000)},
		{"deep-unclosed", strings.Repeat("[", 100000)},
		{"wide", "[" + strings.Repeat(`1,`, 100000) + "1]"},
		{"wide-empty", "[" + strings.Repeat(`[],`, 100000) + "{}]"},
		{"long-string", `"` + strings.Repeat("x", 1<<20) + `"`},
		{"long-escapes", `"` + strings.Repeat(`\u00e9`, 1<<17) + `"`},
		{"long-keys", keys.String()},
		{"deep-then-wide", strings.Repeat("[", 40) + strings.Repeat(`"v",`, 50000) + `0` + strings.Repeat("]", 40)},
	}
}

// TestFormatAdversarialBounded: whatever the shape, the text stays within
// the limit and a call allocates in a few allocations no more than the
// output buffer and, for text that is not JSON, the cut copy shown instead.
func TestFormatAdversarialBounded(t *testing.T) {
	// Not parallel: the allocation figures are the process's.
	for _, lim := range []Limits{Block, Line} {
		for _, tc := range adversarial() {
			var v View
			allocs := testing.AllocsPerRun(3, func() { v = Format(tc.in, lim) })
			if len(v.Text) > lim.MaxBytes+len(Ellipsis) {
				t.Errorf("%s (max %d): %d bytes of text", tc.name, lim.MaxBytes, len(v.Text))
			}
			if !v.Shortened() {
				t.Errorf("%s (max %d): not shortened: %d bytes", tc.name, lim.MaxBytes, len(v.Text))
			}
			if allocs > 4 {
				t.Errorf("%s (max %d): %v allocations per call, want at most 4", tc.name, lim.MaxBytes, allocs)
			}
			// Averaged over several calls, as AllocsPerRun does, so that a
			// stray allocation elsewhere in the process does not count.
			const runs = 10
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for range runs {
				Format(tc.in, lim)
			}
			runtime.ReadMemStats(&after)
			if n := (after.TotalAlloc - before.TotalAlloc) / runs; n > uint64(lim.MaxBytes*5/2+1024) {
				t.Errorf("%s (max %d): %d bytes allocated per call", tc.name, lim.MaxBytes, n)
			}
			if utf8.ValidString(tc.in) && !utf8.ValidString(v.Text) {
				t.Errorf("%s (max %d): the cut split a character", tc.name, lim.MaxBytes)
			}
		}
	}
}

// FuzzPrettyJSON holds the bounds for any input: no panic; the text within
// MaxBytes and the ellipsis; a view claimed complete is the input, which
// re-reads to the same value (and, indented, is what json.Indent writes);
// JSON within the limits is shown complete.
func FuzzPrettyJSON(f *testing.F) {
	for _, s := range valid {
		f.Add(s)
	}
	for _, s := range []string{`[1,]`, `{"a" 1}`, `"\u12"`, "\"a\x01\"", `[[[[[[[[[[]]]]]]]]]]`, `[[[[`, `{"a":[{"b":[{"c":[]}]}]}`} {
		f.Add(s)
	}
	small := Limits{MaxBytes: 64, MaxDepth: 3, Indent: "  "}
	line := Limits{MaxBytes: 48, MaxDepth: 2}
	f.Fuzz(func(t *testing.T, s string) {
		isJSON := json.Valid([]byte(s))
		for _, lim := range []Limits{small, line, Block} {
			v := Format(s, lim)
			if len(v.Text) > lim.MaxBytes+len(Ellipsis) {
				t.Fatalf("%q: %d bytes of text, limit %d", s, len(v.Text), lim.MaxBytes)
			}
			if !v.JSON || v.Shortened() {
				if isJSON && depth(s) <= lim.MaxDepth && len(indent(s, lim.Indent)) <= lim.MaxBytes {
					t.Fatalf("%q within %+v: %+v, want it whole", s, lim, v)
				}
				continue
			}
			if !isJSON {
				t.Fatalf("%q is not JSON, yet shown whole as JSON: %q", s, v.Text)
			}
			in, err := decode(s)
			if err != nil {
				t.Fatal(err)
			}
			if out, err := decode(v.Text); err != nil || !reflect.DeepEqual(in, out) {
				t.Fatalf("%q → %q: re-read as %v (%v), want %v", s, v.Text, out, err, in)
			}
			if want := indent(s, lim.Indent); v.Text != want {
				t.Fatalf("%q → %q, json.Indent writes %q", s, v.Text, want)
			}
		}
	})
}

// decode reads s keeping numbers as written (1e1000 is JSON, and too
// large for a float64).
func decode(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

// indent is what encoding/json writes for valid s.
func indent(s, ind string) string {
	var b bytes.Buffer
	if ind == "" {
		_ = json.Compact(&b, []byte(s))
		return b.String()
	}
	_ = json.Indent(&b, []byte(s), "", ind)
	return strings.TrimRight(b.String(), " \t\r\n")
}

// depth is the nesting of valid JSON s.
func depth(s string) int {
	d, max := 0, 0
	dec := json.NewDecoder(strings.NewReader(s))
	for {
		tok, err := dec.Token()
		if err != nil {
			return max
		}
		switch tok {
		case json.Delim('['), json.Delim('{'):
			if d++; d > max {
				max = d
			}
		case json.Delim(']'), json.Delim('}'):
			d--
		}
	}
}
