package expr

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

// maxNesting bounds recursion over values (Str, the YAML dump, deep
// equality) so that a cyclic Go value cannot overflow the stack.
const maxNesting = 10000

// Str renders v the way Python's str() does, which is what Mistral uses
// when it interpolates an expression into a longer string: True/False/None,
// floats always with a fraction or exponent (5.0, 1e+16), and containers in
// repr form ({'a': 1, 'b': [1, 2]}). A top-level string is returned bare.
// Dict keys come in insertion order (a Go map's sorted).
func Str(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	var b strings.Builder
	writeRepr(&b, v, 0, false)
	return b.String()
}

// yaqlStr is YAQL's str() function, which differs from Python's for the
// top-level scalars null, true and false, and prints lists as the tuples
// YAQL holds them in: (1, 'a', True, None), (1,) and ().
func yaqlStr(v any) string {
	switch v {
	case nil:
		return "null"
	case true:
		return "true"
	case false:
		return "false"
	}
	if s, ok := v.(string); ok {
		return s
	}
	var b strings.Builder
	writeRepr(&b, v, 0, true)
	return b.String()
}

// writeRepr writes Python's repr() of v; tuples writes lists as Python
// tuples.
func writeRepr(b *strings.Builder, v any, depth int, tuples bool) {
	if depth > maxNesting {
		b.WriteString("...")
		return
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("None")
	case bool:
		if x {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		b.WriteString(jsonvalue.FormatFloat(x))
	case string:
		b.WriteString(reprString(x))
	case []any:
		open, closing := byte('['), byte(']')
		if tuples {
			open, closing = '(', ')'
		}
		b.WriteByte(open)
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRepr(b, e, depth+1, tuples)
		}
		if tuples && len(x) == 1 {
			b.WriteByte(',')
		}
		b.WriteByte(closing)
	case *jsonvalue.Object, map[string]any:
		o, _ := asDict(x)
		b.WriteByte('{')
		for i, m := range o.Members() {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(reprString(m.Key))
			b.WriteString(": ")
			writeRepr(b, m.Value, depth+1, tuples)
		}
		b.WriteByte('}')
	case undefined:
		b.WriteString("")
	default:
		n, err := jsonvalue.Normalize(v)
		if err != nil {
			fmt.Fprintf(b, "%v", v)
			return
		}
		writeRepr(b, n, depth+1, tuples)
	}
}

// reprString is Python's repr() of a str: single quotes unless the string
// contains a single quote and no double quote; printable non-ASCII kept.
func reprString(s string) string {
	q := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == rune(q) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x7f || unicode.IsPrint(r):
			b.WriteRune(r)
		case r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x10000:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	b.WriteByte(q)
	return b.String()
}
