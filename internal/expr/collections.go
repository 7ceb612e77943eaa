package expr

import (
	"math"
	"strings"

	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

// Collection and math built-ins.

func wantDict(fn string, v any) (*jsonvalue.Object, error) {
	m, ok := asDict(v)
	if !ok {
		return nil, errorf("%s() expects a dict, not '%s'", fn, typeName(v))
	}
	return m, nil
}

func fnKeys(_ *evaluator, a []any) (any, error) {
	if err := arity("keys", a, 1, 1); err != nil {
		return nil, err
	}
	m, err := wantDict("keys", a[0])
	if err != nil {
		return nil, err
	}
	return iterate("keys", m)
}

func fnValues(_ *evaluator, a []any) (any, error) {
	if err := arity("values", a, 1, 1); err != nil {
		return nil, err
	}
	m, err := wantDict("values", a[0])
	if err != nil {
		return nil, err
	}
	out := make([]any, 0, m.Len())
	for _, e := range m.Members() {
		out = append(out, canon(e.Value))
	}
	return out, nil
}

func fnItems(_ *evaluator, a []any) (any, error) {
	if err := arity("items", a, 1, 1); err != nil {
		return nil, err
	}
	m, err := wantDict("items", a[0])
	if err != nil {
		return nil, err
	}
	out := make([]any, 0, m.Len())
	for _, e := range m.Members() {
		out = append(out, []any{e.Key, canon(e.Value)})
	}
	return out, nil
}

// fnGet is d.get(key, default=null); on a list the key is an index.
func fnGet(_ *evaluator, a []any) (any, error) {
	if err := arity("get", a, 2, 3); err != nil {
		return nil, err
	}
	var dflt any
	if len(a) == 3 {
		dflt = a[2]
	}
	switch c := a[0].(type) {
	case *jsonvalue.Object, map[string]any:
		if k, ok := a[1].(string); ok {
			if v, ok := dictGet(c, k); ok {
				return canon(v), nil
			}
		}
		return dflt, nil
	case []any:
		if i, ok := a[1].(int64); ok {
			if i < 0 {
				i += int64(len(c))
			}
			if i >= 0 && i < int64(len(c)) {
				return canon(c[i]), nil
			}
		}
		return dflt, nil
	case nil:
		return dflt, nil
	}
	return nil, errorf("get() expects a dict, not '%s'", typeName(a[0]))
}

// fnFirst is first(collection, default): with no default an empty
// collection is an error, as in YAQL.
func fnFirst(_ *evaluator, a []any) (any, error) {
	if err := arity("first", a, 1, 2); err != nil {
		return nil, err
	}
	l, err := iterate("first", a[0])
	if err != nil {
		return nil, err
	}
	if len(l) > 0 {
		return canon(l[0]), nil
	}
	if len(a) == 2 {
		return a[1], nil
	}
	return nil, errorf("first(): collection is empty")
}

// fnSkip is collection.skip(count): the items after the first count.
func fnSkip(_ *evaluator, a []any) (any, error) {
	l, n, err := countArg("skip", a)
	if err != nil {
		return nil, err
	}
	return append([]any{}, l[min(n, len(l)):]...), nil
}

// fnTake is collection.take(count) (and limit): the first count items.
func fnTake(_ *evaluator, a []any) (any, error) {
	l, n, err := countArg("take", a)
	if err != nil {
		return nil, err
	}
	return append([]any{}, l[:min(n, len(l))]...), nil
}

// countArg reads (collection, count) for skip and take; a negative count
// is 0.
func countArg(fn string, a []any) ([]any, int, error) {
	if err := arity(fn, a, 2, 2); err != nil {
		return nil, 0, err
	}
	l, err := iterate(fn, a[0])
	if err != nil {
		return nil, 0, err
	}
	n, err := wantInt(fn, a[1])
	if err != nil {
		return nil, 0, err
	}
	return l, int(max(0, min(n, int64(len(l))))), nil
}

func fnLast(_ *evaluator, a []any) (any, error) {
	if err := arity("last", a, 1, 2); err != nil {
		return nil, err
	}
	l, err := iterate("last", a[0])
	if err != nil {
		return nil, err
	}
	if len(l) > 0 {
		return canon(l[len(l)-1]), nil
	}
	if len(a) == 2 {
		return a[1], nil
	}
	return nil, errorf("last(): collection is empty")
}

func fnSum(_ *evaluator, a []any) (any, error) {
	if err := arity("sum", a, 1, 2); err != nil {
		return nil, err
	}
	l, err := wantList("sum", a[0])
	if err != nil {
		return nil, err
	}
	var acc any = int64(0)
	if len(a) == 2 {
		acc = a[1]
	}
	for _, it := range l {
		if acc, err = add(acc, canon(it)); err != nil {
			return nil, err
		}
	}
	return acc, nil
}

// fnMinMax is min/max over one list argument or over several arguments.
func fnMinMax(name string, sign int) builtin {
	return func(_ *evaluator, a []any) (any, error) {
		if err := arity(name, a, 1, math.MaxInt); err != nil {
			return nil, err
		}
		items := a
		if len(a) == 1 {
			l, err := iterate(name, a[0])
			if err != nil {
				return nil, err
			}
			items = l
		}
		if len(items) == 0 {
			return nil, errorf("%s() arg is an empty sequence", name)
		}
		best := canon(items[0])
		for _, it := range items[1:] {
			it = canon(it)
			c, err := compare("<", it, best)
			if err != nil {
				return nil, err
			}
			if c != 2 && c*sign > 0 {
				best = it
			}
		}
		return best, nil
	}
}

func fnAbs(_ *evaluator, a []any) (any, error) {
	if err := arity("abs", a, 1, 1); err != nil {
		return nil, err
	}
	switch x := a[0].(type) {
	case int64:
		if x < 0 {
			return negate(x)
		}
		return x, nil
	case float64:
		return math.Abs(x), nil
	}
	return nil, errorf("bad operand type for abs(): '%s'", typeName(a[0]))
}

// fnRound is Python's round(x, ndigits=None): half to even; without
// ndigits the result is an int.
func fnRound(_ *evaluator, a []any) (any, error) {
	if err := arity("round", a, 1, 2); err != nil {
		return nil, err
	}
	f, isInt, ok := number(a[0])
	if !ok {
		return nil, errorf("type %s doesn't define __round__ method", typeName(a[0]))
	}
	if len(a) == 1 {
		if isInt {
			return a[0], nil
		}
		return fnInt(nil, []any{math.RoundToEven(f)})
	}
	nd, err := wantInt("round", a[1])
	if err != nil {
		return nil, err
	}
	if isInt || nd > 300 || nd < -300 {
		return a[0], nil
	}
	p := math.Pow(10, float64(nd))
	r := math.RoundToEven(f*p) / p
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return f, nil
	}
	return r, nil
}

// fnRange is range(stop) or range(start, stop[, step]).
func fnRange(_ *evaluator, a []any) (any, error) {
	if err := arity("range", a, 1, 3); err != nil {
		return nil, err
	}
	var n [3]int64
	n[2] = 1
	for i, x := range a {
		v, err := wantInt("range", x)
		if err != nil {
			return nil, err
		}
		n[i] = v
	}
	start, stop, step := int64(0), n[0], n[2]
	if len(a) >= 2 {
		start, stop = n[0], n[1]
	}
	if step == 0 {
		return nil, errorf("range() arg 3 must not be zero")
	}
	// Count first, in uint64 (differences of int64s fit; -(step+1)+1
	// avoids negating MinInt64), so that an oversized range fails before
	// allocating anything.
	var count uint64
	switch {
	case step > 0 && stop > start:
		count = (uint64(stop)-uint64(start)-1)/uint64(step) + 1
	case step < 0 && stop < start:
		count = (uint64(start)-uint64(stop)-1)/(uint64(-(step+1))+1) + 1
	}
	if count > maxListLen {
		return nil, errorf("range() too long")
	}
	out := make([]any, count)
	for i := range out {
		out[i] = start + int64(i)*step
	}
	return out, nil
}

func fnDistinct(e *evaluator, a []any) (any, error) {
	if err := arity("distinct", a, 1, 1); err != nil {
		return nil, err
	}
	l, err := iterate("distinct", a[0])
	if err != nil {
		return nil, err
	}
	out := []any{}
	for _, it := range l {
		if e != nil {
			if err := e.charge(len(out)); err != nil { // quadratic: pay for it
				return nil, err
			}
		}
		dup := false
		for _, seen := range out {
			if equal(seen, it) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, canon(it))
		}
	}
	return out, nil
}

// fnFlatten flattens one level of nested lists.
func fnFlatten(_ *evaluator, a []any) (any, error) {
	if err := arity("flatten", a, 1, 1); err != nil {
		return nil, err
	}
	l, err := wantList("flatten", a[0])
	if err != nil {
		return nil, err
	}
	out := []any{}
	for _, it := range l {
		if inner, ok := canon(it).([]any); ok {
			out = append(out, inner...)
		} else {
			out = append(out, canon(it))
		}
		if len(out) > maxListLen {
			return nil, errorf("list too long")
		}
	}
	return out, nil
}

func fnContains(_ *evaluator, a []any) (any, error) {
	if err := arity("contains", a, 2, 2); err != nil {
		return nil, err
	}
	return contains(a[1], a[0])
}

func fnIsEmpty(_ *evaluator, a []any) (any, error) {
	if err := arity("isEmpty", a, 1, 1); err != nil {
		return nil, err
	}
	if s, ok := a[0].(string); ok {
		return strings.TrimSpace(s) == "", nil
	}
	return !truthy(a[0]), nil
}

func typeTest(name string, f func(any) bool) builtin {
	return func(_ *evaluator, a []any) (any, error) {
		if err := arity(name, a, 1, 1); err != nil {
			return nil, err
		}
		return f(a[0]), nil
	}
}

func fnReverse(_ *evaluator, a []any) (any, error) {
	if err := arity("reverse", a, 1, 1); err != nil {
		return nil, err
	}
	if s, ok := a[0].(string); ok {
		r := []rune(s)
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
		return string(r), nil
	}
	l, err := iterate("reverse", a[0])
	if err != nil {
		return nil, err
	}
	out := make([]any, len(l))
	for i, it := range l {
		out[len(l)-1-i] = it
	}
	return out, nil
}

// fnSort sorts a collection (sort(reverse=false)).
func fnSort(_ *evaluator, a []any) (any, error) {
	if err := arity("sort", a, 1, 2); err != nil {
		return nil, err
	}
	l, err := iterate("sort", a[0])
	if err != nil {
		return nil, err
	}
	keys := make([]any, len(l))
	for i := range l {
		keys[i] = canon(l[i])
	}
	desc := len(a) == 2 && truthy(a[1])
	return sortBy(l, keys, desc)
}

// fnUnion concatenates lists, dropping duplicates.
func fnUnion(e *evaluator, a []any) (any, error) {
	var all []any
	for _, x := range a {
		l, err := wantList("union", x)
		if err != nil {
			return nil, err
		}
		all = append(all, l...)
		if len(all) > maxListLen {
			return nil, errorf("list too long")
		}
	}
	return fnDistinct(e, []any{append([]any{}, all...)})
}

// fnMerge merges dicts left to right (later keys win).
func fnMerge(_ *evaluator, a []any) (any, error) {
	out := jsonvalue.NewObject(0)
	for _, x := range a {
		m, err := wantDict("merge_with", x)
		if err != nil {
			return nil, err
		}
		for _, e := range m.Members() {
			out.Set(e.Key, e.Value)
		}
	}
	return out, nil
}

// fnDefault is default(value, fallback, boolean=false) as a function: in
// Jinja the filter form also sees undefined values (see filter).
func fnDefault(_ *evaluator, a []any) (any, error) {
	if err := arity("default", a, 1, 3); err != nil {
		return nil, err
	}
	fallback := any("")
	if len(a) >= 2 {
		fallback = a[1]
	}
	if _, undef := a[0].(undefined); undef || (len(a) == 3 && truthy(a[2]) && !truthy(a[0])) {
		return fallback, nil
	}
	return a[0], nil
}
