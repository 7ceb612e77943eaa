package markdown

import (
	"bytes"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// maxTableCells bounds a table. GFM pads every row to the header's
// columns, so a wide header over many one-character lines would make
// rows×columns cells (and nodes) from a few KiB; this many is what
// MaxInput of written cells could make anyway.
const maxTableCells = MaxInput / 2

// maxEscapedPipes bounds the "\|" in a document's tables: goldmark's
// table AST transformer matches every such pipe in a code span against
// every other one in the document.
const maxEscapedPipes = 256

var escapedPipesKey = parser.NewContextKey()

// boundedTables runs goldmark's table transformer only on paragraphs
// whose table could not exceed maxTableCells: rows are at most the
// paragraph's lines, columns at most one more than the pipes on its
// fullest line. A paragraph over that, or over the document's allowance
// of escaped pipes, stays a paragraph.
type boundedTables struct{ inner parser.ParagraphTransformer }

// Transform implements parser.ParagraphTransformer.
func (b boundedTables) Transform(node *ast.Paragraph, reader text.Reader, pc parser.Context) {
	lines := node.Lines()
	source := reader.Source()
	cols := 0
	for i := range lines.Len() {
		s := lines.At(i)
		cols = max(cols, bytes.Count(s.Value(source), []byte{'|'})+1)
	}
	if lines.Len()*cols > maxTableCells {
		return
	}
	pipes, _ := pc.Get(escapedPipesKey).(int)
	for i := range lines.Len() {
		s := lines.At(i)
		pipes += bytes.Count(s.Value(source), []byte(`\|`))
	}
	if pipes > maxEscapedPipes {
		return
	}
	pc.Set(escapedPipesKey, pipes)
	b.inner.Transform(node, reader, pc)
}
