package expr

import "github.com/sirocco-project/sirocco/internal/jsonvalue"

// A dict is a *jsonvalue.Object, whose keys keep their insertion order
// (what Decode gives and what expressions build), or a Go map, which a
// caller may pass (the engine's data context): its keys are taken sorted.
// Lookups read either as it is; only what shows the order (keys(),
// iteration, str(), json_dump) turns a map into an object.

// isDict reports whether v is a dict.
func isDict(v any) bool {
	switch x := v.(type) {
	case *jsonvalue.Object:
		return x != nil
	case map[string]any:
		return true
	}
	return false
}

// dictLen is the number of keys of a dict.
func dictLen(v any) int {
	switch x := v.(type) {
	case *jsonvalue.Object:
		return x.Len()
	case map[string]any:
		return len(x)
	}
	return 0
}

// dictGet looks k up in a dict; found is false when v is no dict.
func dictGet(v any, k string) (val any, found bool) {
	switch x := v.(type) {
	case *jsonvalue.Object:
		return x.Get(k)
	case map[string]any:
		val, found = x[k]
		return val, found
	}
	return nil, false
}

// asDict returns a dict as an object, in its order.
func asDict(v any) (*jsonvalue.Object, bool) { return jsonvalue.AsObject(v) }
