package expr

// node is an expression tree node. The evaluator switches on the concrete
// type; lambdas (the arguments of select, where, ...) are simply nodes that
// are evaluated later with a different `$`.
type node interface{}

type (
	// litNode is a literal value.
	litNode struct{ val any }
	// dataNode is `$` in YAQL or `_` in Jinja: the current data.
	dataNode struct{}
	// varNode is a YAQL `$name` variable.
	varNode struct{ name string }
	// identNode is a bare identifier used as a value: a string in YAQL
	// (task(t1)), a template variable in Jinja.
	identNode struct{ name string }
	// undefNode is Jinja's value for `a if false` without else.
	undefNode struct{}
	// listNode is [a, b] (and a Jinja tuple).
	listNode struct{ items []node }
	// dictNode is {k => v} in YAQL or {k: v} in Jinja.
	dictNode struct{ keys, vals []node }
	// attrNode is x.name.
	attrNode struct {
		x    node
		name string
	}
	// indexNode is x[i].
	indexNode struct{ x, idx node }
	// callNode is name(args).
	callNode struct {
		name string
		args []node
	}
	// methodNode is recv.name(args).
	methodNode struct {
		recv node
		name string
		args []node
	}
	// pairNode is `k => v` (YAQL) or `k=v` (Jinja keyword argument), only
	// valid as a call argument.
	pairNode struct{ key, val node }
	// unaryNode is -x, +x or not x.
	unaryNode struct {
		op string
		x  node
	}
	// binaryNode is l op r, including and/or (short-circuit).
	binaryNode struct {
		op   string
		l, r node
	}
	// condNode is Jinja's `then if cond else els`.
	condNode struct{ cond, then, els node }
	// filterNode is Jinja's x | name(args).
	filterNode struct {
		x    node
		name string
		args []node
	}
	// testNode is Jinja's x is [not] name(args).
	testNode struct {
		x      node
		name   string
		args   []node
		negate bool
	}
)
