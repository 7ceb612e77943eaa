package expr

// Jinja filters and tests. A filter x | f(a) is first looked up among the
// filters below, then as the function f(x, a) (Mistral registers its
// functions as filters too: _.s | json_parse).

// filter evaluates x | name(args).
func (e *evaluator) filter(n filterNode) (any, error) {
	x, err := e.evalRaw(n.x)
	if err != nil {
		return nil, err
	}
	args, err := e.filterArgs(n.args)
	if err != nil {
		return nil, err
	}
	switch n.name {
	case "default", "d":
		return fnDefault(e, append([]any{x}, args...))
	}
	if u, ok := x.(undefined); ok {
		return nil, errorf("%s", u.msg)
	}
	switch n.name {
	case "list":
		return fnToList(e, append([]any{x}, args...))
	case "string":
		return fnString(e, append([]any{x}, args...))
	case "trim":
		return builtins["trim"](e, []any{x})
	case "first", "last":
		return builtins[n.name](e, []any{x}) // no default argument in Jinja
	case "length", "count":
		return fnLen(e, []any{x})
	}
	return e.apply(n.name, append([]any{x}, args...))
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
		_, ok := x.(map[string]any)
		return ok, nil
	case "sequence", "iterable":
		switch x.(type) {
		case []any, map[string]any, string:
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
