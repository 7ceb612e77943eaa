package expr

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// DecodeJSON decodes one JSON document into canonical values. Integers
// become int64 (float64 when they do not fit), other numbers float64, so
// that 1 and 1.0 stay apart as they do in Python.
func DecodeJSON(b []byte) (any, error) {
	// The engine decodes many empty contexts; a decoder costs more than
	// the answer.
	switch string(b) {
	case "{}":
		return map[string]any{}, nil
	case "[]":
		return []any{}, nil
	case "null":
		return nil, nil
	}
	if v, ok := decodeFast(b); ok {
		return v, nil
	}
	return decodeSlow(b)
}

// decodeSlow is DecodeJSON through encoding/json: the reference for
// decodeFast, and the path that words errors.
func decodeSlow(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode json: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("decode json: unexpected data after the top-level value")
	}
	out, err := Normalize(v)
	if err != nil {
		return nil, fmt.Errorf("decode json: %w", err)
	}
	return out, nil
}

// numberValue converts a JSON number literal to int64 or float64.
func numberValue(s string) (any, error) {
	if !strings.ContainsAny(s, ".eE") {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return nil, fmt.Errorf("number %s is out of range", s)
	}
	return f, nil
}

// EncodeJSON encodes v like Python's json.dumps with default arguments:
// ", " and ": " separators, non-ASCII escaped as \uXXXX, floats always with
// a fraction or an exponent (5.0, 1e+16). Map keys are sorted. NaN and
// infinities are an error (they are not JSON).
func EncodeJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	if err := encodeJSON(&b, v, "", 0); err != nil {
		return nil, fmt.Errorf("encode json: %w", err)
	}
	return b.Bytes(), nil
}

// encodeIndented is json.dumps(v, indent=4), as Mistral's json_dump uses.
func encodeIndented(v any) (string, error) {
	var b bytes.Buffer
	if err := encodeJSON(&b, v, "    ", 0); err != nil {
		return "", err
	}
	return b.String(), nil
}

// encodeJSON writes v; with a non-empty indent it puts every element on
// its own line, and the item separator loses its trailing space, as in
// Python.
func encodeJSON(b *bytes.Buffer, v any, indent string, depth int) error {
	if depth > maxNesting {
		return errors.New("value is nested too deeply")
	}
	sep := ", "
	if indent != "" {
		sep = ","
	}
	newline := func(level int) {
		if indent != "" {
			b.WriteByte('\n')
			for range level {
				b.WriteString(indent)
			}
		}
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("out of range float value %s is not JSON compliant", formatFloat(x))
		}
		b.WriteString(formatFloat(x))
	case string:
		writeJSONString(b, x)
	case []any:
		if len(x) == 0 {
			b.WriteString("[]")
			return nil
		}
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(sep)
			}
			newline(depth + 1)
			if err := encodeJSON(b, e, indent, depth+1); err != nil {
				return err
			}
		}
		newline(depth)
		b.WriteByte(']')
	case map[string]any:
		if len(x) == 0 {
			b.WriteString("{}")
			return nil
		}
		b.WriteByte('{')
		for i, k := range sortedKeys(x) {
			if i > 0 {
				b.WriteString(sep)
			}
			newline(depth + 1)
			writeJSONString(b, k)
			b.WriteString(": ")
			if err := encodeJSON(b, x[k], indent, depth+1); err != nil {
				return err
			}
		}
		newline(depth)
		b.WriteByte('}')
	default:
		n, err := Normalize(v)
		if err != nil {
			return err
		}
		return encodeJSON(b, n, indent, depth+1)
	}
	return nil
}

// writeJSONString writes s as a JSON string with Python's ensure_ascii
// escaping (lower-case hex, surrogate pairs above the BMP).
func writeJSONString(b *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	u4 := func(r rune) {
		b.WriteString(`\u`)
		b.WriteByte(hex[r>>12&0xf])
		b.WriteByte(hex[r>>8&0xf])
		b.WriteByte(hex[r>>4&0xf])
		b.WriteByte(hex[r&0xf])
	}
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r >= 0x20 && r < 0x7f:
			b.WriteByte(byte(r))
		case r >= 0x10000:
			r -= 0x10000
			u4(0xd800 + (r>>10)&0x3ff)
			u4(0xdc00 + r&0x3ff)
		default:
			u4(r)
		}
	}
	b.WriteByte('"')
}
