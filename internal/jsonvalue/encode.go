package jsonvalue

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// encoder is one of the forms values are written in. All of them escape
// strings as Python's ensure_ascii does; they differ in the spacing and in
// whether object keys are sorted.
type encoder struct {
	item, key string // separators between array items or object members, and after a key
	lines     bool   // every element on its own line, indented by indent per level
	indent    string
	sorted    bool // keys sorted (Canonical) rather than in insertion order
	utf8      bool // strings as AppendString writes them, non-ASCII kept
}

var (
	// python is json.dumps(v): what the engine stores and the API returns.
	python = encoder{item: ", ", key: ": "}
	// canonical is json.dumps(v, sort_keys=True, separators=(",", ":")).
	canonical = encoder{item: ",", key: ":", sorted: true}
)

// Encode encodes v like Python's json.dumps with default arguments:
// ", " and ": " separators, non-ASCII escaped as \uXXXX, floats always with
// a fraction or an exponent (5.0, 1e+16). NaN and
// infinities are an error (they are not JSON). An *Object's keys are
// written in insertion order; a Go map's sorted (it has no order). Values
// other than Decode's go through Normalize.
func Encode(v any) ([]byte, error) {
	// 64 bytes is where bytes.Buffer starts: most stored values fit.
	b, err := python.append(make([]byte, 0, 64), v, 0)
	if err != nil {
		return nil, fmt.Errorf("encode json: %w", err)
	}
	return b, nil
}

// Append appends Encode's text of v to dst. On an error it returns dst
// as it was, and the error carries no prefix.
func Append(dst []byte, v any) ([]byte, error) {
	b, err := python.append(dst, v, 0)
	if err != nil {
		return dst, err
	}
	return b, nil
}

// EncodeUTF8 is Encode with non-ASCII characters kept as they are
// (AppendString's form): JSON for people to read and edit, such as the
// dashboard's start form.
func EncodeUTF8(v any) ([]byte, error) {
	e := python
	e.utf8 = true
	b, err := e.append(nil, v, 0)
	if err != nil {
		return nil, fmt.Errorf("encode json: %w", err)
	}
	return b, nil
}

// AppendSorted appends v as json.dumps(v, sort_keys=True) writes it:
// Encode's text with every object's keys sorted (Jinja's tojson filter).
// Errors are as Append's.
func AppendSorted(dst []byte, v any) ([]byte, error) {
	e := python
	e.sorted = true
	b, err := e.append(dst, v, 0)
	if err != nil {
		return dst, err
	}
	return b, nil
}

// AppendIndent appends v as json.dumps(v, indent=indent) writes it (with
// Mistral's json_dump, indent is four spaces): every element on its own
// line, and the item separator without its trailing space, as in Python.
// Errors are as Append's.
func AppendIndent(dst []byte, v any, indent string) ([]byte, error) {
	e := encoder{item: ",", key: ": ", lines: true, indent: indent}
	b, err := e.append(dst, v, 0)
	if err != nil {
		return dst, err
	}
	return b, nil
}

// Canonical returns the one text of v that comparisons and digests use:
// Python's json.dumps(v, sort_keys=True, separators=(",", ":")), so any
// Python can reproduce it. That is:
//
//   - object keys sorted by their bytes (UTF-8, hence by code point, as
//     Python sorts str), whatever order they are displayed in elsewhere;
//   - no whitespace;
//   - strings escaped as AppendStringASCII does, so the text is ASCII;
//   - integers in decimal, floats as Python's repr (FormatFloat), so 1
//     and 1.0 differ, as do 0.0 and -0.0: json.dumps writes them
//     differently, and Sirocco has always told such results apart.
//
// RFC 8785 (JCS) was the other candidate; its numbers are JavaScript's,
// which would write 1.0 as 1, and its keys sort by UTF-16 code units, an
// order neither Python nor Go uses.
func Canonical(v any) ([]byte, error) {
	b, err := canonical.append(make([]byte, 0, 64), v, 0)
	if err != nil {
		return nil, fmt.Errorf("encode json: %w", err)
	}
	return b, nil
}

// Equal reports whether a and b are the same JSON value: their Canonical
// texts are equal. A value that has no JSON text (NaN, a channel) equals
// nothing.
func Equal(a, b any) bool {
	ca, err := Canonical(a)
	if err != nil {
		return false
	}
	cb, err := Canonical(b)
	return err == nil && bytes.Equal(ca, cb)
}

// append writes v at the given nesting depth.
func (e *encoder) append(b []byte, v any, depth int) ([]byte, error) {
	if depth > maxNesting {
		return b, errors.New("value is nested too deeply")
	}
	var err error
	switch x := v.(type) {
	case nil:
		b = append(b, "null"...)
	case bool:
		b = strconv.AppendBool(b, x)
	case int64:
		b = strconv.AppendInt(b, x, 10)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return b, fmt.Errorf("out of range float value %s is not JSON compliant", FormatFloat(x))
		}
		b = append(b, FormatFloat(x)...)
	case string:
		b = e.str(b, x)
	case []any:
		if len(x) == 0 {
			return append(b, "[]"...), nil
		}
		b = append(b, '[')
		for i, el := range x {
			if i > 0 {
				b = append(b, e.item...)
			}
			b = e.newline(b, depth+1)
			if b, err = e.append(b, el, depth+1); err != nil {
				return b, err
			}
		}
		b = e.newline(b, depth)
		b = append(b, ']')
	case *Object:
		if x == nil {
			return append(b, "null"...), nil
		}
		if len(x.members) == 0 {
			return append(b, "{}"...), nil
		}
		ms := x.members
		if e.sorted {
			ms = x.sortedMembers()
		}
		b = append(b, '{')
		for i, m := range ms {
			if i > 0 {
				b = append(b, e.item...)
			}
			b = e.newline(b, depth+1)
			b = e.str(b, m.Key)
			b = append(b, e.key...)
			if b, err = e.append(b, m.Value, depth+1); err != nil {
				return b, err
			}
		}
		b = e.newline(b, depth)
		b = append(b, '}')
	case map[string]any:
		if len(x) == 0 {
			return append(b, "{}"...), nil
		}
		b = append(b, '{')
		for i, k := range SortedKeys(x) {
			if i > 0 {
				b = append(b, e.item...)
			}
			b = e.newline(b, depth+1)
			b = e.str(b, k)
			b = append(b, e.key...)
			if b, err = e.append(b, x[k], depth+1); err != nil {
				return b, err
			}
		}
		b = e.newline(b, depth)
		b = append(b, '}')
	default:
		n, err := Normalize(v)
		if err != nil {
			return b, err
		}
		return e.append(b, n, depth+1)
	}
	return b, nil
}

func (e *encoder) str(b []byte, s string) []byte {
	if e.utf8 {
		return AppendString(b, s)
	}
	return AppendStringASCII(b, s)
}

func (e *encoder) newline(b []byte, level int) []byte {
	if !e.lines {
		return b
	}
	b = append(b, '\n')
	for range level {
		b = append(b, e.indent...)
	}
	return b
}

// SortedKeys returns m's keys in the order Encode writes them (byte
// order, as Python's sort_keys).
func SortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// FormatFloat renders f like Python's float repr: the shortest digits
// that round-trip, fixed notation for exponents in [-4, 16), otherwise
// scientific notation with a two-digit exponent; always with a fraction
// or an exponent. NaN and the infinities are nan, inf and -inf (which
// Encode refuses).
func FormatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // [-]d[.ddd]e±XX
	i := strings.IndexByte(e, 'e')
	exp, _ := strconv.Atoi(e[i+1:])
	if exp >= -4 && exp < 16 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.ContainsAny(s, ".") {
			s += ".0"
		}
		return s
	}
	mant := e[:i]
	sign := "+"
	if exp < 0 {
		sign = "-"
		exp = -exp
	}
	return fmt.Sprintf("%se%s%02d", mant, sign, exp)
}
