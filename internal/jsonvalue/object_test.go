package jsonvalue

import (
	"fmt"
	"reflect"
	"testing"
)

// TestObjectOrder: Encode and AppendIndent write an object's keys in
// insertion order, Canonical sorted, so Equal holds for the same members
// in any order (a callback repeated with its keys reordered is the same
// result) and fails for different members.
func TestObjectOrder(t *testing.T) {
	t.Parallel()
	a, err := Decode([]byte(`{"zeta": 1, "alpha": {"y": 1, "b": [2.0]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := mustEncode(t, a); got != `{"zeta": 1, "alpha": {"y": 1, "b": [2.0]}}` {
		t.Errorf("Encode = %s, want the keys in the order they came", got)
	}
	ind, err := AppendIndent(nil, a, "  ")
	if err != nil || string(ind) != "{\n  \"zeta\": 1,\n  \"alpha\": {\n    \"y\": 1,\n    \"b\": [\n      2.0\n    ]\n  }\n}" {
		t.Errorf("AppendIndent = %q, %v", ind, err)
	}
	c, err := Canonical(a)
	if err != nil || string(c) != `{"alpha":{"b":[2.0],"y":1},"zeta":1}` {
		t.Errorf("Canonical = %s, %v; want keys sorted", c, err)
	}
	b, _ := Decode([]byte(`{"alpha": {"b": [2.0], "y": 1}, "zeta": 1}`))
	if !Equal(a, b) {
		t.Error("Equal: the same members in another order differ")
	}
	if m := map[string]any{"zeta": int64(1), "alpha": map[string]any{"y": int64(1), "b": []any{2.0}}}; !Equal(a, m) {
		t.Error("Equal: an object and a Go map of the same members differ")
	}
	d, _ := Decode([]byte(`{"alpha": {"b": [2], "y": 1}, "zeta": 1}`))
	if Equal(a, d) {
		t.Error("Equal: 2.0 and 2 are the same")
	}
}

// TestObjectSetGetDelete exercises an object past the size where it keeps
// an index, and below it again.
func TestObjectSetGetDelete(t *testing.T) {
	t.Parallel()
	o := NewObject(0)
	for i := range 2 * indexFrom {
		o.Set(fmt.Sprintf("k%02d", 2*indexFrom-i), i)
	}
	o.Set("k05", "again") // in place
	if o.Len() != 2*indexFrom || o.Keys()[0] != fmt.Sprintf("k%02d", 2*indexFrom) || o.Value("k05") != "again" {
		t.Fatalf("after Set: len %d, keys %v, k05 %v", o.Len(), o.Keys(), o.Value("k05"))
	}
	for i := 1; i <= 2*indexFrom-2; i++ {
		o.Delete(fmt.Sprintf("k%02d", i))
	}
	if got := fmt.Sprint(o.Keys()); got != "[k24 k23]" {
		t.Errorf("after Delete: keys %s", got)
	}
	if _, ok := o.Get("k05"); ok || !o.Has("k23") {
		t.Errorf("Get after Delete: k05 present or k23 absent")
	}
	if FromMap(map[string]any{"b": 1, "a": 2}).Keys()[0] != "a" {
		t.Error("FromMap: keys not sorted")
	}
}

// TestDecodeMap: an object's top level as a Go map, its values as Decode
// gives them; anything else is no map.
func TestDecodeMap(t *testing.T) {
	t.Parallel()
	for _, s := range []string{`{"b": {"z": 1, "a": [2.0]}, "a": null}`, ` {} `, `{"b":1,"b":2}`, "{\"x\":\"\xff\"}"} {
		m, ok, err := DecodeMap([]byte(s))
		v, _ := Decode([]byte(s))
		if !ok || err != nil || !reflect.DeepEqual(m, v.(*Object).Map()) {
			t.Errorf("DecodeMap(%q) = %#v, %v, %v; want %#v", s, m, ok, err, v.(*Object).Map())
		}
	}
	for _, s := range []string{`[1]`, `"x"`, `null`} {
		if m, ok, err := DecodeMap([]byte(s)); ok || err != nil {
			t.Errorf("DecodeMap(%s) = %v, %v, %v; want no map, no error", s, m, ok, err)
		}
	}
	if _, ok, err := DecodeMap([]byte(`{"a":`)); ok || err == nil {
		t.Error("DecodeMap of broken JSON: no error")
	}
}

// TestEncodeUTF8 keeps non-ASCII characters that Encode escapes.
func TestEncodeUTF8(t *testing.T) {
	t.Parallel()
	v := ObjectOf("caf\u00e9", []any{"\u00e9t\u00e9", "\u2028"})
	b, err := EncodeUTF8(v)
	if err != nil || string(b) != `{"café": ["été", "\u2028"]}` {
		t.Errorf("EncodeUTF8 = %s, %v", b, err)
	}
	if b, _ := Encode(v); string(b) != `{"caf\u00e9": ["\u00e9t\u00e9", "\u2028"]}` {
		t.Errorf("Encode = %s", b)
	}
}
