package api

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"unicode/utf8"
)

// reference is how responses were encoded before appendJSON: through
// encoding/json, without HTML escaping, compact.
func reference(t *testing.T, v any) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return string(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

// referenceObject is encoding/json's view of an object: it compacts what
// MarshalJSON returns, so build the object the old way, with spaces.
type oldObject []field

func (o oldObject) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteString(", ")
		}
		k, _ := json.Marshal(f.key)
		b.Write(k)
		b.WriteString(": ")
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		v := f.value
		if o2, ok := v.(object); ok {
			v = oldObject(o2)
		}
		if err := enc.Encode(v); err != nil {
			return nil, err
		}
		b.Truncate(b.Len() - 1)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// sameString reports whether got encodes s as encoding/json's want does:
// byte for byte for valid UTF-8; for invalid UTF-8, the same string once
// decoded, since encoding/json writes U+FFFD raw before Go 1.27 and as
// \ufffd from it on (both are what the bytes decode to).
func sameString(s, got, want string) bool {
	if got == want {
		return true
	}
	if utf8.ValidString(s) {
		return false
	}
	var g, w string
	return json.Unmarshal([]byte(got), &g) == nil && json.Unmarshal([]byte(want), &w) == nil && g == w
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	strs := []string{"", "plain", `q"uo\te`, "<default-project> & co", "tab\tnew\nline\rcr\bbs\fff", "\x00\x01\x1f\x7f",
		"é ü 日本", "emoji 🎉", "sep \u2028 and \u2029", "bad \xff\xfe utf8", "\xed\xa0\x80 surrogate", `{"result": 3}`}
	for _, s := range strs {
		var b bytes.Buffer
		if err := appendJSON(&b, s); err != nil {
			t.Fatal(err)
		}
		if want := reference(t, s); !sameString(s, b.String(), want) {
			t.Errorf("appendJSON(%q) = %s, want %s", s, b.String(), want)
		}
	}
	// Random byte strings: every byte value, valid and invalid UTF-8.
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		buf := make([]byte, r.IntN(12))
		for j := range buf {
			buf[j] = byte(r.IntN(256))
		}
		var b bytes.Buffer
		if err := appendJSON(&b, string(buf)); err != nil {
			t.Fatal(err)
		}
		if want := reference(t, string(buf)); !sameString(string(buf), b.String(), want) {
			t.Fatalf("appendJSON(%q) = %s, want %s", buf, b.String(), want)
		}
	}
	// Responses as the API builds them.
	values := []any{
		nil, true, false, 0, -7, int64(1) << 60, 2.5, 1e21, []string{"a", "b"}, map[string]any{"z": 1, "a": []any{"x", nil}},
		rawJSON(`{"result":  [1, 2 ,3], "b" : "x y"}`), []object(nil), []object{},
		object{{"id", "a1"}, {"n", 3}, {"nested", object{{"k", "<v>"}, {"raw", rawJSON(` {"a": 1} `)}}}, {"list", []object{{{"x", 1}}}}, {"null", nil}},
	}
	for _, v := range values {
		var b bytes.Buffer
		if err := appendJSON(&b, v); err != nil {
			t.Fatalf("appendJSON(%#v): %v", v, err)
		}
		ref := v
		if o, ok := v.(object); ok {
			ref = oldObject(o)
		}
		if want := reference(t, ref); b.String() != want {
			t.Errorf("appendJSON(%#v) = %s, want %s", v, b.String(), want)
		}
	}
	var b bytes.Buffer
	if err := appendJSON(&b, rawJSON(`{"broken": `)); err == nil {
		t.Error("invalid stored JSON encoded without an error")
	}
}
