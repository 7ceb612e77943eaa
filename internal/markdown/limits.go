package markdown

import (
	"github.com/yuin/goldmark/ast"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// goldmark does more than linear work on some inputs: each emphasis
// closer looks back over every unmatched delimiter of its paragraph, each
// link closer scans the rest of its line for a destination, and each
// opened container re-walks the ones around it. These bounds keep a
// description of MaxInput bytes to milliseconds (see
// BenchmarkRenderBombs); past them the markup is shown as plain text.
const (
	// maxDelimiters is how many runs of '*', '_' and '~' in one block
	// are taken as emphasis or strikethrough.
	maxDelimiters = 128
	// maxLinkMarks is how many '[', '![' and link closers in one block
	// are taken as links or images.
	maxLinkMarks = 128
	// maxNesting is how deep blockquotes and lists may nest, counted in
	// block nodes from the document.
	maxNesting = 32
	// maxEmphasis is how deep emphasis and strikethrough may nest: one
	// run of a thousand underscores is a single delimiter, yet it opens
	// hundreds of nested <strong>, past what browsers' and Go's HTML
	// parsers keep (512 open elements).
	maxEmphasis = 16
)

var (
	delimitersKey = parser.NewContextKey()
	linkMarksKey  = parser.NewContextKey()
)

// budgeted lets an inline parser make at most max nodes per block, counted
// under key (which parsers may share).
type budgeted struct {
	parser.InlineParser
	key parser.ContextKey
	max int
}

// Parse implements parser.InlineParser.
func (b budgeted) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	n, _ := pc.Get(b.key).(int)
	if n >= b.max {
		return nil
	}
	node := b.InlineParser.Parse(parent, block, pc)
	if node != nil {
		pc.Set(b.key, n+1)
	}
	return node
}

// CloseBlock implements parser.CloseBlocker: the count is per block, and
// the wrapped parser may need its own clean-up (the link parser does).
func (b budgeted) CloseBlock(parent ast.Node, block text.Reader, pc parser.Context) {
	pc.Set(b.key, nil)
	if cb, ok := b.InlineParser.(parser.CloseBlocker); ok {
		cb.CloseBlock(parent, block, pc)
	}
}

// shallow lets a container parser open a block only above maxNesting.
type shallow struct {
	parser.BlockParser
	// peeks is true for a parser whose Open reads without advancing and
	// clears a flag of its own (the list parser): it is asked first and
	// its answer dropped. Others (the blockquote parser consumes its '>')
	// are not asked when too deep.
	peeks bool
}

// Open implements parser.BlockParser.
func (s shallow) Open(parent ast.Node, reader text.Reader, pc parser.Context) (ast.Node, parser.State) {
	deep := depth(parent) >= maxNesting
	if deep && !s.peeks {
		return nil, parser.NoChildren
	}
	node, state := s.BlockParser.Open(parent, reader, pc)
	if deep {
		return nil, parser.NoChildren
	}
	return node, state
}

// depth counts n and its ancestors.
func depth(n ast.Node) int {
	d := 0
	for ; n != nil; n = n.Parent() {
		d++
	}
	return d
}

// maxReferenceWork bounds the work of goldmark's link reference
// transformer on one paragraph: for each definition it parses, it scans
// on for a title and re-copies the lines left, so the work grows as
// definitions times the paragraph's length.
const maxReferenceWork = 1 << 22

// boundedReferences runs goldmark's link reference transformer on a
// paragraph only if its lines that could start a definition (a '[' after
// at most three spaces), times its length, stay within
// maxReferenceWork. A paragraph over that keeps its definitions as text.
type boundedReferences struct{ inner parser.ParagraphTransformer }

// Transform implements parser.ParagraphTransformer.
func (b boundedReferences) Transform(node *ast.Paragraph, reader text.Reader, pc parser.Context) {
	lines := node.Lines()
	source := reader.Source()
	defs, size := 0, 0
	for i := range lines.Len() {
		s := lines.At(i)
		v := s.Value(source)
		size += len(v)
		if startsDefinition(v) {
			defs++
		}
	}
	if defs*size > maxReferenceWork {
		return
	}
	b.inner.Transform(node, reader, pc)
}

// startsDefinition reports whether line could open a link reference
// definition: '[' after at most three spaces.
func startsDefinition(line []byte) bool {
	for i := 0; i < len(line) && i <= 3; i++ {
		switch line[i] {
		case '[':
			return true
		case ' ':
			continue
		}
		return false
	}
	return false
}

// shallowEmphasis is an AST transformer that unwraps emphasis and
// strikethrough nested deeper than maxEmphasis: their text stays, their
// tags go.
type shallowEmphasis struct{}

// Transform implements parser.ASTTransformer.
func (shallowEmphasis) Transform(doc *ast.Document, _ text.Reader, _ parser.Context) {
	var deep []ast.Node
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering && isEmphasis(n) && emphasisDepth(n) > maxEmphasis {
			deep = append(deep, n)
		}
		return ast.WalkContinue, nil
	})
	// Removing only nodes past the bound leaves the depth of every other
	// one as it was, so one pass is enough.
	for _, n := range deep {
		parent := n.Parent()
		for c := n.FirstChild(); c != nil; {
			next := c.NextSibling()
			parent.InsertBefore(parent, n, c)
			c = next
		}
		parent.RemoveChild(parent, n)
	}
}

func isEmphasis(n ast.Node) bool {
	return n.Kind() == ast.KindEmphasis || n.Kind() == extast.KindStrikethrough
}

// emphasisDepth counts n and its emphasis ancestors.
func emphasisDepth(n ast.Node) int {
	d := 0
	for ; n != nil; n = n.Parent() {
		if isEmphasis(n) {
			d++
		}
	}
	return d
}
