package jsonvalue

import "unicode/utf8"

// AppendString appends s as a JSON string the way encoding/json writes it
// without HTML escaping (json.Encoder.SetEscapeHTML(false)): UTF-8 kept as
// it is, except the line and paragraph separators U+2028 and U+2029,
// which JavaScript once refused in strings; \n, \r, \t, \b and \f and
// \u00XX for the other control characters; invalid UTF-8 as \ufffd. It
// is the form for JSON that leaves Sirocco through Go code of its own:
// the API's responses and the timeline's rows.
func AppendString(dst []byte, s string) []byte {
	return appendString(dst, s, false)
}

// AppendStringASCII appends s as a JSON string the way Python's json.dumps
// writes it (ensure_ascii): AppendString's escapes, and every character
// outside printable ASCII as \uXXXX with lower-case hex (DEL too; a
// surrogate pair above U+FFFF). It is the form of Encode and Canonical:
// what the engine stores and Mistral answers.
func AppendStringASCII(dst []byte, s string) []byte {
	return appendString(dst, s, true)
}

// appendString is both: one function, so that the two forms differ only
// where they mean to. Runs of bytes that need no escape are copied whole.
func appendString(dst []byte, s string, ascii bool) []byte {
	dst = append(dst, '"')
	start := 0 // the first byte not yet copied
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && (c != 0x7f || !ascii) {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = appendU4(dst, rune(c))
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1: // invalid UTF-8
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case ascii && r >= 0x10000:
			dst = append(dst, s[start:i]...)
			r -= 0x10000
			dst = appendU4(dst, 0xd800+(r>>10)&0x3ff)
			dst = appendU4(dst, 0xdc00+r&0x3ff)
		case ascii || r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = appendU4(dst, r)
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendU4 appends the escape \uXXXX of r, at most U+FFFF.
func appendU4(dst []byte, r rune) []byte {
	const hex = "0123456789abcdef"
	return append(dst, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
}
