package expr

import (
	"math"
	"strings"
)

// Arithmetic with Python semantics: ints and floats kept apart, floor
// division and modulo rounding toward negative infinity, overflow reported
// rather than wrapped.

func opError(op string, a, b any) error {
	return errorf("unsupported operand types for %s: '%s' and '%s'", op, typeName(a), typeName(b))
}

// add is Python's +: numbers, string concatenation, list concatenation.
func add(a, b any) (any, error) {
	if x, ok := a.(int64); ok {
		if y, ok := b.(int64); ok {
			s := x + y
			if (s > x) != (y > 0) {
				return nil, errorf("integer overflow in %d + %d", x, y)
			}
			return s, nil
		}
	}
	if fa, _, ok := number(a); ok {
		if fb, _, ok := number(b); ok {
			return fa + fb, nil
		}
	}
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			if len(x)+len(y) > maxStringLen {
				return nil, errorf("string too long")
			}
			return x + y, nil
		}
	case []any:
		if y, ok := b.([]any); ok {
			if len(x)+len(y) > maxListLen {
				return nil, errorf("list too long")
			}
			out := make([]any, 0, len(x)+len(y))
			return append(append(out, x...), y...), nil
		}
	}
	return nil, opError("+", a, b)
}

// sub is Python's -.
func sub(a, b any) (any, error) {
	if x, ok := a.(int64); ok {
		if y, ok := b.(int64); ok {
			d := x - y
			if (d < x) != (y > 0) {
				return nil, errorf("integer overflow in %d - %d", x, y)
			}
			return d, nil
		}
	}
	if fa, _, ok := number(a); ok {
		if fb, _, ok := number(b); ok {
			return fa - fb, nil
		}
	}
	return nil, opError("-", a, b)
}

// mul is Python's *, including str * int and list * int repetition.
func mul(a, b any) (any, error) {
	if x, ok := a.(int64); ok {
		if y, ok := b.(int64); ok {
			if x != 0 && y != 0 {
				p := x * y
				if p/y != x || (x == -1 && y == math.MinInt64) || (y == -1 && x == math.MinInt64) {
					return nil, errorf("integer overflow in %d * %d", x, y)
				}
				return p, nil
			}
			return int64(0), nil
		}
	}
	if fa, _, ok := number(a); ok {
		if fb, _, ok := number(b); ok {
			return fa * fb, nil
		}
	}
	if _, ok := a.(int64); ok {
		a, b = b, a
	}
	n, ok := b.(int64)
	if ok {
		if n < 0 {
			n = 0
		}
		switch x := a.(type) {
		case string:
			if n > 0 && int64(len(x)) > maxStringLen/n {
				return nil, errorf("string too long")
			}
			return strings.Repeat(x, int(n)), nil
		case []any:
			if len(x) == 0 {
				return []any{}, nil
			}
			if n > 0 && int64(len(x)) > maxListLen/n {
				return nil, errorf("list too long")
			}
			out := make([]any, 0, len(x)*int(n))
			for range n {
				out = append(out, x...)
			}
			return out, nil
		}
	}
	return nil, opError("*", a, b)
}

// floorDiv is Python's // for ints and floats.
func floorDiv(a, b any) (any, error) {
	if x, ok := a.(int64); ok {
		if y, ok := b.(int64); ok {
			if y == 0 {
				return nil, errorf("integer division or modulo by zero")
			}
			if x == math.MinInt64 && y == -1 {
				return nil, errorf("integer overflow in %d / %d", x, y)
			}
			q := x / y
			if (x%y != 0) && ((x < 0) != (y < 0)) {
				q--
			}
			return q, nil
		}
	}
	fa, _, okA := number(a)
	fb, _, okB := number(b)
	if !okA || !okB {
		return nil, opError("//", a, b)
	}
	if fb == 0 {
		return nil, errorf("float floor division by zero")
	}
	return math.Floor(fa / fb), nil
}

// trueDiv is Python 3's / (always a float).
func trueDiv(a, b any) (any, error) {
	fa, _, okA := number(a)
	fb, _, okB := number(b)
	if !okA || !okB {
		return nil, opError("/", a, b)
	}
	if fb == 0 {
		return nil, errorf("division by zero")
	}
	return fa / fb, nil
}

// yaqlDiv is YAQL's /: floor division between integers, true division
// otherwise.
func yaqlDiv(a, b any) (any, error) {
	_, ia, _ := number(a)
	_, ib, _ := number(b)
	if ia && ib {
		return floorDiv(a, b)
	}
	return trueDiv(a, b)
}

// mod is Python's %: the result takes the sign of the divisor.
func mod(op string, a, b any) (any, error) {
	if x, ok := a.(int64); ok {
		if y, ok := b.(int64); ok {
			if y == 0 {
				return nil, errorf("integer division or modulo by zero")
			}
			if y == -1 {
				return int64(0), nil
			}
			r := x % y
			if r != 0 && (r < 0) != (y < 0) {
				r += y
			}
			return r, nil
		}
	}
	fa, _, okA := number(a)
	fb, _, okB := number(b)
	if !okA || !okB {
		return nil, opError(op, a, b)
	}
	if fb == 0 {
		return nil, errorf("float modulo")
	}
	r := math.Mod(fa, fb)
	if r != 0 && (r < 0) != (fb < 0) {
		r += fb
	}
	return r, nil
}

// pow is Python's ** (int ** non-negative int stays an int).
func pow(a, b any) (any, error) {
	if x, ok := a.(int64); ok {
		if y, ok := b.(int64); ok && y >= 0 {
			switch x {
			case 0, 1:
				if y == 0 {
					return int64(1), nil
				}
				return x, nil
			case -1:
				return 1 - 2*(y&1), nil
			}
			r := int64(1)
			for range y {
				next, err := mul(r, x)
				if err != nil {
					return nil, err
				}
				r = next.(int64)
			}
			return r, nil
		}
	}
	fa, _, okA := number(a)
	fb, _, okB := number(b)
	if !okA || !okB {
		return nil, opError("**", a, b)
	}
	if fa == 0 && fb < 0 {
		return nil, errorf("0.0 cannot be raised to a negative power")
	}
	return math.Pow(fa, fb), nil
}

// negate is unary minus.
func negate(v any) (any, error) {
	switch x := v.(type) {
	case int64:
		if x == math.MinInt64 {
			return nil, errorf("integer overflow in -(%d)", x)
		}
		return -x, nil
	case float64:
		return -x, nil
	}
	return nil, errorf("bad operand type for unary -: '%s'", typeName(v))
}
