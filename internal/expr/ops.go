package expr

import (
	"github.com/sirocco-project/sirocco/internal/jsonvalue"
	"strings"
)

// Limits that keep a hostile expression from exhausting memory.
const (
	maxStringLen = 10 << 20
	maxListLen   = 1 << 18
)

// typeName is the Python name of v's type, used in error messages.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case int64:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case []any:
		return "list"
	case *jsonvalue.Object, map[string]any:
		return "dict"
	case undefined:
		return "Undefined"
	}
	return "object"
}

// Truthy is Python's truth test, which Mistral applies to guards and
// policy values: None, False, 0, "", [] and {} are false.
func Truthy(v any) bool { return truthy(v) }

// truthy is Python truthiness.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case int64:
		return x != 0
	case float64:
		return x != 0
	case string:
		return x != ""
	case []any:
		return len(x) > 0
	case *jsonvalue.Object, map[string]any:
		return dictLen(x) > 0
	case undefined:
		return false
	}
	return true
}

// number returns v as float64 and whether it is an int64; booleans are not
// numbers here (YAQL rejects them in arithmetic).
func number(v any) (f float64, isInt, ok bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true, true
	case float64:
		return x, false, true
	}
	return 0, false, false
}

// equal is deep equality with Python's numeric rules (1 = 1.0).
func equal(a, b any) bool { return equalDepth(a, b, 0) }

func equalDepth(a, b any, depth int) bool {
	if depth > maxNesting {
		return false
	}
	if fa, ia, ok := number(a); ok {
		fb, ib, ok := number(b)
		if !ok {
			return false
		}
		if ia && ib {
			return a.(int64) == b.(int64)
		}
		return fa == fb
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalDepth(x[i], y[i], depth+1) {
				return false
			}
		}
		return true
	case *jsonvalue.Object, map[string]any:
		// Dicts are equal whatever the order of their keys, as in Python.
		xo, _ := asDict(x)
		if !isDict(b) || xo.Len() != dictLen(b) {
			return false
		}
		for _, m := range xo.Members() {
			w, ok := dictGet(b, m.Key)
			if !ok || !equalDepth(m.Value, w, depth+1) {
				return false
			}
		}
		return true
	}
	return false
}

// compare orders a and b (-1, 0, 1) for < > <= >=: numbers with numbers,
// strings with strings, booleans with booleans, lists lexicographically.
func compare(op string, a, b any) (int, error) {
	if fa, ia, ok := number(a); ok {
		if fb, ib, ok := number(b); ok {
			if ia && ib {
				return cmp3(a.(int64), b.(int64)), nil
			}
			return cmpFloat(fa, fb), nil
		}
	}
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y), nil
		}
	case bool:
		if y, ok := b.(bool); ok {
			return cmp3(boolInt(x), boolInt(y)), nil
		}
	case []any:
		if y, ok := b.([]any); ok {
			for i := 0; i < len(x) && i < len(y); i++ {
				if equal(x[i], y[i]) {
					continue
				}
				return compare(op, x[i], y[i])
			}
			return cmp3(len(x), len(y)), nil
		}
	}
	return 0, errorf("'%s' not supported between instances of '%s' and '%s'", op, typeName(a), typeName(b))
}

func cmp3[T int | int64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// cmpFloat orders floats; NaN compares unequal to everything, so every
// ordered comparison involving it is false (reported as "incomparable").
func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	case a == b:
		return 0
	}
	return 2
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// comparison evaluates one of < > <= >= from compare's result.
func comparison(op string, a, b any) (any, error) {
	c, err := compare(op, a, b)
	if err != nil {
		return nil, err
	}
	if c == 2 {
		return false, nil
	}
	switch op {
	case "<":
		return c < 0, nil
	case ">":
		return c > 0, nil
	case "<=":
		return c <= 0, nil
	}
	return c >= 0, nil
}

// contains implements `x in coll`: membership in a list, a key of a dict,
// a substring of a string.
func contains(x, coll any) (any, error) {
	switch c := coll.(type) {
	case []any:
		for _, e := range c {
			if equal(x, e) {
				return true, nil
			}
		}
		return false, nil
	case *jsonvalue.Object, map[string]any:
		k, ok := x.(string)
		if !ok {
			return false, nil
		}
		_, found := dictGet(c, k)
		return found, nil
	case string:
		s, ok := x.(string)
		if !ok {
			return nil, errorf("'in <string>' requires string as left operand, not %s", typeName(x))
		}
		return strings.Contains(c, s), nil
	}
	return nil, errorf("argument of type '%s' is not iterable", typeName(coll))
}
