package expr

import (
	"math"
	"strings"
	"testing"
)

// The expectations below were produced by CPython 3 (str and repr of the
// same values); dicts use sorted keys. jsonvalue's TestEncode holds
// json.dumps of the same values.
func TestStr(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   any
		str  string // Python str()
		repr string // Python repr(), i.e. inside a container
	}{
		{nil, "None", "None"},
		{true, "True", "True"},
		{false, "False", "False"},
		{int64(0), "0", "0"},
		{int64(-5), "-5", "-5"},
		{2.5, "2.5", "2.5"},
		{5.0, "5.0", "5.0"},
		{1e16, "1e+16", "1e+16"},
		{1e-5, "1e-05", "1e-05"},
		{0.0001, "0.0001", "0.0001"},
		{123456789012345678.0, "1.2345678901234568e+17", "1.2345678901234568e+17"},
		{math.Copysign(0, -1), "-0.0", "-0.0"},
		{1e22, "1e+22", "1e+22"},
		{1.7976931348623157e308, "1.7976931348623157e+308", "1.7976931348623157e+308"},
		{5e-324, "5e-324", "5e-324"},
		{"a", "a", "'a'"},
		{"it's", "it's", `"it's"`},
		{`say "hi"`, `say "hi"`, `'say "hi"'`},
		{`both ' "`, `both ' "`, `'both \' "'`},
		{"tab\there", "tab\there", `'tab\there'`},
		{"nl\n", "nl\n", `'nl\n'`},
		{"\x01\x7f", "\x01\x7f", `'\x01\x7f'`},
		{"café", "café", "'café'"},
		{"日本", "日本", "'日本'"},
		{"😀", "😀", "'😀'"},
		{"\u00a0", "\u00a0", `'\xa0'`},
		{`\`, `\`, `'\\'`},
		{[]any{int64(1), "a", nil, []any{true}}, "[1, 'a', None, [True]]", "[1, 'a', None, [True]]"},
		{map[string]any{"b": []any{int64(1), int64(2)}, "a": map[string]any{"c": "d"}},
			"{'a': {'c': 'd'}, 'b': [1, 2]}", "{'a': {'c': 'd'}, 'b': [1, 2]}"},
		{[]any{}, "[]", "[]"},
		{map[string]any{}, "{}", "{}"},
		// Non-canonical input is normalized first.
		{map[string]int{"x": 1}, "{'x': 1}", "{'x': 1}"},
		{[]string{"a"}, "['a']", "['a']"},
		{float32(0.1), "0.1", "0.1"},
	}
	for _, tt := range tests {
		if got := Str(tt.in); got != tt.str {
			t.Errorf("Str(%#v) = %q, want %q", tt.in, got, tt.str)
		}
		if got := Str([]any{tt.in}); got != "["+tt.repr+"]" {
			t.Errorf("Str([%#v]) = %q, want %q", tt.in, got, "["+tt.repr+"]")
		}
	}
}

func TestStrSpecialFloats(t *testing.T) {
	t.Parallel()
	for in, want := range map[float64]string{math.Inf(1): "inf", math.Inf(-1): "-inf", math.NaN(): "nan"} {
		if got := Str(in); got != want {
			t.Errorf("Str(%v) = %q, want %q", in, got, want)
		}
	}
}

type point struct {
	X int     `json:"x"`
	Y float64 `json:"y"`
}

// TestStrStruct: a struct a Func returns is shown through its JSON.
func TestStrStruct(t *testing.T) {
	t.Parallel()
	if !strings.Contains(Str(point{X: 1}), "'x': 1") {
		t.Errorf("Str(struct) = %q", Str(point{X: 1}))
	}
}
