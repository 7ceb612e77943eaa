package jsonvalue

import (
	"encoding/json"
	"math"
	"testing"
)

// The expectations were produced by CPython 3's json.dumps of the same
// values; dicts use sorted keys.
func TestEncode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   any
		want string
	}{
		{nil, "null"},
		{true, "true"},
		{false, "false"},
		{int64(0), "0"},
		{int64(-5), "-5"},
		{2.5, "2.5"},
		{5.0, "5.0"},
		{1e16, "1e+16"},
		{1e-5, "1e-05"},
		{0.0001, "0.0001"},
		{123456789012345678.0, "1.2345678901234568e+17"},
		{math.Copysign(0, -1), "-0.0"},
		{1e22, "1e+22"},
		{1.7976931348623157e308, "1.7976931348623157e+308"},
		{5e-324, "5e-324"},
		{"a", `"a"`},
		{"it's", `"it's"`},
		{`say "hi"`, `"say \"hi\""`},
		{"tab\there", `"tab\there"`},
		{"nl\n", `"nl\n"`},
		{"\x01\x7f", `"\u0001\u007f"`},
		{"café", `"caf\u00e9"`},
		{"日本", `"\u65e5\u672c"`},
		{"😀", `"\ud83d\ude00"`},
		{"\u00a0", `"\u00a0"`},
		{`\`, `"\\"`},
		{[]any{int64(1), "a", nil, []any{true}}, `[1, "a", null, [true]]`},
		{map[string]any{"b": []any{int64(1), int64(2)}, "a": map[string]any{"c": "d"}}, `{"a": {"c": "d"}, "b": [1, 2]}`},
		{[]any{}, "[]"},
		{map[string]any{}, "{}"},
		// Other Go values are normalized first.
		{map[string]int{"x": 1}, `{"x": 1}`},
		{[]string{"a"}, `["a"]`},
		{float32(0.1), "0.1"},
	}
	for _, tt := range tests {
		got, err := Encode(tt.in)
		if err != nil {
			t.Errorf("Encode(%#v): %v", tt.in, err)
		} else if string(got) != tt.want {
			t.Errorf("Encode(%#v) = %s, want %s", tt.in, got, tt.want)
		}
		if got, err := Append([]byte("x"), tt.in); err != nil || string(got) != "x"+tt.want {
			t.Errorf("Append(x, %#v) = %s, %v; want x%s", tt.in, got, err, tt.want)
		}
	}
}

func TestEncodeRejectsNonFinite(t *testing.T) {
	t.Parallel()
	for _, v := range []any{math.NaN(), math.Inf(1), []any{math.Inf(-1)}, map[string]any{"x": math.NaN()}} {
		if b, err := Encode(v); err == nil {
			t.Errorf("Encode(%v) = %s, want an error", v, b)
		}
		if b, err := Append([]byte("kept"), []any{"x", v}); err == nil || string(b) != "kept" {
			t.Errorf("Append(kept, [x, %v]) = %q, %v; want kept and an error", v, b, err)
		}
	}
	if _, err := Encode(map[int]int{1: 2}); err == nil {
		t.Error("Encode(map[int]int) succeeded, want an error for a non-string key")
	}
	if _, err := Encode(math.NaN()); err == nil || err.Error() != "encode json: out of range float value nan is not JSON compliant" {
		t.Errorf("Encode(NaN): %v", err)
	}
}

func TestAppendIndent(t *testing.T) {
	t.Parallel()
	v := map[string]any{"a": int64(1), "b": []any{int64(1), int64(2)}, "c": map[string]any{}, "d": []any{}}
	// json.dumps(v, indent=4)
	want := "{\n    \"a\": 1,\n    \"b\": [\n        1,\n        2\n    ],\n    \"c\": {},\n    \"d\": []\n}"
	got, err := AppendIndent(nil, v, "    ")
	if err != nil || string(got) != want {
		t.Errorf("AppendIndent = %q, %v; want %q", got, err, want)
	}
	// json.dumps(v, indent=""): lines, no indentation.
	if got, err := AppendIndent(nil, []any{int64(1), "é"}, ""); err != nil || string(got) != "[\n1,\n\"\\u00e9\"\n]" {
		t.Errorf("AppendIndent(\"\") = %q, %v", got, err)
	}
}

func TestFormatFloat(t *testing.T) {
	t.Parallel()
	for in, want := range map[float64]string{
		math.Inf(1): "inf", math.Inf(-1): "-inf", math.NaN(): "nan",
		1: "1.0", 1e15: "1000000000000000.0", 1e16: "1e+16", 0.0001: "0.0001", 0.00001: "1e-05", 1e100: "1e+100",
	} {
		if got := FormatFloat(in); got != want {
			t.Errorf("FormatFloat(%v) = %q, want %q", in, got, want)
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
		if g := mustEncode(t, got); g != tt.want {
			t.Errorf("Normalize(%#v) = %s, want %s", tt.in, g, tt.want)
		}
	}
	for _, bad := range []any{map[interface{}]interface{}{1: "x"}, make(chan int), func() {}} {
		if v, err := Normalize(bad); err == nil {
			t.Errorf("Normalize(%T) = %#v, want an error", bad, v)
		}
	}
	// Plain values come back unchanged (not a copy of a scalar).
	if v, _ := Normalize("s"); v != "s" {
		t.Errorf("Normalize(string) = %#v", v)
	}
}

// mustEncode encodes v for comparisons that must tell 5 from 5.0.
func mustEncode(t testing.TB, v any) string {
	t.Helper()
	b, err := Encode(v)
	if err != nil {
		t.Fatalf("Encode(%#v): %v", v, err)
	}
	return string(b)
}
