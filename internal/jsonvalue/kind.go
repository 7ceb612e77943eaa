package jsonvalue

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
