package expr

import (
	"github.com/sirocco-project/sirocco/internal/jsonvalue"
	"slices"
	"strconv"
	"strings"
)

// Jinja filters and tests. A filter x | f(a) is first looked up among the
// filters below, then as the function f(x, a) (Mistral registers its
// functions as filters too: _.s | json_parse).

// filter evaluates x | name(args).
func (e *evaluator) filter(n filterNode) (any, error) {
	x, err := e.evalRaw(n.x)
	if err != nil {
		return nil, err
	}
	switch n.name {
	case "map", "selectattr", "rejectattr", "select", "reject", "sort":
		// Collection filters whose keyword arguments (attribute=...) matter.
		if u, ok := x.(undefined); ok {
			return nil, errorf("%s", u.msg)
		}
		kw, args, err := e.filterKeywords(n.name, n.args)
		if err != nil {
			return nil, err
		}
		return e.collectionFilter(n.name, x, args, kw)
	}
	args, err := e.filterArgs(n.args)
	if err != nil {
		return nil, err
	}
	return e.applyFilter(n.name, x, args)
}

// applyFilter applies the filter name, with evaluated arguments, to x.
func (e *evaluator) applyFilter(name string, x any, args []any) (any, error) {
	switch name {
	case "default", "d":
		return fnDefault(e, append([]any{x}, args...))
	}
	if u, ok := x.(undefined); ok {
		return nil, errorf("%s", u.msg)
	}
	switch name {
	case "list":
		return fnToList(e, append([]any{x}, args...))
	case "string":
		return fnString(e, append([]any{x}, args...))
	case "trim":
		return builtins["trim"](e, []any{x})
	case "first", "last":
		return builtins[name](e, []any{x}) // no default argument in Jinja
	case "length", "count":
		return fnLen(e, []any{x})
	case "int", "float":
		// Jinja's filters, unlike Python's int() and float(), give a
		// default (0) for what they cannot convert.
		v, err := e.apply(name, []any{x})
		if err == nil {
			return v, nil
		}
		if s, ok := x.(string); ok && name == "int" {
			if f, ferr := fnFloat(e, []any{s}); ferr == nil {
				return fnInt(e, []any{f})
			}
		}
		if len(args) > 0 {
			return args[0], nil
		}
		if name == "int" {
			return int64(0), nil
		}
		return 0.0, nil
	}
	return e.apply(name, append([]any{x}, args...))
}

// filterKeywords evaluates a filter's arguments, keeping keyword ones
// (attribute='name') apart from positional ones.
func (e *evaluator) filterKeywords(filter string, nodes []node) (map[string]any, []any, error) {
	kw := map[string]any{}
	var args []any
	for _, a := range nodes {
		if p, ok := a.(pairNode); ok {
			key, ok := keywordName(p.key)
			if !ok {
				return nil, nil, errorf("%s(): a keyword argument needs a name", filter)
			}
			v, err := e.eval(p.val)
			if err != nil {
				return nil, nil, err
			}
			kw[key] = v
			continue
		}
		v, err := e.eval(a)
		if err != nil {
			return nil, nil, err
		}
		args = append(args, v)
	}
	return kw, args, nil
}

// collectionFilter implements Jinja's map, select, reject, selectattr,
// rejectattr and sort. Jinja returns generators from the first five; here
// they are lists, which `| list` and `| join` take as they are.
func (e *evaluator) collectionFilter(name string, x any, args []any, kw map[string]any) (any, error) {
	for k := range kw {
		allowed := map[string][]string{"map": {"attribute", "default"}, "sort": {"attribute", "reverse", "case_sensitive"}}[name]
		if !slices.Contains(allowed, k) {
			return nil, errorf("filter %s got an unexpected keyword argument '%s'", name, k)
		}
	}
	items, err := iterate(name, x)
	if err != nil {
		return nil, err
	}
	if err := e.charge(len(items)); err != nil {
		return nil, err
	}
	switch name {
	case "map":
		out := make([]any, 0, len(items))
		if attr, ok := kw["attribute"]; ok {
			def, hasDefault := kw["default"]
			for _, it := range items {
				v, found, err := attribute(it, attr)
				if err != nil {
					return nil, err
				}
				if !found {
					if !hasDefault {
						return nil, errorf("map(): '%s' has no attribute '%s'", typeName(it), Str(attr))
					}
					v = def
				}
				out = append(out, v)
			}
			return out, nil
		}
		if len(args) == 0 {
			return nil, errorf("map() needs a filter name or attribute=")
		}
		filter, ok := args[0].(string)
		if !ok {
			return nil, errorf("map(): the filter name must be a string, not '%s'", typeName(args[0]))
		}
		for _, it := range items {
			v, err := e.applyFilter(filter, canon(it), args[1:])
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case "select", "reject", "selectattr", "rejectattr":
		keep := name == "select" || name == "selectattr"
		byAttr := name == "selectattr" || name == "rejectattr"
		if byAttr && len(args) == 0 {
			return nil, errorf("%s() needs an attribute name", name)
		}
		out := []any{}
		for _, it := range items {
			it = canon(it)
			v, rest := it, args
			if byAttr {
				var found bool
				if v, found, err = attribute(it, args[0]); err != nil {
					return nil, err
				} else if !found {
					v = nil
				}
				rest = args[1:]
			}
			var ok bool
			if len(rest) == 0 {
				ok = truthy(v)
			} else {
				test, isStr := rest[0].(string)
				if !isStr {
					return nil, errorf("%s(): the test name must be a string, not '%s'", name, typeName(rest[0]))
				}
				if ok, err = jinjaTest(test, v, rest[1:]); err != nil {
					return nil, err
				}
			}
			if ok == keep {
				out = append(out, it)
			}
		}
		return out, nil
	}
	// sort(reverse=false, case_sensitive=false, attribute=None)
	if len(args) > 0 {
		kw["reverse"] = args[0]
	}
	keys := make([]any, len(items))
	for i, it := range items {
		keys[i] = canon(it)
		if attr, ok := kw["attribute"]; ok {
			v, found, err := attribute(it, attr)
			if err != nil {
				return nil, err
			}
			if !found {
				return nil, errorf("sort(): '%s' has no attribute '%s'", typeName(it), Str(attr))
			}
			keys[i] = v
		}
		if s, ok := keys[i].(string); ok && !truthy(kw["case_sensitive"]) {
			keys[i] = strings.ToLower(s)
		}
	}
	return sortBy(items, keys, truthy(kw["reverse"]))
}

// attribute looks up Jinja's attribute= path in an item: keys of objects
// and indexes of lists, dotted ("a.b", "items.0").
func attribute(item any, attr any) (any, bool, error) {
	if i, ok := attr.(int64); ok {
		attr = strconv.FormatInt(i, 10)
	}
	path, ok := attr.(string)
	if !ok {
		return nil, false, errorf("attribute must be a string, not '%s'", typeName(attr))
	}
	v := canon(item)
	for _, part := range strings.Split(path, ".") {
		switch x := v.(type) {
		case *jsonvalue.Object, map[string]any:
			if v, ok = dictGet(x, part); !ok {
				return nil, false, nil
			}
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false, nil
			}
			v = x[i]
		default:
			return nil, false, nil
		}
		v = canon(v)
	}
	return v, true, nil
}

// filterArgs evaluates filter or test arguments; keyword arguments are
// taken by position.
func (e *evaluator) filterArgs(nodes []node) ([]any, error) {
	out := make([]any, 0, len(nodes))
	for _, a := range nodes {
		if p, ok := a.(pairNode); ok {
			a = p.val
		}
		v, err := e.eval(a)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// test evaluates x is [not] name(args).
func (e *evaluator) test(n testNode) (any, error) {
	x, err := e.evalRaw(n.x)
	if err != nil {
		return nil, err
	}
	_, undef := x.(undefined)
	var r bool
	switch n.name {
	case "defined":
		r = !undef
	case "undefined":
		r = undef
	default:
		if undef {
			return nil, errorf("%s", x.(undefined).msg)
		}
		args, err := e.filterArgs(n.args)
		if err != nil {
			return nil, err
		}
		if r, err = jinjaTest(n.name, x, args); err != nil {
			return nil, err
		}
	}
	return r != n.negate, nil
}

// jinjaTest implements Jinja's built-in tests.
func jinjaTest(name string, x any, args []any) (bool, error) {
	one := func() (any, error) {
		if len(args) != 1 {
			return nil, errorf("test %s takes one argument", name)
		}
		return args[0], nil
	}
	switch name {
	case "none":
		return x == nil, nil
	case "string":
		_, ok := x.(string)
		return ok, nil
	case "number":
		_, _, ok := number(x)
		return ok, nil
	case "integer":
		_, ok := x.(int64)
		return ok, nil
	case "float":
		_, ok := x.(float64)
		return ok, nil
	case "boolean":
		_, ok := x.(bool)
		return ok, nil
	case "true":
		return x == true, nil
	case "false":
		return x == false, nil
	case "mapping":
		return isDict(x), nil
	case "sequence", "iterable":
		switch x.(type) {
		case []any, *jsonvalue.Object, map[string]any, string:
			return true, nil
		}
		return false, nil
	case "even", "odd":
		i, ok := x.(int64)
		if !ok {
			return false, errorf("test %s needs an integer, not '%s'", name, typeName(x))
		}
		return (i%2 == 0) == (name == "even"), nil
	case "eq", "equalto", "==":
		y, err := one()
		return err == nil && equal(x, y), err
	case "ne", "!=":
		y, err := one()
		return err == nil && !equal(x, y), err
	case "in":
		y, err := one()
		if err != nil {
			return false, err
		}
		v, err := contains(x, y)
		return err == nil && v == true, err
	case "gt", "greaterthan", ">", "ge", ">=", "lt", "lessthan", "<", "le", "<=":
		y, err := one()
		if err != nil {
			return false, err
		}
		op := map[string]string{"gt": ">", "greaterthan": ">", "ge": ">=", "lt": "<", "lessthan": "<", "le": "<="}[name]
		if op == "" {
			op = name
		}
		c, err := compare(op, x, y)
		if err != nil {
			return false, err
		}
		switch op {
		case ">":
			return c > 0, nil
		case ">=":
			return c >= 0, nil
		case "<":
			return c < 0, nil
		}
		return c <= 0, nil
	case "lower", "upper":
		s, ok := x.(string)
		if !ok {
			return false, nil
		}
		if name == "lower" {
			return s == lowerString(s), nil
		}
		return s == upperString(s), nil
	}
	return false, errorf("no test named '%s'", name)
}
