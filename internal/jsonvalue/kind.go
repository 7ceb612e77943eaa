package jsonvalue

import (
	"encoding/json"
	"math"
)

// Kind names v's JSON type for messages to people: "null", "a string",
// "a boolean", "a number", "a list", "an object". Go numbers of any size
// are numbers, as decoders other than Decode may make them.
func Kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		return "a number"
	case []any:
		return "a list"
	case *Object, map[string]any:
		return "an object"
	}
	return "a value of an unexpected type"
}

// Int returns v as an integer if it is a whole number: Go integers from YAML
// and expressions, float64 and json.Number from JSON.
func Int(v any) (int64, bool) {
	switch v := v.(type) {
	case int:
		return int64(v), true
	case int64:
		return v, true
	case int32:
		return int64(v), true
	case uint64:
		if v > math.MaxInt64 {
			return 0, false
		}
		return int64(v), true
	case float64:
		if v != math.Trunc(v) || v < math.MinInt64 || v >= math.MaxInt64 {
			return 0, false
		}
		return int64(v), true
	case json.Number:
		n, err := v.Int64()
		return n, err == nil
	}
	return 0, false
}
