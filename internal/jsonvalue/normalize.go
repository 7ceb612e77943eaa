package jsonvalue

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
)

// Normalize converts a value produced by another decoder (yaml.v3,
// encoding/json without UseNumber, hand-built Go values) into the plain
// values Decode returns: nil, bool, int64, float64, string, []any,
// *Object. Maps become objects with their keys sorted (a Go map has no
// order) and must have string keys; structs and other json.Marshaler values go through
// their JSON encoding (which loses the float-ness of whole floats: a struct
// field 2.0 comes back as the int 2).
func Normalize(v any) (any, error) {
	return normalize(v, 0)
}

func normalize(v any, depth int) (any, error) {
	if depth > maxNesting {
		return nil, fmt.Errorf("value is nested too deeply")
	}
	switch x := v.(type) {
	case nil, bool, int64, float64, string:
		return v, nil
	case int:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case float32:
		// Go through the shortest float32 text so that 0.1f stays 0.1.
		f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(x), 'g', -1, 32), 64)
		return f, nil
	case json.Number:
		return numberValue(string(x))
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			n, err := normalize(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	case *Object:
		if x == nil {
			return nil, nil
		}
		out := &Object{}
		if len(x.members) > 0 {
			out.members = make([]Member, len(x.members))
		}
		for i, m := range x.members {
			n, err := normalize(m.Value, depth+1)
			if err != nil {
				return nil, err
			}
			out.members[i] = Member{m.Key, n}
		}
		out.reindex()
		return out, nil
	case map[string]any:
		out := NewObject(len(x))
		for _, k := range SortedKeys(x) {
			n, err := normalize(x[k], depth+1)
			if err != nil {
				return nil, err
			}
			out.members = append(out.members, Member{k, n})
		}
		out.reindex()
		return out, nil
	case json.Marshaler:
		return normalizeViaJSON(v)
	}
	return normalizeReflect(reflect.ValueOf(v), depth)
}

func normalizeReflect(rv reflect.Value, depth int) (any, error) {
	switch rv.Kind() {
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := rv.Uint()
		if u > math.MaxInt64 {
			return float64(u), nil
		}
		return int64(u), nil
	case reflect.Float32, reflect.Float64:
		return normalize(float32Or64(rv), depth)
	case reflect.String:
		return rv.String(), nil
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil, nil
		}
		return normalize(rv.Elem().Interface(), depth+1)
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return []any{}, nil
		}
		out := make([]any, rv.Len())
		for i := range out {
			n, err := normalize(rv.Index(i).Interface(), depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	case reflect.Map:
		out := make(map[string]any, rv.Len())
		it := rv.MapRange()
		for it.Next() {
			k := it.Key()
			if k.Kind() == reflect.Interface {
				k = k.Elem()
			}
			if !k.IsValid() || k.Kind() != reflect.String {
				return nil, fmt.Errorf("map key %v is not a string", it.Key().Interface())
			}
			out[k.String()] = it.Value().Interface()
		}
		return normalize(out, depth) // keys sorted: a Go map has no order
	case reflect.Struct:
		return normalizeViaJSON(rv.Interface())
	}
	return nil, fmt.Errorf("unsupported value of type %s", rv.Type())
}

func float32Or64(rv reflect.Value) any {
	if rv.Kind() == reflect.Float32 {
		return float32(rv.Float())
	}
	return rv.Float()
}

func normalizeViaJSON(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("normalize %T: %w", v, err)
	}
	return Decode(b)
}
