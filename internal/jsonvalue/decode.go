package jsonvalue

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// maxNesting bounds recursion over values (Decode, Encode, Normalize) so
// that a cyclic Go value cannot overflow the stack; documents from outside
// are held to the much smaller MaxInputDepth.
const maxNesting = 10000

// Decode decodes one JSON document into plain values. Integers become
// int64 (float64 when they do not fit), other numbers float64, so that 1
// and 1.0 stay apart as they do in Python; objects become *Object, in
// the order of their keys (a repeated key keeps its first place and its
// last value, as Python's json.loads does).
func Decode(b []byte) (any, error) {
	// The engine decodes many empty contexts; a decoder costs more than
	// the answer.
	switch string(b) {
	case "{}":
		return NewObject(0), nil
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

// DecodeMap decodes a JSON document that holds an object into a Go map,
// for code that only looks its keys up (the engine's data contexts): the
// values inside keep their order, the map forgets its own. It is Decode
// and Object.Map in one pass. ok is false when b holds no object (err is
// then nil unless b is not JSON).
func DecodeMap(b []byte) (m map[string]any, ok bool, err error) {
	if string(b) == "{}" {
		return map[string]any{}, true, nil
	}
	d := jsonDecoder{b: b}
	d.space()
	if d.i < len(d.b) && d.b[d.i] == '{' {
		if m, ok := d.objectMap(); ok {
			if d.space(); d.i == len(d.b) {
				return m, true, nil
			}
		}
	}
	v, err := Decode(b)
	if err != nil {
		return nil, false, err
	}
	if o, isObj := v.(*Object); isObj {
		return o.Map(), true, nil
	}
	return nil, false, nil
}

// decodeSlow is Decode through encoding/json: the reference for
// decodeFast, and the path that words errors. It reads tokens rather than
// decoding into a Go map, which would lose the order of keys.
func decodeSlow(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil { // validates the document and words its errors
		return nil, fmt.Errorf("decode json: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("decode json: unexpected data after the top-level value")
	}
	dec = json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	out, err := tokenValue(dec, 0)
	if err != nil {
		return nil, fmt.Errorf("decode json: %w", err)
	}
	return out, nil
}

// tokenValue reads one value from a decoder known to hold valid JSON.
func tokenValue(dec *json.Decoder, depth int) (any, error) {
	if depth > maxNesting {
		return nil, fmt.Errorf("value is nested too deeply")
	}
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch x := t.(type) {
	case json.Delim:
		if x == '[' {
			a := []any{}
			for dec.More() {
				v, err := tokenValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			_, err := dec.Token() // ]
			return a, err
		}
		o := NewObject(0)
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := tokenValue(dec, depth+1)
			if err != nil {
				return nil, err
			}
			o.Set(k.(string), v)
		}
		_, err := dec.Token() // }
		return o, err
	case json.Number:
		return numberValue(string(x))
	}
	return t, nil // nil, bool, string
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
