package jsonvalue

import (
	"math"
	"testing"
)

// TestCanonical: the expectations are CPython 3's
// json.dumps(v, sort_keys=True, separators=(",", ":")).
func TestCanonical(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   any
		want string
	}{
		{map[string]any{"b": []any{int64(1), 2.0, "x"}, "a": map[string]any{"d": nil, "c": true}}, `{"a":{"c":true,"d":null},"b":[1,2.0,"x"]}`},
		{"café 😀\u2028\x7f\n", `"caf\u00e9 \ud83d\ude00\u2028\u007f\n"`},
		{math.Copysign(0, -1), `-0.0`},
		{1e16, `1e+16`},
		{1.0, `1.0`},
		{int64(1), `1`},
		// Keys by code point, as Python sorts str (U+FF5E before
		// U+1F600, which UTF-16 order would swap).
		{map[string]any{"é": int64(1), "z": int64(2), "😀": int64(3), "～": int64(4), "A": int64(5)}, `{"A":5,"z":2,"\u00e9":1,"\uff5e":4,"\ud83d\ude00":3}`},
		{[]any{}, `[]`},
		{map[string]any{}, `{}`},
		{map[string]int{"x": 1}, `{"x":1}`},
	} {
		got, err := Canonical(tt.in)
		if err != nil || string(got) != tt.want {
			t.Errorf("Canonical(%#v) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
	if b, err := Canonical([]any{math.NaN()}); err == nil {
		t.Errorf("Canonical(NaN) = %s, want an error", b)
	}
}

// TestEqual: the same value written with its keys in another order, or
// with other spacing, is equal; what Python tells apart in a result
// (1 and 1.0, 0.0 and -0.0, 1 and "1") is not.
func TestEqual(t *testing.T) {
	t.Parallel()
	decode := func(s string) any {
		t.Helper()
		v, err := Decode([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tt := range []struct {
		a, b  string
		equal bool
	}{
		{`{"result": {"b": 2, "a": [1, {"y": 1, "x": 2}]}}`, `{"result":{"a":[1,{"x":2,"y":1}],"b":2}}`, true},
		{`{"a": "\u00e9"}`, `{"a":"é"}`, true},
		{`{"a": 1}`, `{"a": 1.0}`, false},
		{`1`, `1.0`, false},
		{`0.0`, `-0.0`, false},
		{`1`, `"1"`, false},
		{`1e2`, `100.0`, true},
		{`[1, 2]`, `[2, 1]`, false},
		{`{"a": null}`, `{}`, false},
	} {
		if got := Equal(decode(tt.a), decode(tt.b)); got != tt.equal {
			t.Errorf("Equal(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.equal)
		}
	}
	if !Equal(map[string]int{"x": 1}, map[string]any{"x": int64(1)}) {
		t.Error("Equal of a Go map and its plain value is false")
	}
	if Equal(math.NaN(), math.NaN()) {
		t.Error("Equal(NaN, NaN) is true; NaN has no JSON text")
	}
}
