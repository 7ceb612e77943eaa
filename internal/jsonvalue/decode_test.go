package jsonvalue

import (
	"math"
	"reflect"
	"testing"
)

func TestDecode(t *testing.T) {
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
		{`{}`, &Object{}},
		{`[]`, []any{}},
		{` [1, 2.5, "a", true, null, {}] `, []any{int64(1), 2.5, "a", true, nil, &Object{}}},
		{`{"a": {"b": [1]}}`, ObjectOf("a", ObjectOf("b", []any{int64(1)}))},
		// Keys keep their order; a repeated key keeps its first place and its last value.
		{`{"z": 1, "a": 2, "m": {"y": 1, "b": 2}}`, ObjectOf("z", int64(1), "a", int64(2), "m", ObjectOf("y", int64(1), "b", int64(2)))},
		{`{"b": 1, "a": 2, "b": 3}`, ObjectOf("b", int64(3), "a", int64(2))},
	}
	for _, tt := range tests {
		got, err := Decode([]byte(tt.in))
		if err != nil {
			t.Errorf("Decode(%s): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Decode(%s) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
	for _, bad := range []string{``, `{`, `1 2`, `[1,]`, `1e999`, `nan`} {
		if v, err := Decode([]byte(bad)); err == nil {
			t.Errorf("Decode(%q) = %#v, want an error", bad, v)
		}
	}
}

// TestRoundTrip checks that decoding then encoding is the identity on
// Python-style JSON, in particular that 5 and 5.0 stay distinct.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		`5`, `5.0`, `-2.5`, `1e+16`, `[1, 1.0, "1"]`, `{"a": 1, "b": 1.0}`,
		`{"a": [], "b": {}, "c": null, "d": true, "e": "\u00e9\n\"\\"}`,
		`{"zeta": 1, "alpha": {"y": [], "b": 2.0}}`, // insertion order kept
		`[9223372036854775807, -9223372036854775808]`,
	} {
		v, err := Decode([]byte(s))
		if err != nil {
			t.Fatalf("Decode(%s): %v", s, err)
		}
		if got := mustEncode(t, v); got != s {
			t.Errorf("round trip of %s = %s", s, got)
		}
	}
}

// TestDecodeFastTakesCommonDocuments: what the engine decodes all day
// takes the fast path (FuzzDecodeJSON checks it agrees with encoding/json).
func TestDecodeFastTakesCommonDocuments(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		`{"ok": true}`, `{"a": 1, "b": "two", "c": [1.5, null, false], "d": {"e": "\u00e9\n"}}`, `"done"`, `-42`,
		`[{"id": "0193d0e2-7c4b-7a3e-9f00-000000000001", "n": 12345678901234567890}]`, `"\ud83d\ude00"`,
	} {
		if _, ok := decodeFast([]byte(s)); !ok {
			t.Errorf("%s: left to encoding/json", s)
		}
	}
}

// FuzzDecodeJSON: the fast JSON decoder gives exactly what encoding/json
// with Normalize gives, or leaves the document to it.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{}`, `[]`, `null`, ` {"a": 1, "b": [true, false, null, -0, 0.5, 1e3, -12E-2, "x"]} `,
		`{"a":{"b":{"c":[[[]]]}}}`, `"\u00e9\ud83d\ude00\n\t\"\\\/"`, `"\ud800"`, `"\udc00\ud800"`,
		`123456789012345678`, `1234567890123456789`, `-9223372036854775808`, `9223372036854775808`,
		`1e400`, `-`, `01`, `1.`, `.5`, `1e`, `{"a":1,}`, `[1,]`, `{"a" 1}`, `{"a":1}x`, "\"\xff\"",
		"\"a\x01\"", `{"a":1,"a":2}`, `{"b":1,"a":2,"b":3}`, `{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"a":11,"k":12,"l":13}`,
		`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"b":14,"n":{"x":1,"x":2}}`, "{\"z\":\"\xff\",\"a\":1}", `tru`, `nul`, `"\x"`, `"\u12"`, "\ufeff{}", `[1 2]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fast, ok := decodeFast(b)
		slow, err := decodeSlow(b)
		if !ok {
			return
		}
		if err != nil {
			t.Fatalf("%q: fast decoded %#v, encoding/json failed: %v", b, fast, err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%q: fast %#v, encoding/json %#v", b, fast, slow)
		}
	})
}
