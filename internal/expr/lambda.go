package expr

import (
	"sort"

	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

// specialForm is a function that receives its arguments unevaluated:
// switch evaluates only the chosen branch, dict reads `key => value` pairs.
type specialForm func(e *evaluator, args []node) (any, error)

// lambdaMethod is a method whose arguments are lambdas: they are evaluated
// once per item with `$` bound to the item.
type lambdaMethod func(e *evaluator, recv any, args []node) (any, error)

var (
	specialForms  map[string]specialForm
	lambdaMethods map[string]lambdaMethod
)

func init() {
	specialForms = map[string]specialForm{
		"switch":   sfSwitch,
		"dict":     sfDict,
		"coalesce": sfCoalesce,
		"format":   sfFormat,
	}
	lambdaMethods = map[string]lambdaMethod{
		"select":            lmSelect,
		"where":             lmWhere(true),
		"filter":            lmWhere(true),
		"any":               lmAny,
		"all":               lmAll,
		"orderBy":           lmOrderBy(false),
		"orderByDescending": lmOrderBy(true),
		"selectMany":        lmSelectMany,
		"toDict":            lmToDict,
		"format":            lmFormat,
		"groupBy":           lmGroupBy,
	}
}

// lmToDict is collection.toDict(keySelector, valueSelector): an object of
// each item's key and value (the item itself without valueSelector).
func lmToDict(e *evaluator, recv any, args []node) (any, error) {
	items, err := e.lambdaItems("toDict", recv, args, 1, 2)
	if err != nil {
		return nil, err
	}
	out := jsonvalue.NewObject(len(items))
	for _, it := range items {
		it = canon(it)
		k, err := e.with(it).eval(args[0])
		if err != nil {
			return nil, err
		}
		key, ok := k.(string)
		if !ok {
			return nil, errorf("toDict() keys must be strings, not '%s'", typeName(k))
		}
		v := it
		if len(args) == 2 {
			if v, err = e.with(it).eval(args[1]); err != nil {
				return nil, err
			}
		}
		out.Set(key, v)
	}
	return out, nil
}

// lmGroupBy is collection.groupBy(keySelector, valueSelector, aggregator):
// a list of [key, [values]] in the order keys first appear; aggregator,
// if given, maps each [key, values] pair.
func lmGroupBy(e *evaluator, recv any, args []node) (any, error) {
	items, err := e.lambdaItems("groupBy", recv, args, 1, 3)
	if err != nil {
		return nil, err
	}
	var keys []any
	groups := map[string][]any{}
	for _, it := range items {
		it = canon(it)
		k, err := e.with(it).eval(args[0])
		if err != nil {
			return nil, err
		}
		id, err := jsonvalue.Canonical(k) // keys of any type, compared by value
		if err != nil {
			return nil, err
		}
		v := it
		if len(args) >= 2 {
			if v, err = e.with(it).eval(args[1]); err != nil {
				return nil, err
			}
		}
		if _, seen := groups[string(id)]; !seen {
			keys = append(keys, k)
		}
		groups[string(id)] = append(groups[string(id)], v)
	}
	out := make([]any, 0, len(keys))
	for _, k := range keys {
		id, _ := jsonvalue.Canonical(k)
		var pair any = []any{k, groups[string(id)]}
		if len(args) == 3 {
			if pair, err = e.with(pair).eval(args[2]); err != nil {
				return nil, err
			}
		}
		out = append(out, pair)
	}
	return out, nil
}

// sfSwitch is switch(cond => value, ...): the value of the first true
// condition, or null.
func sfSwitch(e *evaluator, args []node) (any, error) {
	for _, a := range args {
		p, ok := a.(pairNode)
		if !ok {
			return nil, errorf("switch() arguments must be condition => value pairs")
		}
		c, err := e.eval(p.key)
		if err != nil {
			return nil, err
		}
		if truthy(c) {
			return e.eval(p.val)
		}
	}
	return nil, nil
}

// sfDict is dict(k => v, ...); a bare name as key is the name itself. A
// dict argument is merged in, a list of [key, value] pairs added.
func sfDict(e *evaluator, args []node) (any, error) {
	out := jsonvalue.NewObject(len(args))
	for _, a := range args {
		if p, ok := a.(pairNode); ok {
			key := p.key
			if id, ok := key.(identNode); ok {
				key = litNode{id.name}
			}
			if err := e.setPair(out, key, p.val); err != nil {
				return nil, err
			}
			continue
		}
		v, err := e.eval(a)
		if err != nil {
			return nil, err
		}
		switch x := v.(type) {
		case *jsonvalue.Object, map[string]any:
			o, _ := asDict(x)
			for _, m := range o.Members() {
				out.Set(m.Key, m.Value)
			}
		case []any:
			for _, it := range x {
				kv, ok := canon(it).([]any)
				if !ok || len(kv) != 2 {
					return nil, errorf("dict() items must be [key, value] pairs")
				}
				k, ok := kv[0].(string)
				if !ok {
					return nil, errorf("dict keys must be strings, not '%s'", typeName(kv[0]))
				}
				out.Set(k, kv[1])
			}
		default:
			return nil, errorf("dict() cannot convert '%s'", typeName(v))
		}
	}
	return out, nil
}

// sfCoalesce returns the first non-null argument, evaluating no further.
func sfCoalesce(e *evaluator, args []node) (any, error) {
	for _, a := range args {
		v, err := e.eval(a)
		if err != nil {
			return nil, err
		}
		if v != nil {
			return v, nil
		}
	}
	return nil, nil
}

// lambdaArgs checks the count of lambda arguments.
func lambdaArgs(name string, args []node, lo, hi int) error {
	for _, a := range args {
		if _, ok := a.(pairNode); ok {
			return errorf("%s() does not take key => value arguments", name)
		}
	}
	if len(args) < lo || len(args) > hi {
		if lo == hi {
			return errorf("%s() takes exactly %d argument(s) (%d given)", name, lo, len(args))
		}
		return errorf("%s() takes from %d to %d argument(s) (%d given)", name, lo, hi, len(args))
	}
	return nil
}

// lambdaItems checks a lambda method's arguments and returns the items of
// its collection, charged to the evaluation's budget.
func (e *evaluator) lambdaItems(name string, recv any, args []node, lo, hi int) ([]any, error) {
	if err := lambdaArgs(name, args, lo, hi); err != nil {
		return nil, err
	}
	items, err := iterate(name, recv)
	if err != nil {
		return nil, err
	}
	return items, e.charge(len(items))
}

func lmSelect(e *evaluator, recv any, args []node) (any, error) {
	items, err := e.lambdaItems("select", recv, args, 1, 1)
	if err != nil {
		return nil, err
	}
	out := make([]any, 0, len(items))
	for _, it := range items {
		v, err := e.with(canon(it)).eval(args[0])
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func lmSelectMany(e *evaluator, recv any, args []node) (any, error) {
	v, err := lmSelect(e, recv, args)
	if err != nil {
		return nil, err
	}
	return fnFlatten(e, []any{v})
}

func lmWhere(keep bool) lambdaMethod {
	return func(e *evaluator, recv any, args []node) (any, error) {
		items, err := e.lambdaItems("where", recv, args, 1, 1)
		if err != nil {
			return nil, err
		}
		out := []any{}
		for _, it := range items {
			it = canon(it)
			v, err := e.with(it).eval(args[0])
			if err != nil {
				return nil, err
			}
			if truthy(v) == keep {
				out = append(out, it)
			}
		}
		return out, nil
	}
}

// lmAny is any() (collection not empty) or any(predicate).
func lmAny(e *evaluator, recv any, args []node) (any, error) {
	if err := lambdaArgs("any", args, 0, 1); err != nil {
		return nil, err
	}
	items, err := iterate("any", recv)
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		if len(args) == 0 {
			return true, nil
		}
		v, err := e.with(canon(it)).eval(args[0])
		if err != nil {
			return nil, err
		}
		if truthy(v) {
			return true, nil
		}
	}
	return false, nil
}

// lmAll is all(predicate) (all(): every item truthy).
func lmAll(e *evaluator, recv any, args []node) (any, error) {
	if err := lambdaArgs("all", args, 0, 1); err != nil {
		return nil, err
	}
	items, err := iterate("all", recv)
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		v := canon(it)
		if len(args) == 1 {
			if v, err = e.with(v).eval(args[0]); err != nil {
				return nil, err
			}
		}
		if !truthy(v) {
			return false, nil
		}
	}
	return true, nil
}

func lmOrderBy(desc bool) lambdaMethod {
	return func(e *evaluator, recv any, args []node) (any, error) {
		items, err := e.lambdaItems("orderBy", recv, args, 1, 1)
		if err != nil {
			return nil, err
		}
		keys := make([]any, len(items))
		for i, it := range items {
			if keys[i], err = e.with(canon(it)).eval(args[0]); err != nil {
				return nil, err
			}
		}
		return sortBy(items, keys, desc)
	}
}

// sortBy stably sorts items by keys; incomparable keys are an error.
func sortBy(items, keys []any, desc bool) (any, error) {
	idx := make([]int, len(items))
	for i := range idx {
		idx[i] = i
	}
	var cmpErr error
	sort.SliceStable(idx, func(i, j int) bool {
		c, err := compare("<", keys[idx[i]], keys[idx[j]])
		if err != nil && cmpErr == nil {
			cmpErr = err
		}
		if desc {
			return c == 1
		}
		return c == -1
	})
	if cmpErr != nil {
		return nil, cmpErr
	}
	out := make([]any, len(items))
	for i, k := range idx {
		out[i] = canon(items[k])
	}
	return out, nil
}
