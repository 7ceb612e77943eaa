package expr

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

// maxSteps bounds the work one top-level evaluation may do: one step per
// node visited (lambda invocations included) plus the size of every list,
// dict or string (per 8 bytes) that an operator or a function produces.
const maxSteps = 1 << 22

// undefined is Jinja's Undefined: what a missing key or variable yields.
// Mistral runs Jinja with StrictUndefined, so using it is an error (msg);
// only the default filter, the defined/undefined tests and a whole-string
// expression (which becomes null) may look at it. plain marks the one
// exception: Jinja2 (3.x) gives `a if c` without else the lenient
// Undefined, which a template renders as "" and tests as false.
type undefined struct {
	msg   string
	plain bool
}

// evaluator walks a tree. It is cheap to copy: a lambda runs on a copy whose
// data is the current item.
type evaluator struct {
	ctx   *Context
	lang  lang
	data  any
	steps *int
	// shared is what the lambdas of one evaluation share.
	shared *evalShared
	// lambda is true inside select(), where() and the like, where `$` is
	// an item rather than the task's data context.
	lambda bool
	// vars are a Jinja template's variables ({% set %}, for targets,
	// loop); nil outside templates.
	vars *scope
}

// evalShared is the state of one evaluation, allocated once.
type evalShared struct {
	steps int
	// regexps holds the patterns compiled so far (`where($ =~ 'x')`
	// compiles once).
	regexps map[string]*regexp.Regexp
}

func newEvaluator(ctx *Context, l lang) *evaluator {
	sh := &evalShared{}
	return &evaluator{ctx: ctx, lang: l, data: ctx.Data, steps: &sh.steps, shared: sh}
}

// maxPattern bounds a regular expression's length.
const maxPattern = 1000

// regexp compiles a pattern once per evaluation. Patterns are RE2 (Go's
// regexp), which has no backreferences or lookaround: those are errors.
func (e *evaluator) regexp(pattern string) (*regexp.Regexp, error) {
	if re, ok := e.shared.regexps[pattern]; ok {
		return re, nil
	}
	if len(pattern) > maxPattern {
		return nil, errorf("regular expression longer than %d characters", maxPattern)
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, errorf("invalid regular expression %s: %v", reprString(pattern), err)
	}
	if e.shared.regexps == nil {
		e.shared.regexps = map[string]*regexp.Regexp{}
	}
	e.shared.regexps[pattern] = re
	return re, nil
}

// with returns an evaluator whose `$` (or `_`) is data.
func (e *evaluator) with(data any) *evaluator {
	c := *e
	c.data = data
	c.lambda = true
	return &c
}

// charge adds n steps of work and fails once the budget is spent.
func (e *evaluator) charge(n int) error {
	*e.steps += n
	if *e.steps > maxSteps {
		return errorf("expression is too expensive to evaluate")
	}
	return nil
}

// chargeSize charges for a freshly built value.
func (e *evaluator) chargeSize(v any, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case string:
		err = e.charge(len(x) / 8)
	case []any:
		err = e.charge(len(x))
	case *jsonvalue.Object:
		err = e.charge(x.Len())
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}

// eval evaluates n; an undefined result is an error.
func (e *evaluator) eval(n node) (any, error) {
	v, err := e.evalRaw(n)
	if err != nil {
		return nil, err
	}
	if u, ok := v.(undefined); ok {
		return nil, errorf("%s", u.msg)
	}
	return v, nil
}

// evalRaw evaluates n and may return undefined (Jinja only).
func (e *evaluator) evalRaw(n node) (any, error) {
	if err := e.charge(1); err != nil {
		return nil, err
	}
	switch n := n.(type) {
	case litNode:
		return n.val, nil
	case dataNode:
		if v, ok := e.vars.lookup("_"); ok && !e.lambda {
			return v, nil // a template may rebind `_`, as Jinja2 lets it
		}
		return canon(e.data), nil
	case varNode:
		return nil, nil
	case identNode:
		return e.ident(n.name), nil
	case undefNode:
		return undefined{msg: "the inline if-expression evaluated to false and no else section was defined", plain: true}, nil
	case listNode:
		out := make([]any, 0, len(n.items))
		for _, it := range n.items {
			v, err := e.eval(it)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case dictNode:
		out := jsonvalue.NewObject(len(n.keys))
		for i := range n.keys {
			if err := e.setPair(out, n.keys[i], n.vals[i]); err != nil {
				return nil, err
			}
		}
		return out, nil
	case attrNode:
		x, err := e.eval(n.x)
		if err != nil {
			return nil, err
		}
		if _, root := n.x.(dataNode); root && e.lang == langYAQL && !e.lambda {
			// Mistral's `$` is a context view whose missing keys raise
			// KeyError, unlike the plain dicts inside it.
			if isDict(x) {
				if _, found := dictGet(x, n.name); !found {
					return nil, errorf("%s", Str([]any{n.name})[1:len(Str([]any{n.name}))-1])
				}
			}
		}
		return e.attr(x, n.name)
	case indexNode:
		x, err := e.eval(n.x)
		if err != nil {
			return nil, err
		}
		idx, err := e.eval(n.idx)
		if err != nil {
			return nil, err
		}
		return e.index(x, idx)
	case callNode:
		return e.call(n.name, n.args)
	case methodNode:
		recv, err := e.eval(n.recv)
		if err != nil {
			return nil, err
		}
		return e.method(recv, n.name, n.args)
	case pairNode:
		return nil, errorf("unexpected \"=>\": key => value pairs are only allowed in function arguments")
	case unaryNode:
		return e.unary(n)
	case binaryNode:
		return e.chargeSize(e.binary(n))
	case condNode:
		c, err := e.eval(n.cond)
		if err != nil {
			return nil, err
		}
		if truthy(c) {
			return e.evalRaw(n.then)
		}
		return e.evalRaw(n.els)
	case filterNode:
		return e.filter(n)
	case testNode:
		return e.test(n)
	}
	return nil, errorf("internal error: unknown node %T", n)
}

// ident evaluates a bare name: a string in YAQL (task(t1) means
// task('t1')); in Jinja a template variable, of which Mistral defines only
// `_` and the internal __env, __execution and __task_execution keys.
func (e *evaluator) ident(name string) any {
	if e.lang == langYAQL {
		return name
	}
	if v, ok := e.vars.lookup(name); ok {
		return v
	}
	if len(name) > 2 && name[:2] == "__" {
		if v, ok := dictGet(canon(e.ctx.Data), name); ok {
			return canon(v)
		}
	}
	return undefined{msg: "'" + name + "' is undefined"}
}

// setPair evaluates one key => value into m; keys must be strings.
func (e *evaluator) setPair(m *jsonvalue.Object, kn, vn node) error {
	k, err := e.eval(kn)
	if err != nil {
		return err
	}
	ks, ok := k.(string)
	if !ok {
		return errorf("dict keys must be strings, not '%s'", typeName(k))
	}
	v, err := e.eval(vn)
	if err != nil {
		return err
	}
	m.Set(ks, v)
	return nil
}

// attr is x.name. In YAQL a missing key or a null receiver gives null and
// a list maps the access over its items; in Jinja these are undefined.
func (e *evaluator) attr(x any, name string) (any, error) {
	switch m := x.(type) {
	case *jsonvalue.Object, map[string]any:
		if v, ok := dictGet(m, name); ok {
			return canon(v), nil
		}
		if e.lang == langJinja {
			return undefined{msg: "'dict object' has no attribute '" + name + "'"}, nil
		}
		return nil, nil
	case nil:
		if e.lang == langJinja {
			return undefined{msg: "'None' has no attribute '" + name + "'"}, nil
		}
		return nil, nil
	case []any:
		if e.lang == langYAQL {
			out := make([]any, 0, len(m))
			for _, it := range m {
				v, err := e.attr(canon(it), name)
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			}
			return out, nil
		}
	}
	if e.lang == langJinja {
		return undefined{msg: "'" + typeName(x) + " object' has no attribute '" + name + "'"}, nil
	}
	return nil, errorf("'%s' object has no attribute '%s'", typeName(x), name)
}

// index is x[idx]: lists and strings by (possibly negative) int, dicts by
// key (a missing key is null in YAQL, undefined in Jinja).
func (e *evaluator) index(x, idx any) (any, error) {
	switch c := x.(type) {
	case []any:
		i, ok := idx.(int64)
		if !ok {
			return nil, errorf("list indices must be integers, not %s", typeName(idx))
		}
		if i < 0 {
			i += int64(len(c))
		}
		if i < 0 || i >= int64(len(c)) {
			if e.lang == langJinja {
				return undefined{msg: "list object has no element " + Str(idx)}, nil
			}
			return nil, errorf("list index out of range")
		}
		return canon(c[i]), nil
	case string:
		i, ok := idx.(int64)
		if !ok {
			return nil, errorf("string indices must be integers, not %s", typeName(idx))
		}
		n := int64(utf8.RuneCountInString(c))
		if i < 0 {
			i += n
		}
		if i < 0 || i >= n {
			return nil, errorf("string index out of range")
		}
		return string([]rune(c)[i]), nil
	case *jsonvalue.Object, map[string]any:
		if k, isStr := idx.(string); isStr {
			if v, ok := dictGet(c, k); ok {
				return canon(v), nil
			}
		}
		if e.lang == langJinja {
			return undefined{msg: "'dict object' has no attribute " + reprString(Str(idx))}, nil
		}
		return nil, nil
	case nil:
		if e.lang == langJinja {
			return undefined{msg: "'None' has no attribute " + reprString(Str(idx))}, nil
		}
		return nil, nil
	}
	return nil, errorf("'%s' object is not subscriptable", typeName(x))
}

func (e *evaluator) unary(n unaryNode) (any, error) {
	x, err := e.eval(n.x)
	if err != nil {
		return nil, err
	}
	switch n.op {
	case "not":
		return !truthy(x), nil
	case "-":
		return negate(x)
	}
	if _, _, ok := number(x); !ok {
		return nil, errorf("bad operand type for unary +: '%s'", typeName(x))
	}
	return x, nil
}

func (e *evaluator) binary(n binaryNode) (any, error) {
	l, err := e.eval(n.l)
	if err != nil {
		return nil, err
	}
	switch n.op { // short-circuit, Python style: the deciding operand is the result
	case "and":
		if !truthy(l) {
			return l, nil
		}
		return e.eval(n.r)
	case "or":
		if truthy(l) {
			return l, nil
		}
		return e.eval(n.r)
	}
	r, err := e.eval(n.r)
	if err != nil {
		return nil, err
	}
	switch n.op {
	case "=":
		return equal(l, r), nil
	case "!=":
		return !equal(l, r), nil
	case "<", ">", "<=", ">=":
		return comparison(n.op, l, r)
	case "=~", "!~":
		// YAQL's regular expression match: Python's re.search.
		ls, lok := l.(string)
		rs, rok := r.(string)
		if !lok || !rok {
			return nil, errorf("'%s' needs a string and a pattern, not '%s' and '%s'", n.op, typeName(l), typeName(r))
		}
		re, err := e.regexp(rs)
		if err != nil {
			return nil, err
		}
		return re.MatchString(ls) == (n.op == "=~"), nil
	case "in":
		return contains(l, r)
	case "not in":
		v, err := contains(l, r)
		if err != nil {
			return nil, err
		}
		return !v.(bool), nil
	case "+":
		return add(l, r)
	case "-":
		return sub(l, r)
	case "*":
		return mul(l, r)
	case "/":
		if e.lang == langYAQL {
			return yaqlDiv(l, r)
		}
		return trueDiv(l, r)
	case "//":
		return floorDiv(l, r)
	case "mod", "%":
		return mod(n.op, l, r)
	case "**":
		return pow(l, r)
	case "~":
		s := Str(l) + Str(r)
		if len(s) > maxStringLen {
			return nil, errorf("string too long")
		}
		return s, nil
	}
	return nil, errorf("internal error: unknown operator %q", n.op)
}

// args evaluates a call's arguments. Keyword arguments (`k => v`, Jinja
// `k=v`) go to the position of the parameter they name, after the
// positional ones, as in Python; parameters left out are null.
func (e *evaluator) args(fn string, nodes []node) ([]any, error) {
	out := make([]any, 0, len(nodes))
	var names []string
	positional := -1 // how many came before the first keyword argument
	var named uint64 // the parameters given by keyword, by position
	for _, a := range nodes {
		p, ok := a.(pairNode)
		if !ok {
			if positional >= 0 {
				return nil, errorf("%s(): a positional argument follows a keyword argument", fn)
			}
			v, err := e.eval(a)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
			continue
		}
		if positional < 0 {
			if names = e.params(fn); names == nil {
				return nil, errorf("%s() does not take key => value arguments", fn)
			}
			positional = len(out)
		}
		key, ok := keywordName(p.key)
		if !ok {
			return nil, errorf("%s(): a keyword argument needs a name before \"=>\"", fn)
		}
		i := e.paramIndex(names, key)
		switch {
		case i < 0:
			return nil, errorf("%s() has no parameter '%s' (parameters: %s)", fn, key, strings.Join(e.paramNames(names), ", "))
		case i < positional || named&(1<<i) != 0:
			return nil, errorf("%s() got two values for '%s'", fn, key)
		}
		v, err := e.eval(p.val)
		if err != nil {
			return nil, err
		}
		for len(out) <= i {
			out = append(out, nil)
		}
		out[i] = v
		named |= 1 << i
	}
	return out, nil
}

// params returns the parameter names of a caller's Func or a built-in,
// nil when it takes none by keyword.
func (e *evaluator) params(fn string) []string {
	if _, ok := e.ctx.fn(fn); ok {
		return e.ctx.Params[fn]
	}
	return builtinParams[fn]
}

// paramIndex finds the parameter a keyword argument names. YAQL spells
// Python's parameter names in camelCase (workflowExecutionId, taskName),
// as Mistral's YAQL does; the Python names are accepted there too, as
// Sirocco always did. Jinja takes the Python names only.
func (e *evaluator) paramIndex(names []string, key string) int {
	if i := slices.Index(names, key); i >= 0 || e.lang != langYAQL {
		return i
	}
	for i, n := range names {
		if camelCase(n) == key {
			return i
		}
	}
	return -1
}

// paramNames are the names a message offers: camelCase in YAQL.
func (e *evaluator) paramNames(names []string) []string {
	if e.lang != langYAQL {
		return names
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = camelCase(n)
	}
	return out
}

// camelCase is YAQL's spelling of a Python name: workflow_execution_id
// is workflowExecutionId.
func camelCase(name string) string {
	if !strings.Contains(name, "_") {
		return name
	}
	var b strings.Builder
	up := false
	for _, r := range name {
		switch {
		case r == '_' && b.Len() > 0:
			up = true
		case up:
			b.WriteString(strings.ToUpper(string(r)))
			up = false
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// keywordName is the name of a keyword argument: a bare name (YAQL
// `state => x`, Jinja `state=x`) or a string (`'state' => x`).
func keywordName(n node) (string, bool) {
	switch k := n.(type) {
	case identNode:
		return k.name, true
	case litNode:
		s, ok := k.val.(string)
		return s, ok
	}
	return "", false
}

// call is name(args): the caller's Funcs first, then special forms (which
// see their arguments unevaluated), then built-ins.
func (e *evaluator) call(name string, nodes []node) (any, error) {
	if _, ok := e.ctx.fn(name); !ok {
		if sf, ok := specialForms[name]; ok {
			return sf(e, nodes)
		}
	}
	vals, err := e.args(name, nodes)
	if err != nil {
		return nil, err
	}
	return e.apply(name, vals)
}

// method is recv.name(args): lambda methods get their arguments
// unevaluated; any other method is the function name(recv, args...).
func (e *evaluator) method(recv any, name string, nodes []node) (any, error) {
	if _, ok := e.ctx.fn(name); !ok {
		if lm, ok := lambdaMethods[name]; ok {
			return lm(e, recv, nodes)
		}
	}
	vals, err := e.args(name, nodes)
	if err != nil {
		return nil, err
	}
	return e.apply(name, append([]any{recv}, vals...))
}

// apply calls a Func or a built-in with evaluated arguments.
func (e *evaluator) apply(name string, vals []any) (any, error) {
	if f, ok := e.ctx.fn(name); ok && f != nil {
		v, err := f(vals...)
		if err != nil {
			var ee *evalError
			if errors.As(err, &ee) {
				return nil, err
			}
			return nil, &evalError{msg: err.Error(), err: err}
		}
		n, err := jsonvalue.Normalize(v)
		if err != nil {
			return nil, errorf("%s() returned an unusable value: %v", name, err)
		}
		return n, nil
	}
	if b, ok := builtins[name]; ok {
		return e.chargeSize(b(e, vals))
	}
	return nil, errorf("unknown function \"%s\"", name)
}
