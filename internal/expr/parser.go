package expr

// The parser is a Pratt (top-down operator precedence) parser shared by both
// languages; the binding-power tables differ.

// maxDepth bounds nesting so that hostile input cannot exhaust the stack.
const maxDepth = 200

// Binding powers, loosest first.
const (
	bpCond    = 5  // Jinja: a if c else b
	bpOr      = 10 // or
	bpAnd     = 20 // and
	bpNot     = 30 // not x (prefix)
	bpCompare = 40 // = == != < > <= >= in, not in
	bpAdd     = 50 // + -
	bpConcat  = 55 // Jinja ~
	bpMul     = 60 // * / mod (YAQL), * / // % (Jinja)
	bpPow     = 68 // Jinja **
	bpUnary   = 70 // -x +x
	bpFilter  = 75 // Jinja | and is
	bpPostfix = 80 // . [ (
)

// parser holds the token stream of one expression.
type parser struct {
	toks  []token
	p     int
	lang  lang
	depth int
}

// parse turns the source of one expression into a tree.
func parse(src string, l lang) (node, error) {
	toks, err := lex(src, l)
	if err != nil {
		return nil, err
	}
	if toks[0].kind == tokEOF {
		return nil, errorf("empty expression")
	}
	p := &parser{toks: toks, lang: l}
	n, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, errorf("unexpected %s at position %d", t, t.pos)
	}
	return n, nil
}

func (p *parser) peek() token { return p.toks[p.p] }

func (p *parser) peekAt(k int) token {
	if p.p+k < len(p.toks) {
		return p.toks[p.p+k]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() token {
	t := p.toks[p.p]
	if t.kind != tokEOF {
		p.p++
	}
	return t
}

func (p *parser) isOp(s string) bool {
	t := p.peek()
	return t.kind == tokOp && t.text == s
}

func (p *parser) expect(s string) error {
	t := p.next()
	if t.kind != tokOp || t.text != s {
		return errorf("expected %q but found %s at position %d", s, t, t.pos)
	}
	return nil
}

// expr parses an expression whose operators bind tighter than minBP.
func (p *parser) expr(minBP int) (node, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, errorf("expression is nested too deeply")
	}
	left, err := p.nud()
	if err != nil {
		return nil, err
	}
	for p.lbp() > minBP {
		if left, err = p.led(left); err != nil {
			return nil, err
		}
	}
	return left, nil
}

// lbp is the left binding power of the next token.
func (p *parser) lbp() int {
	t := p.peek()
	switch t.kind {
	case tokOp:
		switch t.text {
		case ".", "[", "(":
			return bpPostfix
		case "+", "-":
			return bpAdd
		case "*", "/":
			return bpMul
		case "==", "!=", "<", ">", "<=", ">=":
			return bpCompare
		case "=", "=~", "!~":
			if p.lang == langYAQL {
				return bpCompare
			}
		case "~":
			if p.lang == langJinja {
				return bpConcat
			}
		case "//", "%":
			if p.lang == langJinja {
				return bpMul
			}
		case "**":
			if p.lang == langJinja {
				return bpPow
			}
		case "|":
			if p.lang == langJinja {
				return bpFilter
			}
		}
	case tokIdent:
		switch t.text {
		case "or":
			return bpOr
		case "and":
			return bpAnd
		case "in":
			return bpCompare
		case "mod":
			if p.lang == langYAQL {
				return bpMul
			}
		case "not":
			if p.lang == langJinja && p.peekAt(1).kind == tokIdent && p.peekAt(1).text == "in" {
				return bpCompare
			}
		case "is":
			if p.lang == langJinja {
				return bpFilter
			}
		case "if":
			if p.lang == langJinja {
				return bpCond
			}
		}
	}
	return 0
}

// nud parses a prefix position: literals, names, calls, unary operators,
// parentheses, list and dict literals.
func (p *parser) nud() (node, error) {
	t := p.next()
	switch t.kind {
	case tokInt, tokFloat, tokString:
		return litNode{t.val}, nil
	case tokDollar:
		if t.text == "" {
			return dataNode{}, nil
		}
		return varNode{t.text}, nil
	case tokIdent:
		return p.name(t)
	case tokOp:
		switch t.text {
		case "-", "+":
			x, err := p.expr(bpUnary)
			if err != nil {
				return nil, err
			}
			return unaryNode{op: t.text, x: x}, nil
		case "(":
			return p.paren()
		case "[":
			items, err := p.list("]")
			if err != nil {
				return nil, err
			}
			return listNode{items}, nil
		case "{":
			return p.dict()
		}
	}
	return nil, errorf("unexpected %s at position %d", t, t.pos)
}

// name parses an identifier in prefix position.
func (p *parser) name(t token) (node, error) {
	switch t.text {
	case "not":
		x, err := p.expr(bpNot)
		if err != nil {
			return nil, err
		}
		return unaryNode{op: "not", x: x}, nil
	case "true":
		return litNode{true}, nil
	case "false":
		return litNode{false}, nil
	case "null":
		if p.lang == langYAQL {
			return litNode{nil}, nil
		}
	case "True":
		if p.lang == langJinja {
			return litNode{true}, nil
		}
	case "False":
		if p.lang == langJinja {
			return litNode{false}, nil
		}
	case "None", "none":
		if p.lang == langJinja {
			return litNode{nil}, nil
		}
	case "_":
		if p.lang == langJinja {
			return dataNode{}, nil
		}
	}
	if p.isOp("(") {
		p.next()
		args, err := p.args()
		if err != nil {
			return nil, err
		}
		return callNode{name: t.text, args: args}, nil
	}
	return identNode{t.text}, nil
}

// paren parses a parenthesised expression (or a Jinja tuple, as a list).
func (p *parser) paren() (node, error) {
	if p.lang == langJinja && p.isOp(")") {
		p.next()
		return listNode{}, nil
	}
	x, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	if p.lang == langJinja && p.isOp(",") {
		p.next()
		rest, err := p.list(")")
		if err != nil {
			return nil, err
		}
		return listNode{append([]node{x}, rest...)}, nil
	}
	if err := p.expect(")"); err != nil {
		return nil, err
	}
	return x, nil
}

// list parses comma-separated expressions up to the closing token, which
// it consumes; a trailing comma is allowed.
func (p *parser) list(closer string) ([]node, error) {
	var items []node
	for !p.isOp(closer) {
		x, err := p.expr(0)
		if err != nil {
			return nil, err
		}
		items = append(items, x)
		if !p.isOp(",") {
			break
		}
		p.next()
	}
	return items, p.expect(closer)
}

// dict parses {k => v, ...} (YAQL) or {k: v, ...} (Jinja); either
// separator is accepted in both.
func (p *parser) dict() (node, error) {
	var d dictNode
	for !p.isOp("}") {
		k, err := p.expr(0)
		if err != nil {
			return nil, err
		}
		if !p.isOp("=>") && !p.isOp(":") {
			t := p.peek()
			return nil, errorf("expected \"=>\" or \":\" in dict literal but found %s at position %d", t, t.pos)
		}
		p.next()
		v, err := p.expr(0)
		if err != nil {
			return nil, err
		}
		d.keys = append(d.keys, k)
		d.vals = append(d.vals, v)
		if !p.isOp(",") {
			break
		}
		p.next()
	}
	return d, p.expect("}")
}

// args parses call arguments after "(", including `k => v` (YAQL) and
// `k=v` (Jinja keyword) pairs.
func (p *parser) args() ([]node, error) {
	var args []node
	for !p.isOp(")") {
		var arg node
		if p.lang == langJinja && p.peek().kind == tokIdent && p.peekAt(1).kind == tokOp && p.peekAt(1).text == "=" {
			key := p.next()
			p.next()
			v, err := p.expr(0)
			if err != nil {
				return nil, err
			}
			arg = pairNode{key: litNode{key.text}, val: v}
		} else {
			x, err := p.expr(0)
			if err != nil {
				return nil, err
			}
			arg = x
			if p.isOp("=>") {
				p.next()
				v, err := p.expr(0)
				if err != nil {
					return nil, err
				}
				arg = pairNode{key: x, val: v}
			}
		}
		args = append(args, arg)
		if !p.isOp(",") {
			break
		}
		p.next()
	}
	return args, p.expect(")")
}

// led parses an infix or postfix position with left already parsed.
func (p *parser) led(left node) (node, error) {
	t := p.next()
	if t.kind == tokIdent {
		switch t.text {
		case "if":
			return p.cond(left)
		case "is":
			return p.test(left)
		case "not": // "not in", checked by lbp
			p.next()
			r, err := p.expr(bpCompare)
			if err != nil {
				return nil, err
			}
			return binaryNode{op: "not in", l: left, r: r}, nil
		}
		r, err := p.expr(p.bpOf(t))
		if err != nil {
			return nil, err
		}
		return binaryNode{op: t.text, l: left, r: r}, nil
	}
	switch t.text {
	case ".":
		n := p.next()
		if n.kind != tokIdent {
			return nil, errorf("expected a name after \".\" but found %s at position %d", n, n.pos)
		}
		if p.isOp("(") {
			p.next()
			args, err := p.args()
			if err != nil {
				return nil, err
			}
			return methodNode{recv: left, name: n.text, args: args}, nil
		}
		return attrNode{x: left, name: n.text}, nil
	case "[":
		idx, err := p.expr(0)
		if err != nil {
			return nil, err
		}
		if err := p.expect("]"); err != nil {
			return nil, err
		}
		return indexNode{x: left, idx: idx}, nil
	case "(":
		return nil, errorf("unexpected \"(\" at position %d: only named functions can be called", t.pos)
	case "|":
		n := p.next()
		if n.kind != tokIdent {
			return nil, errorf("expected a filter name after \"|\" but found %s at position %d", n, n.pos)
		}
		f := filterNode{x: left, name: n.text}
		if p.isOp("(") {
			p.next()
			args, err := p.args()
			if err != nil {
				return nil, err
			}
			f.args = args
		}
		return f, nil
	case "**":
		r, err := p.expr(bpPow - 1) // right associative
		if err != nil {
			return nil, err
		}
		return binaryNode{op: t.text, l: left, r: r}, nil
	}
	r, err := p.expr(p.bpOf(t))
	if err != nil {
		return nil, err
	}
	op := t.text
	if op == "==" {
		op = "="
	}
	return binaryNode{op: op, l: left, r: r}, nil
}

// bpOf returns the binding power of an infix token just consumed.
func (p *parser) bpOf(t token) int {
	p.p--
	bp := p.lbp()
	p.p++
	return bp
}

// cond parses Jinja's `then if cond [else els]`.
func (p *parser) cond(then node) (node, error) {
	c, err := p.expr(bpCond)
	if err != nil {
		return nil, err
	}
	var els node = undefNode{}
	if t := p.peek(); t.kind == tokIdent && t.text == "else" {
		p.next()
		if els, err = p.expr(bpCond - 1); err != nil {
			return nil, err
		}
	}
	return condNode{cond: c, then: then, els: els}, nil
}

// test parses Jinja's `x is [not] name[(args)]`.
func (p *parser) test(x node) (node, error) {
	tn := testNode{x: x}
	if t := p.peek(); t.kind == tokIdent && t.text == "not" {
		p.next()
		tn.negate = true
	}
	n := p.next()
	if n.kind != tokIdent {
		return nil, errorf("expected a test name after \"is\" but found %s at position %d", n, n.pos)
	}
	tn.name = n.text
	if p.isOp("(") {
		p.next()
		args, err := p.args()
		if err != nil {
			return nil, err
		}
		tn.args = args
	}
	return tn, nil
}
