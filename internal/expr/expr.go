// Package expr evaluates Mistral workflow expressions: the YAQL subset
// (<% ... %>) and the Jinja subset ({{ ... }}) that workflows use, with
// Mistral's rule that a string consisting of one expression yields a typed
// value while any other string is interpolated with Python's str().
//
// Values are canonical JSON-like Go values throughout: nil, bool, int64,
// float64, string, []any and *jsonvalue.Object (whose keys keep their
// insertion order; a caller may also pass Go maps). Integers and floats are kept
// apart because Mistral follows Python (7 / 2 is 3, 2.5 * 2 is 5.0), and the
// package also holds the JSON codec the server uses so that values print as
// Python would print them.
//
// Each expression is lexed, parsed by a Pratt parser into a small tree and
// evaluated; YAQL and Jinja share the machinery and differ in their
// operator tables and in how missing values behave.
package expr

import (
	"errors"
	"fmt"
	"github.com/sirocco-project/sirocco/internal/jsonvalue"
	"strings"
)

// Func is a function supplied by the caller (task, tasks, execution, env,
// global ...). Arguments are canonical values; the result is normalized.
type Func func(args ...any) (any, error)

// Context is what an expression can see.
type Context struct {
	// Data is `$` in YAQL and `_` in Jinja: the task's data context,
	// usually a map[string]any.
	Data any
	// Funcs are functions callable by name; they override built-ins of the
	// same name.
	Funcs FuncSet
	// Params names the parameters of Funcs in order, so that a call may
	// pass them by keyword: `tasks(state => 'ERROR')`, `{{ task(task_name='a') }}`.
	Params map[string][]string
}

// FuncSet finds a caller's function by name.
type FuncSet interface {
	Func(name string) (Func, bool)
}

// FuncMap is a FuncSet held in a map.
type FuncMap map[string]Func

// Func returns the function called name.
func (m FuncMap) Func(name string) (Func, bool) {
	f, ok := m[name]
	return f, ok
}

// fn looks name up in the caller's functions, if any.
func (c *Context) fn(name string) (Func, bool) {
	if c.Funcs == nil {
		return nil, false
	}
	return c.Funcs.Func(name)
}

// Eval walks v recursively (map values, list items, strings) and evaluates
// every expression found in strings. Non-string scalars and map keys are
// returned unchanged; the input is not modified.
func Eval(v any, ctx *Context) (out any, err error) {
	defer recoverPanic("", &err)
	if ctx == nil {
		ctx = &Context{}
	}
	return evalValue(v, ctx, 0)
}

func evalValue(v any, ctx *Context, depth int) (any, error) {
	if depth > maxNesting {
		return nil, &Error{Msg: "value is nested too deeply"}
	}
	switch x := canon(v).(type) {
	case string:
		return EvalString(x, ctx)
	case []any:
		out := make([]any, len(x))
		for i, it := range x {
			r, err := evalValue(it, ctx, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case *jsonvalue.Object, map[string]any:
		o, _ := asDict(x)
		out := jsonvalue.NewObject(o.Len())
		for _, m := range o.Members() {
			r, err := evalValue(m.Value, ctx, depth+1)
			if err != nil {
				return nil, err
			}
			out.Set(m.Key, r)
		}
		return out, nil
	default:
		return x, nil
	}
}

// EvalString evaluates the expressions in s. If s (trimmed of surrounding
// whitespace) is exactly one expression, its typed result is returned;
// otherwise each expression is replaced by Str of its value and the
// resulting string is returned — for Jinja, by rendering s as a Jinja2
// template, statements ({% %}), comments and whitespace control included.
// A string without expressions comes back as is.
func EvalString(s string, ctx *Context) (out any, err error) {
	defer recoverPanic(s, &err)
	if ctx == nil {
		ctx = &Context{}
	}
	segs := splitSegments(s)
	if err := checkMixed(s, segs); err != nil {
		return nil, err
	}
	if i, ok := whole(segs); ok {
		return evalSegment(segs[i], ctx, true)
	}
	if !hasExpr(segs) {
		return s, nil
	}
	if isJinja(segs) {
		return renderTemplate(s, ctx)
	}
	var b strings.Builder
	for _, sg := range segs {
		if sg.lang == langText {
			b.WriteString(sg.text)
			continue
		}
		v, err := evalSegment(sg, ctx, false)
		if err != nil {
			return nil, err
		}
		b.WriteString(Str(v))
	}
	return b.String(), nil
}

// Contains reports whether s holds an expression (<% %>, {{ }} or a Jinja
// statement {% %}).
func Contains(s string) bool {
	if !strings.Contains(s, "<%") && !strings.Contains(s, "{{") && !strings.Contains(s, "{%") {
		return false
	}
	return hasExpr(splitSegments(s))
}

// Check parses, without evaluating, every expression in s. It reports
// syntax errors and strings that mix YAQL and Jinja.
func Check(s string) (err error) {
	defer recoverPanic(s, &err)
	segs := splitSegments(s)
	if err := checkMixed(s, segs); err != nil {
		return err
	}
	if _, ok := whole(segs); !ok && isJinja(segs) {
		_, err := parseTemplate(s)
		return err
	}
	for _, sg := range segs {
		if sg.lang == langText {
			continue
		}
		if _, err := parseSegment(sg); err != nil {
			return err
		}
	}
	return nil
}

// isJinja reports whether segs hold Jinja: such a string, unless it is one
// expression, is rendered as a Jinja2 template (a string), as Mistral does.
func isJinja(segs []segment) bool {
	for _, sg := range segs {
		if sg.lang == langJinja || sg.lang == langStmt {
			return true
		}
	}
	return false
}

func hasExpr(segs []segment) bool {
	for _, sg := range segs {
		if sg.lang != langText {
			return true
		}
	}
	return false
}

// checkMixed refuses YAQL and Jinja in the same string, as Mistral does.
func checkMixed(s string, segs []segment) error {
	var yaql, jinja bool
	for _, sg := range segs {
		switch sg.lang {
		case langYAQL:
			yaql = true
		case langJinja, langStmt:
			jinja = true
		}
	}
	if yaql && jinja {
		return &Error{Expr: s, Msg: "Mixing expression types in a single line is not allowed"}
	}
	return nil
}

// parseSegment parses one expression, reporting errors as *Error.
func parseSegment(sg segment) (node, error) {
	src := strings.TrimSpace(sg.text)
	n, err := parse(src, sg.lang)
	if err != nil {
		return nil, &Error{Expr: src, Lang: sg.lang.String(), Parse: true, Msg: err.Error()}
	}
	return n, nil
}

// evalSegment evaluates one expression. typed says whether the result is
// the whole string's value, in which case a Jinja undefined becomes null
// rather than an error.
func evalSegment(sg segment, ctx *Context, typed bool) (any, error) {
	n, err := parseSegment(sg)
	if err != nil {
		return nil, err
	}
	v, err := newEvaluator(ctx, sg.lang).evalRaw(n)
	if err == nil {
		if u, ok := v.(undefined); ok {
			if typed {
				return nil, nil
			}
			err = errorf("%s", u.msg)
		}
	}
	if err != nil {
		return nil, evalFailure(strings.TrimSpace(sg.text), sg.lang, err, ctx)
	}
	return v, nil
}

// evalFailure turns an error raised while evaluating src into an *Error
// that carries the data context and the caller's underlying error.
func evalFailure(src string, l lang, err error, ctx *Context) *Error {
	e := &Error{Expr: src, Lang: l.String(), Msg: err.Error(), Data: ctx.Data}
	var ee *evalError
	if errors.As(err, &ee) {
		e.Err = ee.err
	}
	return e
}

// recoverPanic turns a panic into an *Error. The evaluator is meant to be
// total; this is the last line of defence for a long-running server.
func recoverPanic(s string, err *error) {
	if r := recover(); r != nil {
		*err = &Error{Expr: s, Msg: fmt.Sprintf("internal error: %v", r)}
	}
}
