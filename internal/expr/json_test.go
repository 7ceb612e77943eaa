package expr

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// The expectations below were produced by CPython 3 (repr, str and
// json.dumps of the same values); dicts use sorted keys.
func TestStrAndEncodeJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in       any
		str      string // Python str()
		repr     string // Python repr(), i.e. inside a container
		wantJSON string // Python json.dumps()
	}{
		{nil, "None", "None", "null"},
		{true, "True", "True", "true"},
		{false, "False", "False", "false"},
		{int64(0), "0", "0", "0"},
		{int64(-5), "-5", "-5", "-5"},
		{2.5, "2.5", "2.5", "2.5"},
		{5.0, "5.0", "5.0", "5.0"},
		{1e16, "1e+16", "1e+16", "1e+16"},
		{1e-5, "1e-05", "1e-05", "1e-05"},
		{0.0001, "0.0001", "0.0001", "0.0001"},
		{123456789012345678.0, "1.2345678901234568e+17", "1.2345678901234568e+17", "1.2345678901234568e+17"},
		{math.Copysign(0, -1), "-0.0", "-0.0", "-0.0"},
		{1e22, "1e+22", "1e+22", "1e+22"},
		{1.7976931348623157e308, "1.7976931348623157e+308", "1.7976931348623157e+308", "1.7976931348623157e+308"},
		{5e-324, "5e-324", "5e-324", "5e-324"},
		{"a", "a", "'a'", `"a"`},
		{"it's", "it's", `"it's"`, `"it's"`},
		{`say "hi"`, `say "hi"`, `'say "hi"'`, `"say \"hi\""`},
		{`both ' "`, `both ' "`, `'both \' "'`, `"both ' \""`},
		{"tab\there", "tab\there", `'tab\there'`, `"tab\there"`},
		{"nl\n", "nl\n", `'nl\n'`, `"nl\n"`},
		{"\x01\x7f", "\x01\x7f", `'\x01\x7f'`, `"\u0001\u007f"`},
		{"café", "café", "'café'", `"caf\u00e9"`},
		{"日本", "日本", "'日本'", `"\u65e5\u672c"`},
		{"😀", "😀", "'😀'", `"\ud83d\ude00"`},
		{"\u00a0", "\u00a0", `'\xa0'`, `"\u00a0"`},
		{`\`, `\`, `'\\'`, `"\\"`},
		{[]any{int64(1), "a", nil, []any{true}}, "[1, 'a', None, [True]]", "[1, 'a', None, [True]]", `[1, "a", null, [true]]`},
		{map[string]any{"b": []any{int64(1), int64(2)}, "a": map[string]any{"c": "d"}},
			"{'a': {'c': 'd'}, 'b': [1, 2]}", "{'a': {'c': 'd'}, 'b': [1, 2]}", `{"a": {"c": "d"}, "b": [1, 2]}`},
		{[]any{}, "[]", "[]", "[]"},
		{map[string]any{}, "{}", "{}", "{}"},
		// Non-canonical input is normalized first.
		{map[string]int{"x": 1}, "{'x': 1}", "{'x': 1}", `{"x": 1}`},
		{[]string{"a"}, "['a']", "['a']", `["a"]`},
		{float32(0.1), "0.1", "0.1", "0.1"},
	}
	for _, tt := range tests {
		if got := Str(tt.in); got != tt.str {
			t.Errorf("Str(%#v) = %q, want %q", tt.in, got, tt.str)
		}
		if got := Str([]any{tt.in}); got != "["+tt.repr+"]" {
			t.Errorf("Str([%#v]) = %q, want %q", tt.in, got, "["+tt.repr+"]")
		}
		got, err := EncodeJSON(tt.in)
		if err != nil {
			t.Errorf("EncodeJSON(%#v): %v", tt.in, err)
		} else if string(got) != tt.wantJSON {
			t.Errorf("EncodeJSON(%#v) = %s, want %s", tt.in, got, tt.wantJSON)
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

func TestEncodeJSONRejectsNonFinite(t *testing.T) {
	t.Parallel()
	for _, v := range []any{math.NaN(), math.Inf(1), []any{math.Inf(-1)}, map[string]any{"x": math.NaN()}} {
		if b, err := EncodeJSON(v); err == nil {
			t.Errorf("EncodeJSON(%v) = %s, want an error", v, b)
		}
	}
	if _, err := EncodeJSON(map[int]int{1: 2}); err == nil {
		t.Error("EncodeJSON(map[int]int) succeeded, want an error for a non-string key")
	}
}

func TestEncodeIndented(t *testing.T) {
	t.Parallel()
	v := map[string]any{"a": int64(1), "b": []any{int64(1), int64(2)}, "c": map[string]any{}, "d": []any{}}
	want := "{\n    \"a\": 1,\n    \"b\": [\n        1,\n        2\n    ],\n    \"c\": {},\n    \"d\": []\n}"
	got, err := encodeIndented(v)
	if err != nil || got != want {
		t.Errorf("encodeIndented = %q, %v; want %q", got, err, want)
	}
}

func TestDecodeJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want any
	}{
		{`1`, int64(1)},
		{`-0`, int64(0)},
		{`1.0`, 1.0},
		{`1e2`, 100.0},
		{`9223372036854775807`, int64(math.MaxInt64)},
		{`9223372036854775808`, 9223372036854775808.0},
		{`"x\u00e9"`, "xé"},
		{`null`, nil},
		{`{}`, map[string]any{}},
		{`[]`, []any{}},
		{` [1, 2.5, "a", true, null, {}] `, []any{int64(1), 2.5, "a", true, nil, map[string]any{}}},
		{`{"a": {"b": [1]}}`, map[string]any{"a": map[string]any{"b": []any{int64(1)}}}},
	}
	for _, tt := range tests {
		got, err := DecodeJSON([]byte(tt.in))
		if err != nil {
			t.Errorf("DecodeJSON(%s): %v", tt.in, err)
			continue
		}
		if !equal(got, tt.want) || mustJSON(t, got) != mustJSON(t, tt.want) {
			t.Errorf("DecodeJSON(%s) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
	for _, bad := range []string{``, `{`, `1 2`, `[1,]`, `1e999`, `nan`} {
		if v, err := DecodeJSON([]byte(bad)); err == nil {
			t.Errorf("DecodeJSON(%q) = %#v, want an error", bad, v)
		}
	}
}

// TestJSONRoundTrip checks that decoding then encoding is the identity on
// Python-style JSON, in particular that 5 and 5.0 stay distinct.
func TestJSONRoundTrip(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		`5`, `5.0`, `-2.5`, `1e+16`, `[1, 1.0, "1"]`, `{"a": 1, "b": 1.0}`,
		`{"a": [], "b": {}, "c": null, "d": true, "e": "\u00e9\n\"\\"}`,
		`[9223372036854775807, -9223372036854775808]`,
	} {
		v, err := DecodeJSON([]byte(s))
		if err != nil {
			t.Fatalf("DecodeJSON(%s): %v", s, err)
		}
		b, err := EncodeJSON(v)
		if err != nil {
			t.Fatalf("EncodeJSON: %v", err)
		}
		if string(b) != s {
			t.Errorf("round trip of %s = %s", s, b)
		}
	}
}

type point struct {
	X int     `json:"x"`
	Y float64 `json:"y"`
}

func TestNormalize(t *testing.T) {
	t.Parallel()
	n := 7
	tests := []struct {
		in   any
		want string // JSON of the result
	}{
		{int(3), `3`},
		{int32(-3), `-3`},
		{uint8(200), `200`},
		{uint64(math.MaxUint64), `1.8446744073709552e+19`},
		{float32(2.5), `2.5`},
		{json.Number("12"), `12`},
		{json.Number("1.5"), `1.5`},
		{&n, `7`},
		{(*int)(nil), `null`},
		{[]string{"a", "b"}, `["a", "b"]`},
		{[2]int{1, 2}, `[1, 2]`},
		{[]int(nil), `[]`},
		{map[string]interface{}{"a": []interface{}{1, "x"}}, `{"a": [1, "x"]}`},
		{map[interface{}]interface{}{"k": map[interface{}]interface{}{"n": 1}}, `{"k": {"n": 1}}`},
		// Structs go through encoding/json, which writes the float 2 as "2".
		{point{X: 1, Y: 2}, `{"x": 1, "y": 2}`},
		{point{X: 1, Y: 2.5}, `{"x": 1, "y": 2.5}`},
	}
	for _, tt := range tests {
		got, err := Normalize(tt.in)
		if err != nil {
			t.Errorf("Normalize(%#v): %v", tt.in, err)
			continue
		}
		if g := mustJSON(t, got); g != tt.want {
			t.Errorf("Normalize(%#v) = %s, want %s", tt.in, g, tt.want)
		}
	}
	for _, bad := range []any{map[interface{}]interface{}{1: "x"}, make(chan int), func() {}} {
		if v, err := Normalize(bad); err == nil {
			t.Errorf("Normalize(%T) = %#v, want an error", bad, v)
		}
	}
	// Canonical values come back unchanged (same map, not a copy of a scalar).
	if v, _ := Normalize("s"); v != "s" {
		t.Errorf("Normalize(string) = %#v", v)
	}
	if !strings.Contains(Str(point{X: 1}), "'x': 1") {
		t.Errorf("Str(struct) = %q", Str(point{X: 1}))
	}
}

// TestDecodeFastTakesCommonDocuments: what the engine decodes all day
// takes the fast path (FuzzDecodeJSON checks it agrees with encoding/json).
func TestDecodeFastTakesCommonDocuments(t *testing.T) {
	for _, s := range []string{
		`{"ok": true}`, `{"a": 1, "b": "two", "c": [1.5, null, false], "d": {"e": "\u00e9\n"}}`, `"done"`, `-42`,
		`[{"id": "0193d0e2-7c4b-7a3e-9f00-000000000001", "n": 12345678901234567890}]`, `"\ud83d\ude00"`,
	} {
		if _, ok := decodeFast([]byte(s)); !ok {
			t.Errorf("%s: left to encoding/json", s)
		}
	}
}
