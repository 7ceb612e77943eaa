package dsl

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/sirocco-project/sirocco/internal/expr"
	"github.com/sirocco-project/sirocco/internal/jsonvalue"
	"github.com/sirocco-project/sirocco/internal/yamlscan"
)

// maxNodes bounds the number of YAML nodes visited while converting values,
// so that alias bombs ("billion laughs") fail fast instead of eating memory.
const maxNodes = 1_000_000

// MaxDocumentNodes bounds the nodes of a YAML document as written (aliases
// count once): a megabyte of "- a" lines is half a million nodes, and each
// costs far more memory than its bytes. Documents past it are refused
// before anything is built from them.
const MaxDocumentNodes = 200_000

// checkNodes refuses a document that may hold more than MaxDocumentNodes
// nodes, from its text: yaml.v3 would spend some 400 bytes a node building
// the tree that load counts exactly.
func checkNodes(src []byte) error {
	at, over := yamlscan.Over(src, MaxDocumentNodes)
	if !over {
		return nil
	}
	return &Error{Line: at.Line, Column: at.Column, Err: ErrTooManyNodes,
		Msg: fmt.Sprintf("the document has more than %d YAML nodes (the limit)", MaxDocumentNodes)}
}

// parser holds the state of one Parse call.
type parser struct {
	src    []byte
	lines  []string // source lines without line terminators, split where yaml.v3 counts a line
	starts []int    // byte offset in src where each line starts
	budget int
	active map[*yaml.Node]bool // anchors being expanded, to catch self-reference
	check  InputCheck          // nil: inputs are not checked
}

func newParser(src []byte) *parser {
	lines, starts := splitLines(string(src))
	return &parser{
		src:    src,
		lines:  lines,
		starts: starts,
		budget: maxNodes,
		active: make(map[*yaml.Node]bool),
	}
}

// splitLines splits text at the line breaks yaml.v3 counts in node
// positions (CRLF, CR, LF, NEL, LS, PS) and returns each line without its
// break and the offset where it starts. Splitting at "\n" alone would put
// the lines of a document with other breaks out of step with yaml.v3's line
// numbers.
func splitLines(text string) (lines []string, starts []int) {
	start := 0
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		n := 0
		switch r {
		case '\n', '\u0085', '\u2028', '\u2029':
			n = size
		case '\r':
			n = 1
			if i+1 < len(text) && text[i+1] == '\n' {
				n = 2
			}
		}
		if n == 0 {
			i += size
			continue
		}
		lines, starts = append(lines, text[start:i]), append(starts, start)
		i += n
		start = i
	}
	return append(lines, text[start:]), append(starts, start)
}

// linesText returns lines first through last (1-based) as written, with their
// original breaks between them and a "\n" after the last.
func (p *parser) linesText(first, last int) string {
	return string(p.src[p.starts[first-1]:p.starts[last-1]]) + p.lines[last-1] + "\n"
}

// errAt returns an "Invalid DSL" error positioned at n.
func errAt(n *yaml.Node, format string, args ...any) *Error {
	e := &Error{Line: 1, Column: 1, Msg: fmt.Sprintf(format, args...)}
	if n != nil && n.Line > 0 {
		e.Line, e.Column = n.Line, n.Column
	}
	return e
}

// load decodes src into a single YAML document.
func (p *parser) load() (root *yaml.Node, err error) {
	defer func() {
		// yaml.v3 reports errors by panicking internally; a panic that escapes
		// it is still a malformed document, not a reason to crash the server.
		if r := recover(); r != nil {
			root, err = nil, &Error{Line: 1, Column: 1, Syntax: true, Msg: fmt.Sprint(r)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(p.src))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{Line: 1, Column: 1, Msg: "the definition is empty"}
		}
		return nil, p.syntaxError(err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		e := errAt(&extra, "expected a single document in the stream, found another document")
		e.Syntax = true
		return nil, e
	case !errors.Is(err, io.EOF):
		return nil, p.syntaxError(err)
	}
	if len(doc.Content) == 0 {
		return nil, &Error{Line: 1, Column: 1, Msg: "the definition is empty"}
	}
	// checkNodes's count is never below yaml.v3's: this walk is a second
	// line, for a document the scan would read differently.
	if n := TooManyNodes(&doc, MaxDocumentNodes); n != nil {
		e := errAt(n, "the document has more than %d YAML nodes (the limit)", MaxDocumentNodes)
		e.Err = ErrTooManyNodes
		return nil, e
	}
	return doc.Content[0], nil
}

// TooManyNodes returns the node at which a walk of doc passes limit nodes,
// or nil when doc has at most limit. Aliases are not followed: what they
// expand to is bounded where values are built.
func TooManyNodes(doc *yaml.Node, limit int) *yaml.Node {
	count := 0
	stack := []*yaml.Node{doc}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if count++; count > limit {
			return n
		}
		for i := len(n.Content) - 1; i >= 0; i-- {
			stack = append(stack, n.Content[i])
		}
	}
	return nil
}

var yamlLineRe = regexp.MustCompile(`^line (\d+): (.*)$`)

// splitYAMLError separates yaml.v3's "yaml: line N: what" into N and what.
func splitYAMLError(err error) (int, string) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n, m[2]
	}
	return 0, msg
}

// syntaxError positions a yaml.v3 syntax error. yaml.v3 reports only a line,
// and for parser errors it is the line where the enclosing construct began
// rather than the line of the problem. The problem line is found as the
// shortest prefix of the document that fails with the same message; the
// column is then inferred from the message and the text of that line.
func (p *parser) syntaxError(err error) *Error {
	line, msg := splitYAMLError(err)
	if l := p.firstFailingLine(line, msg); l > 0 {
		line = l
	}
	if line < 1 {
		line = 1
	}
	if line > len(p.lines) {
		line = len(p.lines)
	}
	return &Error{Line: line, Column: p.guessColumn(line, msg), Msg: msg, Syntax: true}
}

// firstFailingLine returns the smallest n >= from-1 such that the first n
// lines fail to parse with message msg, or 0 if none is found within a
// bounded amount of work.
func (p *parser) firstFailingLine(from int, msg string) int {
	start := max(from-1, 1)
	budget := 4 << 20 // bytes re-parsed at most, to keep huge documents cheap
	for n := start; n <= len(p.lines) && budget > 0; n++ {
		prefix := p.linesText(1, n)
		budget -= len(prefix)
		var node yaml.Node
		err := safeUnmarshal([]byte(prefix), &node)
		if err == nil {
			continue
		}
		if _, m := splitYAMLError(err); m == msg {
			return n
		}
	}
	return 0
}

func safeUnmarshal(b []byte, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: %v", r)
		}
	}()
	return yaml.Unmarshal(b, n)
}

var anchorRe = regexp.MustCompile(`unknown anchor '(.*)' referenced`)

// guessColumn infers the 1-based column of a syntax problem on a line.
func (p *parser) guessColumn(line int, msg string) int {
	text := p.lines[line-1]
	col := func(i int) int { return utf8.RuneCountInString(text[:i]) + 1 }
	first := len(text) - len(strings.TrimLeft(text, " \t"))
	if first == len(text) {
		first = 0
	}
	switch {
	case strings.Contains(msg, "cannot start any token"):
		if i := strings.IndexByte(text[:len(text)-len(strings.TrimLeft(text, " \t"))], '\t'); i >= 0 {
			return col(i)
		}
		if i := tokenStart(text, "@`%|>"); i >= 0 {
			return col(i)
		}
	case strings.Contains(msg, "mapping values are not allowed"):
		if idxs := mappingColons(text); len(idxs) >= 2 {
			return col(idxs[1])
		}
	case strings.Contains(msg, "unexpected end of stream"):
		if i := tokenStart(text, `"'`); i >= 0 {
			return col(i)
		}
	case strings.Contains(msg, "expected ',' or ']'"):
		if i := strings.LastIndexByte(text, '['); i >= 0 {
			return col(i)
		}
	case strings.Contains(msg, "expected ',' or '}'"):
		if i := strings.LastIndexByte(text, '{'); i >= 0 {
			return col(i)
		}
	case anchorRe.MatchString(msg):
		name := anchorRe.FindStringSubmatch(msg)[1]
		if i := strings.Index(text, "*"+name); i >= 0 {
			return col(i)
		}
	}
	return col(first)
}

// tokenStart returns the byte index of the first character from chars that
// begins a token (at the start of the line or after a space, ':' or '-'
// separator), or -1.
func tokenStart(text, chars string) int {
	for i := 0; i < len(text); i++ {
		if !strings.ContainsRune(chars, rune(text[i])) {
			continue
		}
		if i == 0 || strings.ContainsRune(" \t[{,", rune(text[i-1])) {
			return i
		}
	}
	return -1
}

// mappingColons returns the byte indexes of ':' characters that act as
// mapping indicators (followed by a space or the end of line), outside quotes.
func mappingColons(text string) []int {
	var out []int
	var quote byte
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '#' && (i == 0 || text[i-1] == ' '):
			return out
		case (c == '"' || c == '\'') && (i == 0 || text[i-1] == ' '):
			quote = c
		case c == ':' && (i+1 == len(text) || text[i+1] == ' ' || text[i+1] == '\t'):
			out = append(out, i)
		}
	}
	return out
}

// deref follows an alias to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// kindName describes a node's type for error messages.
func kindName(n *yaml.Node) string {
	n = deref(n)
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "null"
		case "!!bool":
			return "a boolean"
		case "!!int", "!!float":
			return "a number"
		default:
			return "a string"
		}
	}
	return "an unsupported node"
}

func isNull(n *yaml.Node) bool {
	n = deref(n)
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// stringValue returns the value of a string scalar.
func stringValue(n *yaml.Node) (string, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		return "", false
	}
	return n.Value, true
}

// pair is one key/value entry of a mapping, in document order.
type pair struct {
	Key      string
	KeyNode  *yaml.Node
	Value    *yaml.Node
	fromMerg bool
}

// pairs returns the entries of a mapping node, resolving merge keys (<<);
// explicit keys win over merged ones. Keys must be strings and unique.
func (p *parser) pairs(n *yaml.Node) ([]pair, error) {
	return p.pairsDepth(n, 0)
}

func (p *parser) pairsDepth(n *yaml.Node, depth int) ([]pair, error) {
	if depth > 20 {
		return nil, errAt(n, "merge keys nested too deeply")
	}
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, errAt(n, "expected a mapping, got %s", kindName(n))
	}
	p.budget -= len(n.Content)
	if p.budget < 0 {
		return nil, errAt(n, "document contains excessive aliasing")
	}
	var out, merged []pair
	seen := make(map[string]int)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		dk := deref(k)
		if dk != nil && dk.Kind == yaml.ScalarNode && dk.ShortTag() == "!!merge" {
			ms, err := p.mergeSources(v, depth)
			if err != nil {
				return nil, err
			}
			merged = append(merged, ms...)
			continue
		}
		key, ok := stringValue(k)
		if !ok {
			return nil, errAt(k, "mapping keys must be strings, got %s", kindName(k))
		}
		if line, dup := seen[key]; dup {
			e := errAt(k, "mapping key %q already defined at line %d", key, line)
			e.Syntax = true
			return nil, e
		}
		seen[key] = k.Line
		out = append(out, pair{Key: key, KeyNode: k, Value: v})
	}
	for _, m := range merged {
		if _, ok := seen[m.Key]; ok {
			continue
		}
		seen[m.Key] = m.KeyNode.Line
		m.fromMerg = true
		out = append(out, m)
	}
	return out, nil
}

// mergeSources returns the entries a merge key's value contributes: a
// mapping, or a list of mappings where earlier ones win.
func (p *parser) mergeSources(v *yaml.Node, depth int) ([]pair, error) {
	dv := deref(v)
	var sources []*yaml.Node
	switch {
	case dv != nil && dv.Kind == yaml.MappingNode:
		sources = []*yaml.Node{dv}
	case dv != nil && dv.Kind == yaml.SequenceNode:
		sources = dv.Content
	default:
		return nil, errAt(v, "merge key '<<' needs a mapping or a list of mappings, got %s", kindName(v))
	}
	var out []pair
	seen := make(map[string]bool)
	for _, s := range sources {
		if p.active[deref(s)] {
			return nil, errAt(s, "merge key refers to the mapping that contains it")
		}
		p.active[deref(s)] = true
		ps, err := p.pairsDepth(s, depth+1)
		delete(p.active, deref(s))
		if err != nil {
			return nil, err
		}
		for _, e := range ps {
			if !seen[e.Key] {
				seen[e.Key] = true
				out = append(out, e)
			}
		}
	}
	return out, nil
}

// convert turns a YAML node into a canonical Go value: nil, bool, int64,
// float64, string, []any or *jsonvalue.Object. When check is set, strings
// holding expressions are syntax-checked; where names the property for
// error messages.
func (p *parser) convert(n *yaml.Node, check bool, where string) (any, error) {
	p.budget--
	if p.budget < 0 {
		return nil, errAt(n, "document contains excessive aliasing")
	}
	if n == nil {
		return nil, nil
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return p.convert(n.Content[0], check, where)
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, errAt(n, "unknown anchor '%s' referenced", n.Value)
		}
		if p.active[n.Alias] {
			return nil, errAt(n, "anchor '%s' value contains itself", n.Value)
		}
		p.active[n.Alias] = true
		v, err := p.convert(n.Alias, check, where)
		delete(p.active, n.Alias)
		return v, err
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := p.convert(c, check, where)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		ps, err := p.pairs(n)
		if err != nil {
			return nil, err
		}
		// Keys merged in with << come first, as PyYAML (Mistral's loader)
		// orders them, then the mapping's own.
		out := jsonvalue.NewObject(len(ps))
		for _, merged := range []bool{true, false} {
			for _, e := range ps {
				if e.fromMerg != merged {
					continue
				}
				v, err := p.convert(e.Value, check, where)
				if err != nil {
					return nil, err
				}
				out.Set(e.Key, v)
			}
		}
		return out, nil
	case yaml.ScalarNode:
		v, err := scalarValue(n)
		if err != nil {
			return nil, err
		}
		if s, ok := v.(string); ok && check {
			if err := checkExpr(n, 0, s, where); err != nil {
				return nil, err
			}
		}
		return v, nil
	}
	return nil, errAt(n, "unsupported YAML node")
}

// scalarValue converts a scalar node to a canonical Go value.
func scalarValue(n *yaml.Node) (any, error) {
	switch n.ShortTag() {
	case "!!str", "!!timestamp":
		return n.Value, nil
	case "!!null":
		return nil, nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, errAt(n, "invalid value %q: %s", n.Value, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	switch x := v.(type) {
	case nil, bool, string, float64, int64:
		return x, nil
	case int:
		return int64(x), nil
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x), nil
		}
		return float64(x), nil
	case []byte:
		return string(x), nil
	default:
		return n.Value, nil
	}
}

// hasExpr reports whether s holds a YAQL (<% %>) or Jinja ({{ }}, {% %})
// expression, by the expression package's own definition.
func hasExpr(s string) bool { return expr.Contains(s) }

// checkExpr syntax-checks the expressions in s, a string found in node n at
// rune offset off from the node's start (0 when unknown).
func checkExpr(n *yaml.Node, off int, s, where string) error {
	if !hasExpr(s) {
		return nil
	}
	if err := expr.Check(s); err != nil {
		e := errAt(n, "invalid expression in %s: %v", where, err)
		e.Column += off
		return e
	}
	return nil
}
