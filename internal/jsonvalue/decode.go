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
// and 1.0 stay apart as they do in Python.
func Decode(b []byte) (any, error) {
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

// decodeSlow is Decode through encoding/json: the reference for
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
