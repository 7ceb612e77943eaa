package jsonvalue

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// escapeInputs are strings that reach every branch of the escaper: each
// single byte, each byte pair, every code point of the BMP and a sample
// above it, alone and between plain text.
func escapeInputs() []string {
	var in []string
	for a := range 256 {
		in = append(in, string([]byte{byte(a)}))
		for b := range 256 {
			in = append(in, string([]byte{'x', byte(a), byte(b), 'y'}))
		}
	}
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if r > 0xffff && r%97 != 0 && r != utf8.MaxRune {
			continue
		}
		in = append(in, string(r), "ab"+string(r)+`"c`)
	}
	return append(in, "", "<a href='x'>&amp;</a>", "line\u2028para\u2029end", "\xed\xa0\x80 lone surrogate")
}

// TestAppendStringIsEncodingJSON: AppendString writes exactly what
// encoding/json writes without HTML escaping, which the API's answers
// have always been.
func TestAppendStringIsEncodingJSON(t *testing.T) {
	t.Parallel()
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetEscapeHTML(false)
	for _, s := range escapeInputs() {
		want.Reset()
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		got := AppendString(nil, s)
		w := bytes.TrimSuffix(want.Bytes(), []byte("\n"))
		if !bytes.Equal(got, w) && !sameDecoded(s, got, w) {
			t.Fatalf("AppendString(%q) = %s, encoding/json writes %s", s, got, w)
		}
	}
}

// sameDecoded reports whether, for invalid UTF-8 only, got and want are
// both JSON strings that decode alike: encoding/json writes the
// replacement character escaped in Go 1.26 and raw from Go 1.27 on.
func sameDecoded(s string, got, want []byte) bool {
	if utf8.ValidString(s) {
		return false
	}
	var g, w string
	return json.Unmarshal(got, &g) == nil && json.Unmarshal(want, &w) == nil && g == w
}

// TestAppendStringASCII: Python's ensure_ascii form, which Encode has
// always written (CPython 3's json.dumps gives the same for valid UTF-8),
// decodes back to the string, and holds only printable ASCII.
func TestAppendStringASCII(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"a":            `"a"`,
		`say "hi" \ /`: `"say \"hi\" \\ /"`,
		"\n\r\t\b\f":   `"\n\r\t\b\f"`,
		"\x00\x01\x1f": `"\u0000\u0001\u001f"`,
		"\x7f":         `"\u007f"`,
		"café":         `"caf\u00e9"`,
		"日本":           `"\u65e5\u672c"`,
		"😀":            `"\ud83d\ude00"`,
		"\U0010ffff":   `"\udbff\udfff"`,
		"\u2028":       `"\u2028"`,
		"\ufffd \xff":  `"\ufffd \ufffd"`, // invalid UTF-8 reads as U+FFFD, as encoding/json has it
		"<>&":          `"<>&"`,
	} {
		if got := AppendStringASCII(nil, in); string(got) != want {
			t.Errorf("AppendStringASCII(%q) = %s, want %s", in, got, want)
		}
	}
	for _, s := range escapeInputs() {
		got := AppendStringASCII(nil, s)
		for _, c := range got {
			if c < 0x20 || c >= 0x7f {
				t.Fatalf("AppendStringASCII(%q) = %q: not printable ASCII", s, got)
			}
		}
		var back string
		if err := json.Unmarshal(got, &back); err != nil || back != string([]rune(s)) {
			t.Fatalf("AppendStringASCII(%q) = %s decodes to %q, %v", s, got, back, err)
		}
	}
}

func BenchmarkAppendString(b *testing.B) {
	for _, s := range []string{"0193d0e2-7c4b-7a3e-9f00-000000000001", "approved by \"ann\": ünïcode\n"} {
		buf := make([]byte, 0, 128)
		b.Run("utf8", func(b *testing.B) {
			for b.Loop() {
				buf = AppendString(buf[:0], s)
			}
		})
		b.Run("ascii", func(b *testing.B) {
			for b.Loop() {
				buf = AppendStringASCII(buf[:0], s)
			}
		})
	}
}
