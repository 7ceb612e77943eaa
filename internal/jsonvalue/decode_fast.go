package jsonvalue

import (
	"unicode/utf16"
	"unicode/utf8"
)

// decodeFast decodes a JSON document straight into plain values, the
// engine's common case (contexts, results and outputs of every workflow):
// encoding/json with UseNumber and then Normalize walked each value twice
// and allocated a decoder and its buffer per call. It reports false for
// anything unusual — invalid JSON, invalid UTF-8, lone surrogates,
// numbers out of range, nesting beyond maxNesting — and Decode then
// takes the encoding/json path, which gives the answer or the error
// message it always gave (FuzzDecodeJSON holds both paths equal).
func decodeFast(b []byte) (any, bool) {
	d := jsonDecoder{b: b}
	d.space()
	v, ok := d.value(0)
	if !ok {
		return nil, false
	}
	d.space()
	return v, d.i == len(d.b)
}

type jsonDecoder struct {
	b     []byte
	i     int
	stack []Member // members of the objects being read, innermost last
}

func (d *jsonDecoder) space() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// literal consumes word if it comes next.
func (d *jsonDecoder) literal(word string) bool {
	if len(d.b)-d.i < len(word) || string(d.b[d.i:d.i+len(word)]) != word {
		return false
	}
	d.i += len(word)
	return true
}

func (d *jsonDecoder) value(depth int) (any, bool) {
	if depth > maxNesting || d.i >= len(d.b) {
		return nil, false
	}
	switch c := d.b[d.i]; {
	case c == '{':
		return d.object(depth)
	case c == '[':
		return d.array(depth)
	case c == '"':
		return d.string()
	case c == '-' || c >= '0' && c <= '9':
		return d.number()
	case d.literal("true"):
		return true, true
	case d.literal("false"):
		return false, true
	case d.literal("null"):
		return nil, true
	}
	return nil, false
}

// objectMap reads an object into a Go map: DecodeMap's top level.
func (d *jsonDecoder) objectMap() (map[string]any, bool) {
	d.i++ // {
	m := map[string]any{}
	d.space()
	if d.i < len(d.b) && d.b[d.i] == '}' {
		d.i++
		return m, true
	}
	for {
		d.space()
		if d.i >= len(d.b) || d.b[d.i] != '"' {
			return nil, false
		}
		k, ok := d.string()
		if !ok {
			return nil, false
		}
		d.space()
		if d.i >= len(d.b) || d.b[d.i] != ':' {
			return nil, false
		}
		d.i++
		d.space()
		v, ok := d.value(1)
		if !ok {
			return nil, false
		}
		m[k.(string)] = v
		if more, ok := d.next('}'); !ok {
			return nil, false
		} else if !more {
			return m, true
		}
	}
}

func (d *jsonDecoder) object(depth int) (any, bool) {
	d.i++ // {
	d.space()
	if d.i < len(d.b) && d.b[d.i] == '}' {
		d.i++
		return &Object{}, true
	}
	// Members gather on the decoder's stack (nested objects above them)
	// and are copied out once: one allocation for the object's slice.
	start := len(d.stack)
	defer func() { d.stack = d.stack[:start] }()
	for {
		d.space()
		if d.i >= len(d.b) || d.b[d.i] != '"' {
			return nil, false
		}
		k, ok := d.string()
		if !ok {
			return nil, false
		}
		d.space()
		if d.i >= len(d.b) || d.b[d.i] != ':' {
			return nil, false
		}
		d.i++
		d.space()
		v, ok := d.value(depth + 1)
		if !ok {
			return nil, false
		}
		d.stack = append(d.stack, Member{k.(string), v})
		if more, ok := d.next('}'); !ok {
			return nil, false
		} else if !more {
			return newObjectOf(d.stack[start:]), true
		}
	}
}

func (d *jsonDecoder) array(depth int) (any, bool) {
	d.i++ // [
	a := []any{}
	d.space()
	if d.i < len(d.b) && d.b[d.i] == ']' {
		d.i++
		return a, true
	}
	for {
		d.space()
		v, ok := d.value(depth + 1)
		if !ok {
			return nil, false
		}
		a = append(a, v)
		if more, ok := d.next(']'); !ok {
			return nil, false
		} else if !more {
			return a, true
		}
	}
}

// next reads what follows a member of a container: a comma (more
// members) or the container's closing bracket.
func (d *jsonDecoder) next(closing byte) (more, ok bool) {
	d.space()
	if d.i >= len(d.b) {
		return false, false
	}
	switch d.b[d.i] {
	case ',':
		d.i++
		return true, true
	case closing:
		d.i++
		return false, true
	}
	return false, false
}

// string reads a string; d.b[d.i] is its opening quote.
func (d *jsonDecoder) string() (any, bool) {
	d.i++
	start := d.i
	// The common case: no escapes, so the string is the bytes as they are.
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			s := d.b[start:d.i]
			d.i++
			if !utf8.Valid(s) {
				return nil, false
			}
			return string(s), true
		case c == '\\':
			return d.escaped(start)
		case c < 0x20:
			return nil, false
		}
		d.i++
	}
	return nil, false
}

// escaped finishes a string that has escapes, from its first one.
func (d *jsonDecoder) escaped(start int) (any, bool) {
	out := append([]byte(nil), d.b[start:d.i]...)
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			if !utf8.Valid(out) {
				return nil, false
			}
			return string(out), true
		case c < 0x20:
			return nil, false
		case c != '\\':
			out = append(out, c)
			d.i++
			continue
		}
		if d.i+1 >= len(d.b) {
			return nil, false
		}
		e := d.b[d.i+1]
		d.i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return nil, false
			}
			if utf16.IsSurrogate(r) {
				// Only a valid pair; a lone half is left to encoding/json.
				if d.i+1 >= len(d.b) || d.b[d.i] != '\\' || d.b[d.i+1] != 'u' {
					return nil, false
				}
				d.i += 2
				r2, ok := d.hex4()
				if !ok {
					return nil, false
				}
				if r = utf16.DecodeRune(r, r2); r == utf8.RuneError {
					return nil, false
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return nil, false
		}
	}
	return nil, false
}

func (d *jsonDecoder) hex4() (rune, bool) {
	if len(d.b)-d.i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range d.b[d.i : d.i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	d.i += 4
	return r, true
}

// number reads a number in JSON's grammar and converts it as numberValue
// does: an integer to int64 when it fits, anything else to float64.
func (d *jsonDecoder) number() (any, bool) {
	start := d.i
	digits := func() bool {
		n := d.i
		for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
			d.i++
		}
		return d.i > n
	}
	if d.b[d.i] == '-' {
		d.i++
	}
	if d.i < len(d.b) && d.b[d.i] == '0' {
		d.i++
	} else if !digits() {
		return nil, false
	}
	integer := true
	if d.i < len(d.b) && d.b[d.i] == '.' {
		d.i++
		integer = false
		if !digits() {
			return nil, false
		}
	}
	if d.i < len(d.b) && (d.b[d.i] == 'e' || d.b[d.i] == 'E') {
		d.i++
		integer = false
		if d.i < len(d.b) && (d.b[d.i] == '+' || d.b[d.i] == '-') {
			d.i++
		}
		if !digits() {
			return nil, false
		}
	}
	if integer && d.i-start <= 18 { // fits an int64 whatever its digits
		var n int64
		neg := d.b[start] == '-'
		for _, c := range d.b[start:d.i] {
			if c != '-' {
				n = n*10 + int64(c-'0')
			}
		}
		if neg {
			n = -n
		}
		return n, true
	}
	v, err := numberValue(string(d.b[start:d.i]))
	return v, err == nil
}
