package expr

import (
	"github.com/sirocco-project/sirocco/internal/jsonvalue"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Jinja templates. A string holding Jinja that is not exactly one {{ }}
// expression is, in Mistral, rendered by Jinja2 as a template in a sandboxed
// environment with trim_blocks, lstrip_blocks and StrictUndefined: the
// result is always a string. This file lexes such a string the way Jinja2's
// lexer does (whitespace control included), parses the statements Sirocco
// supports — if/elif/else, for/else, set — and renders the tree with the
// expression evaluator. Each {{ }} is rendered with Str, as Jinja2 renders
// with Python's str(). The whole rendering shares one step budget
// (maxSteps) and its output is bounded by maxStringLen.

// ttKind classifies template tokens.
type ttKind int

const (
	ttText   ttKind = iota // literal text, whitespace control already applied
	ttOutput               // {{ ... }}
	ttStmt                 // {% ... %}
)

// ttok is one template token: literal text, or a tag's source without its
// delimiters and whitespace-control signs.
type ttok struct {
	kind ttKind
	text string
}

// normalizeTemplate does what Jinja2's lexer does to a template's source
// before anything else: every line break becomes "\n" and one trailing line
// break is dropped (keep_trailing_newline is off in Mistral).
func normalizeTemplate(s string) string {
	if strings.IndexByte(s, '\r') >= 0 {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\r", "\n")
	}
	return strings.TrimSuffix(s, "\n")
}

// pyIsSpace is Python's str.isspace for one character, which is what the
// regular expression \s and str.rstrip() use in Jinja2's lexer. It differs
// from unicode.IsSpace by the separators U+001C..U+001F.
func pyIsSpace(r rune) bool {
	return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f
}

// lexTemplate cuts a (normalized) template into tokens, applying Jinja2's
// whitespace control with Mistral's settings:
//   - "{%-", "{{-", "{#-" strip all whitespace before the tag, "-%}", "-}}",
//     "-#}" all whitespace after it;
//   - lstrip_blocks: spaces and tabs between the start of a line and a block
//     or comment tag are removed, unless the tag opens with "+";
//   - trim_blocks: the first newline after a block or comment tag is
//     removed, unless the tag closes with "+".
//
// An opener without its closer is a syntax error, as in Jinja2.
func lexTemplate(s string) ([]ttok, error) {
	var toks []ttok
	pos := 0
	lineStarting := true // the previous tag's match ended a line
	for {
		i := nextTag(s, pos)
		if i < 0 {
			if pos < len(s) {
				toks = append(toks, ttok{kind: ttText, text: s[pos:]})
			}
			return toks, nil
		}
		opener := s[i+1] // '{', '%' or '#'
		text := s[pos:i]
		j := i + 2
		var sign byte
		if j < len(s) && (s[j] == '-' || s[j] == '+') {
			sign = s[j]
			j++
		}
		switch {
		case sign == '-':
			text = strings.TrimRightFunc(text, pyIsSpace)
		case sign != '+' && opener != '{':
			// lstrip_blocks: only whitespace between the line start and the tag.
			l := strings.LastIndexByte(text, '\n') + 1
			if (l > 0 || lineStarting) && l < len(text) && strings.TrimLeftFunc(text[l:], pyIsSpace) == "" {
				text = text[:l]
			}
		}
		if text != "" {
			toks = append(toks, ttok{kind: ttText, text: text})
		}
		var body string
		var end int // index of the closer
		switch opener {
		case '#':
			k := strings.Index(s[j:], "#}")
			if k < 0 {
				return nil, templateError(s, "Missing end of comment tag")
			}
			end = j + k
			body = s[j:end]
		case '{':
			if end = findClose(s, j, langJinja); end < 0 {
				return nil, templateError(s, "unexpected end of template: '{{' is not closed by '}}'")
			}
			body = s[j:end]
		default:
			if end = findClose(s, j, langStmt); end < 0 {
				return nil, templateError(s, "unexpected end of template: '{%' is not closed by '%}'")
			}
			body = s[j:end]
		}
		after := end + 2
		var closeSign byte
		if len(body) > 0 && (body[len(body)-1] == '-' || body[len(body)-1] == '+' && opener != '{') {
			closeSign = body[len(body)-1]
			body = body[:len(body)-1]
		}
		switch {
		case closeSign == '-':
			for after < len(s) {
				r, size := utf8.DecodeRuneInString(s[after:])
				if !pyIsSpace(r) {
					break
				}
				after += size
			}
		case closeSign != '+' && opener != '{' && after < len(s) && s[after] == '\n':
			after++ // trim_blocks
		}
		lineStarting = s[after-1] == '\n'
		pos = after
		switch opener {
		case '{':
			toks = append(toks, ttok{kind: ttOutput, text: body})
		case '%':
			toks = append(toks, ttok{kind: ttStmt, text: body})
		}
	}
}

// nextTag returns the index of the next "{{", "{%" or "{#" at or after
// pos, or -1.
func nextTag(s string, pos int) int {
	for {
		k := strings.IndexByte(s[pos:], '{')
		if k < 0 || pos+k+1 >= len(s) {
			return -1
		}
		i := pos + k
		switch s[i+1] {
		case '{', '%', '#':
			return i
		}
		pos = i + 1
	}
}

// templateError is a syntax error about the template as a whole.
func templateError(s, msg string) *Error {
	return &Error{Expr: s, Lang: "Jinja", Parse: true, Msg: msg}
}

// tagError is a syntax error in one {% %} tag.
func tagError(src, msg string) *Error {
	return &Error{Expr: "{% " + strings.TrimSpace(src) + " %}", Lang: "Jinja", Parse: true, Msg: msg}
}

// Template tree.
type (
	tmplNode interface{}
	// textNode is literal text.
	textNode struct{ s string }
	// outputNode is {{ x }}.
	outputNode struct {
		src string
		x   node
	}
	// ifNode is if/elif.../else/endif: conds[i] selects bodies[i].
	ifNode struct {
		srcs   []string
		conds  []node
		bodies [][]tmplNode
		els    []tmplNode
	}
	// forNode is for targets in iter [if filter] ... [else ...] endfor.
	forNode struct {
		src       string
		targets   []string
		iter      node
		filter    node // nil without "if"
		body, els []tmplNode
	}
	// setNode is set targets = x.
	setNode struct {
		src     string
		targets []string
		x       node
	}
)

// unsupportedTags are Jinja2 statements Sirocco recognises but does not
// implement; they get a clearer error than an unknown tag.
var unsupportedTags = map[string]bool{
	"macro": true, "call": true, "filter": true, "block": true, "extends": true,
	"include": true, "import": true, "from": true, "raw": true, "with": true,
	"autoescape": true, "endset": true, "do": true, "break": true, "continue": true,
	"trans": true, "print": true, "endmacro": true, "endcall": true, "endfilter": true,
	"endblock": true, "endraw": true, "endwith": true, "endautoescape": true,
}

// tmplParser parses template tokens into a tree.
type tmplParser struct {
	src   string // the whole template, for errors at its end
	toks  []ttok
	p     int
	depth int // open blocks
	loops int // open for loops
}

// parseTemplate lexes and parses a template; errors are *Error with Parse
// set.
func parseTemplate(s string) ([]tmplNode, error) {
	toks, err := lexTemplate(normalizeTemplate(s))
	if err != nil {
		return nil, err
	}
	tp := &tmplParser{src: s, toks: toks}
	nodes, _, _, err := tp.body("", nil)
	return nodes, err
}

// body parses nodes up to one of the tags in ends, which it consumes and
// returns with the rest of its source; block names the innermost open
// block, for messages. At the top level ends is empty and body stops at
// the end of the template.
func (tp *tmplParser) body(block string, ends []string) ([]tmplNode, string, string, error) {
	var nodes []tmplNode
	for tp.p < len(tp.toks) {
		t := tp.toks[tp.p]
		tp.p++
		switch t.kind {
		case ttText:
			nodes = append(nodes, textNode{t.text})
			continue
		case ttOutput:
			src := strings.TrimSpace(t.text)
			n, err := parse(src, langJinja)
			if err != nil {
				return nil, "", "", &Error{Expr: src, Lang: "Jinja", Parse: true, Msg: err.Error()}
			}
			nodes = append(nodes, outputNode{src: src, x: n})
			continue
		}
		name, rest := splitTag(t.text)
		if name == "" {
			return nil, "", "", tagError(t.text, "tag name expected")
		}
		for _, e := range ends {
			if name == e {
				return nodes, name, rest, nil
			}
		}
		var n tmplNode
		var err error
		switch name {
		case "if":
			n, err = tp.parseIf(t.text, rest)
		case "for":
			n, err = tp.parseFor(t.text, rest)
		case "set":
			n, err = tp.parseSet(t.text, rest)
		default:
			msg := "Encountered unknown tag '" + name + "'."
			if unsupportedTags[name] {
				msg = "Jinja statement '" + name + "' is not supported (supported: if, elif, else, for, set)."
			}
			if block != "" {
				msg += " Jinja was looking for the following tags: " + quoteTags(ends) +
					". The innermost block that needs to be closed is '" + block + "'."
			}
			return nil, "", "", tagError(t.text, msg)
		}
		if err != nil {
			return nil, "", "", err
		}
		nodes = append(nodes, n)
	}
	if block != "" {
		return nil, "", "", templateError(tp.src, "Unexpected end of template. Jinja was looking for the following tags: "+
			quoteTags(ends)+". The innermost block that needs to be closed is '"+block+"'.")
	}
	return nodes, "", "", nil
}

func quoteTags(tags []string) string {
	q := make([]string, len(tags))
	for i, t := range tags {
		q[i] = "'" + t + "'"
	}
	return strings.Join(q, " or ")
}

// splitTag splits a tag's source into its name and the rest.
func splitTag(src string) (string, string) {
	s := strings.TrimLeftFunc(src, pyIsSpace)
	i := 0
	for i < len(s) && (s[i] == '_' || s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z' || i > 0 && s[i] >= '0' && s[i] <= '9') {
		i++
	}
	return s[:i], strings.TrimSpace(s[i:])
}

// open enters a block, bounding how deeply blocks nest.
func (tp *tmplParser) open(src string) error {
	tp.depth++
	if tp.depth > maxDepth {
		return tagError(src, "statements are nested too deeply")
	}
	return nil
}

// noRest rejects anything after an else or end tag.
// elseBody reads a block's else part, up to its closing tag (which must
// stand alone).
func (tp *tmplParser) elseBody(block, closing string) ([]tmplNode, error) {
	els, end, rest, err := tp.body(block, []string{closing})
	if err != nil {
		return nil, err
	}
	return els, noRest(end, rest)
}

func noRest(name, rest string) error {
	if rest != "" {
		return tagError(name+" "+rest, "unexpected '"+rest+"' after '"+name+"'")
	}
	return nil
}

// cond parses the expression of an if or elif.
func cond(name, src, rest string) (node, error) {
	if rest == "" {
		return nil, tagError(src, "'"+name+"' needs a condition")
	}
	n, err := parse(rest, langJinja)
	if err != nil {
		return nil, tagError(src, err.Error())
	}
	return n, nil
}

func (tp *tmplParser) parseIf(src, rest string) (tmplNode, error) {
	if err := tp.open(src); err != nil {
		return nil, err
	}
	defer func() { tp.depth-- }()
	var n ifNode
	for {
		c, err := cond("if", src, rest)
		if err != nil {
			return nil, err
		}
		body, end, endRest, err := tp.body("if", []string{"elif", "else", "endif"})
		if err != nil {
			return nil, err
		}
		n.srcs = append(n.srcs, strings.TrimSpace(src))
		n.conds = append(n.conds, c)
		n.bodies = append(n.bodies, body)
		switch end {
		case "elif":
			src, rest = "elif "+endRest, endRest
			continue
		case "else":
			if err := noRest(end, endRest); err != nil {
				return nil, err
			}
			els, err := tp.elseBody("if", "endif")
			if err != nil {
				return nil, err
			}
			n.els = els
			return n, nil
		}
		return n, noRest(end, endRest)
	}
}

// reservedNames cannot be assigned: they are literals or operators.
var reservedNames = map[string]bool{
	"true": true, "false": true, "none": true, "True": true, "False": true, "None": true,
	"and": true, "or": true, "not": true, "in": true, "is": true, "if": true, "else": true,
}

// targets parses assignment targets: "x", "a, b" or "(a, b)".
func (tp *tmplParser) targets(src string, toks []token) ([]string, error) {
	if len(toks) >= 2 && toks[0].kind == tokOp && toks[0].text == "(" && toks[len(toks)-1].kind == tokOp && toks[len(toks)-1].text == ")" {
		toks = toks[1 : len(toks)-1]
	}
	var names []string
	for i, t := range toks {
		if i%2 == 1 {
			if t.kind != tokOp || t.text != "," {
				return nil, tagError(src, "expected ',' between names but found "+t.String())
			}
			continue
		}
		if t.kind != tokIdent {
			return nil, tagError(src, "can't assign to "+t.String()+": expected a name")
		}
		if reservedNames[t.text] {
			return nil, tagError(src, "can't assign to '"+t.text+"'")
		}
		if t.text == "loop" && tp.loops > 0 {
			return nil, tagError(src, "Can't assign to special loop variable in for-loop target")
		}
		names = append(names, t.text)
	}
	if len(names) == 0 || len(toks)%2 == 0 {
		return nil, tagError(src, "expected a name to assign to")
	}
	return names, nil
}

// depth0 returns the index of the first
// token at bracket depth 0 for which match is true, or -1.
func depth0(toks []token, match func(token) bool) int {
	depth := 0
	for i, t := range toks {
		if t.kind == tokOp {
			switch t.text {
			case "(", "[", "{":
				depth++
			case ")", "]", "}":
				depth--
			}
		}
		if depth == 0 && match(t) {
			return i
		}
	}
	return -1
}

func isIdent(name string) func(token) bool {
	return func(t token) bool { return t.kind == tokIdent && t.text == name }
}

func (tp *tmplParser) parseFor(src, rest string) (tmplNode, error) {
	if err := tp.open(src); err != nil {
		return nil, err
	}
	defer func() { tp.depth-- }()
	toks, err := lex(rest, langJinja)
	if err != nil {
		return nil, tagError(src, err.Error())
	}
	toks = toks[:len(toks)-1] // EOF
	in := depth0(toks, isIdent("in"))
	if in < 0 {
		return nil, tagError(src, "'for' expects 'for <name> in <sequence>'")
	}
	tp.loops++
	defer func() { tp.loops-- }()
	n := forNode{src: strings.TrimSpace(src)}
	if n.targets, err = tp.targets(src, toks[:in]); err != nil {
		return nil, err
	}
	after := toks[in+1:]
	iterEnd := len(rest)
	if k := depth0(after, func(t token) bool { return t.kind == tokIdent && (t.text == "if" || t.text == "recursive") }); k >= 0 {
		if after[k].text == "recursive" {
			return nil, tagError(src, "recursive for loops are not supported")
		}
		iterEnd = after[k].pos
		f := strings.TrimSpace(rest[iterEnd+2:])
		if f == "" {
			return nil, tagError(src, "'if' in a for loop needs a condition")
		}
		if n.filter, err = parse(f, langJinja); err != nil {
			return nil, tagError(src, err.Error())
		}
	}
	iterSrc := strings.TrimSpace(rest[toks[in].pos+2 : iterEnd])
	if iterSrc == "" {
		return nil, tagError(src, "'for' needs a sequence after 'in'")
	}
	if n.iter, err = parse(iterSrc, langJinja); err != nil {
		return nil, tagError(src, err.Error())
	}
	body, end, endRest, err := tp.body("for", []string{"endfor", "else"})
	if err != nil {
		return nil, err
	}
	if err := noRest(end, endRest); err != nil {
		return nil, err
	}
	n.body = body
	if end == "else" {
		tp.loops-- // the else block runs outside the loop
		els, err := tp.elseBody("for", "endfor")
		tp.loops++
		if err != nil {
			return nil, err
		}
		n.els = els
	}
	return n, nil
}

func (tp *tmplParser) parseSet(src, rest string) (tmplNode, error) {
	toks, err := lex(rest, langJinja)
	if err != nil {
		return nil, tagError(src, err.Error())
	}
	toks = toks[:len(toks)-1]
	eq := depth0(toks, func(t token) bool { return t.kind == tokOp && t.text == "=" })
	if eq < 0 {
		return nil, tagError(src, "'set' expects 'set <name> = <expression>' (block assignments with endset are not supported)")
	}
	n := setNode{src: strings.TrimSpace(src)}
	if n.targets, err = tp.targets(src, toks[:eq]); err != nil {
		return nil, err
	}
	x := strings.TrimSpace(rest[toks[eq].pos+1:])
	if x == "" {
		return nil, tagError(src, "'set' needs an expression after '='")
	}
	if n.x, err = parse(x, langJinja); err != nil {
		return nil, tagError(src, err.Error())
	}
	return n, nil
}

// scope holds template variables. A for loop gives each iteration a fresh
// scope, so that, as in Jinja2, what a loop body sets is gone at the next
// iteration and after the loop; if blocks share their enclosing scope.
type scope struct {
	vars   map[string]any
	parent *scope
}

func (s *scope) lookup(name string) (any, bool) {
	for ; s != nil; s = s.parent {
		if v, ok := s.vars[name]; ok {
			return v, true
		}
	}
	return nil, false
}

// iterationCost is what one loop iteration charges to the step budget.
const iterationCost = 8

// renderer renders a template tree; ev carries the step budget shared by
// every expression and iteration.
type renderer struct {
	ctx *Context
	ev  *evaluator
	out strings.Builder
}

// renderTemplate renders s as a Jinja2 template.
func renderTemplate(s string, ctx *Context) (string, error) {
	nodes, err := parseTemplate(s)
	if err != nil {
		return "", err
	}
	r := &renderer{ctx: ctx, ev: newEvaluator(ctx, langJinja)}
	if err := r.run(nodes, &scope{vars: map[string]any{}}); err != nil {
		return "", err
	}
	return r.out.String(), nil
}

func (r *renderer) write(src, s string) error {
	if r.out.Len()+len(s) > maxStringLen {
		return r.fail(src, errorf("rendered template is longer than %d bytes", maxStringLen))
	}
	r.out.WriteString(s)
	return nil
}

// fail wraps a runtime error with the tag or expression it arose in.
func (r *renderer) fail(src string, err error) error {
	return evalFailure(src, langJinja, err, r.ctx)
}

// eval evaluates x in scope sc. Unless raw, an undefined result is an
// error (StrictUndefined fails when printed, tested or iterated).
func (r *renderer) eval(src string, x node, sc *scope, raw bool) (any, error) {
	ev := *r.ev
	ev.vars = sc
	v, err := ev.evalRaw(x)
	if err == nil && !raw {
		if u, ok := v.(undefined); ok {
			if !u.plain {
				err = errorf("%s", u.msg)
			}
		}
	}
	if err != nil {
		return nil, r.fail(src, err)
	}
	return v, nil
}

func (r *renderer) run(nodes []tmplNode, sc *scope) error {
	for _, n := range nodes {
		if err := r.ev.charge(1); err != nil {
			return r.fail("", err)
		}
		switch n := n.(type) {
		case textNode:
			if err := r.write("", n.s); err != nil {
				return err
			}
		case outputNode:
			v, err := r.eval(n.src, n.x, sc, false)
			if err != nil {
				return err
			}
			if _, ok := v.(undefined); ok {
				continue // a plain Undefined prints as ""
			}
			if err := r.write(n.src, Str(v)); err != nil {
				return err
			}
		case ifNode:
			body := n.els
			for i, c := range n.conds {
				v, err := r.eval(n.srcs[i], c, sc, false)
				if err != nil {
					return err
				}
				if truthy(v) {
					body = n.bodies[i]
					break
				}
			}
			if err := r.run(body, sc); err != nil {
				return err
			}
		case setNode:
			v, err := r.eval(n.src, n.x, sc, true)
			if err != nil {
				return err
			}
			vals, err := unpack(n.targets, v)
			if err != nil {
				return r.fail(n.src, err)
			}
			for i, t := range n.targets {
				sc.vars[t] = vals[i]
			}
		case forNode:
			if err := r.loop(n, sc); err != nil {
				return err
			}
		}
	}
	return nil
}

// loop runs a for loop: the sequence is evaluated in the enclosing scope,
// filtered by the loop's if, and each item gets a fresh scope holding the
// targets and `loop`.
func (r *renderer) loop(n forNode, sc *scope) error {
	seq, err := r.eval(n.src, n.iter, sc, false)
	if err != nil {
		return err
	}
	if _, ok := seq.(undefined); ok {
		seq = []any{} // a plain Undefined iterates as empty
	}
	items, err := iterable(seq)
	if err != nil {
		return r.fail(n.src, err)
	}
	if err := r.ev.charge(len(items)); err != nil {
		return r.fail(n.src, err)
	}
	bind := func(item any) (*scope, error) {
		vals, err := unpack(n.targets, item)
		if err != nil {
			return nil, r.fail(n.src, err)
		}
		inner := &scope{vars: make(map[string]any, len(vals)+1), parent: sc}
		for i, t := range n.targets {
			inner.vars[t] = vals[i]
		}
		return inner, nil
	}
	if n.filter != nil {
		kept := items[:0:0]
		for _, it := range items {
			inner, err := bind(it)
			if err != nil {
				return err
			}
			v, err := r.eval(n.src, n.filter, inner, false)
			if err != nil {
				return err
			}
			if truthy(v) {
				kept = append(kept, it)
			}
		}
		items = kept
	}
	if len(items) == 0 {
		// The else block has its own scope too: what it sets stays there.
		return r.run(n.els, &scope{vars: map[string]any{}, parent: sc})
	}
	total := int64(len(items))
	for i, it := range items {
		// An iteration allocates a scope and `loop`: it costs more than a
		// node, so that nested loops reach the budget in well under a second.
		if err := r.ev.charge(iterationCost); err != nil {
			return r.fail(n.src, err)
		}
		inner, err := bind(it)
		if err != nil {
			return err
		}
		k := int64(i)
		inner.vars["loop"] = map[string]any{
			"index": k + 1, "index0": k, "revindex": total - k, "revindex0": total - k - 1,
			"first": k == 0, "last": k == total-1, "length": total,
		}
		if err := r.run(n.body, inner); err != nil {
			return err
		}
	}
	return nil
}

// iterable lists what Python's iter() yields: list items, dict keys (in
// insertion order), the characters of a string.
func iterable(v any) ([]any, error) {
	switch v.(type) {
	case []any, *jsonvalue.Object, map[string]any, string:
		return iterate("", v)
	}
	return nil, errorf("'%s' object is not iterable", typeName(v))
}

// unpack assigns v to targets as Python does: one target takes v whole,
// several take the items of an iterable of exactly that length.
func unpack(targets []string, v any) ([]any, error) {
	u, isUndef := v.(undefined)
	switch {
	case len(targets) == 1 && isUndef:
		return []any{v}, nil // StrictUndefined fails only when used
	case len(targets) == 1:
		return []any{canon(v)}, nil
	case isUndef:
		return nil, errorf("%s", u.msg)
	}
	switch v.(type) {
	case []any, *jsonvalue.Object, map[string]any, string:
	default:
		return nil, errorf("cannot unpack non-iterable %s object", typeName(v))
	}
	items, err := iterate("", v)
	if err != nil {
		return nil, err
	}
	switch {
	case len(items) > len(targets):
		return nil, errorf("too many values to unpack (expected %d)", len(targets))
	case len(items) < len(targets):
		return nil, errorf("not enough values to unpack (expected %d, got %d)", len(targets), len(items))
	}
	out := make([]any, len(items))
	for i, it := range items {
		out[i] = canon(it)
	}
	return out, nil
}
