package jsonvalue

import "fmt"

// MaxInputDepth is the deepest nesting of arrays and objects Sirocco
// accepts in a JSON document from outside (callback bodies and outputs,
// execution inputs, start bodies, params, environments) and in what
// json_parse and yaml_parse return. Stored values are decoded with the
// larger maxNesting, since a context nests an accepted value a few levels
// further down.
const MaxInputDepth = 128

// ErrTooDeep is the one error for a document past MaxInputDepth.
var ErrTooDeep = fmt.Errorf("JSON document is nested deeper than the limit of %d levels", MaxInputDepth)

// CheckDepth reports ErrTooDeep when the JSON text b nests arrays and
// objects deeper than MaxInputDepth. It is one linear pass that skips
// strings and does not validate anything else.
func CheckDepth(b []byte) error {
	depth := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
		case '[', '{':
			if depth++; depth > MaxInputDepth {
				return ErrTooDeep
			}
		case ']', '}':
			depth--
		}
	}
	return nil
}

// CheckValueDepth is CheckDepth for a decoded value.
func CheckValueDepth(v any) error {
	if valueDepth(v, 0) > MaxInputDepth {
		return ErrTooDeep
	}
	return nil
}

// valueDepth returns the nesting of v, stopping once past the limit.
func valueDepth(v any, depth int) int {
	if depth > MaxInputDepth {
		return depth
	}
	max := depth
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if d := valueDepth(e, depth+1); d > max {
				max = d
			}
		}
		if len(x) == 0 && depth+1 > max {
			max = depth + 1
		}
	case *Object:
		for _, m := range x.Members() {
			if d := valueDepth(m.Value, depth+1); d > max {
				max = d
			}
		}
		if x.Len() == 0 && depth+1 > max {
			max = depth + 1
		}
	case map[string]any:
		for _, e := range x {
			if d := valueDepth(e, depth+1); d > max {
				max = d
			}
		}
		if len(x) == 0 && depth+1 > max {
			max = depth + 1
		}
	default:
		return depth
	}
	return max
}

// DecodeInput is Decode for a document from outside: past MaxInputDepth
// it is ErrTooDeep.
func DecodeInput(b []byte) (any, error) {
	if err := CheckDepth(b); err != nil {
		return nil, err
	}
	return Decode(b)
}
