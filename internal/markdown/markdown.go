// Package markdown renders the Markdown of an approval's description to
// HTML that may be put in a page as it is.
//
// It is CommonMark (goldmark) with GitHub's tables, strikethrough and
// bare http(s) links, made safe for text written by someone other than
// the reader:
//
//   - raw HTML, inline or as a block, is shown as text, never passed on;
//   - no image is loaded: an image becomes a link to it (named by its alt
//     text), so a description cannot make the reader's browser fetch
//     anything, and data: images are refused like any other bad URL;
//   - a link keeps its href only for http, https, mailto and relative
//     URLs, judged as a browser would read the URL (case, tabs, newlines,
//     leading controls and entities do not hide a javascript: scheme);
//     every link gets rel="noopener noreferrer";
//   - the input and the work are bounded: past MaxInput bytes the text is
//     cut, with a note, and tables and link references cannot blow up
//     into more output than a page can take.
package markdown

import (
	"bytes"
	"errors"
	"html"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// MaxInput is how much of a description is rendered; the rest is left
// out, with a note saying so.
const MaxInput = 64 << 10

// maxOutput bounds the HTML: link reference definitions let a short
// "[a]" repeat a long URL, so the output could otherwise grow with the
// square of the input. Past it the text is shown as written instead.
const maxOutput = 1 << 20

// Notes added to the HTML; tests find them by these texts.
const (
	truncatedNote = `<p class="markdown-note">(The description is longer than 64 KiB; the rest is not shown.)</p>` + "\n"
	plainNote     = `<p class="markdown-note">(The description is too large to format; its text is shown as written.)</p>` + "\n"
)

var errTooLarge = errors.New("markdown: output over the limit")

// md is shared: a goldmark.Markdown holds no state between conversions
// and is safe for concurrent use once built.
var md = goldmark.New(
	goldmark.WithParser(parser.NewParser(
		parser.WithBlockParsers(blockParsers()...),
		parser.WithInlineParsers(inlineParsers()...),
		parser.WithParagraphTransformers(paragraphTransformers()...),
		parser.WithASTTransformers(
			util.Prioritized(extension.NewTableASTTransformer(), 0),
			util.Prioritized(shallowEmphasis{}, 100),
		),
	)),
	goldmark.WithExtensions(
		extension.NewLinkify(
			extension.WithLinkifyAllowedProtocols([]string{"http:", "https:"}),
			// Bare e-mail addresses stay text: only http(s) is
			// linked without the author asking.
			extension.WithLinkifyEmailRegexp(noMatch),
		),
	),
	goldmark.WithRendererOptions(
		renderer.WithNodeRenderers(
			util.Prioritized(extension.NewStrikethroughHTMLRenderer(), 500),
			// The align attribute, not a style one: the dashboard's
			// Content-Security-Policy refuses inline styles.
			util.Prioritized(extension.NewTableHTMLRenderer(
				extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute)), 500),
			// Before goldmark's own renderer (1000), so these win.
			util.Prioritized(safeRenderer{}, 100),
		),
	),
)

// The parsers are goldmark's defaults (parser.DefaultBlockParsers and the
// rest, which TestParsersMirrorDefaults compares), with the bounds of
// limits.go, plus GFM's tables and strikethrough.

func blockParsers() []util.PrioritizedValue {
	return []util.PrioritizedValue{
		util.Prioritized(parser.NewSetextHeadingParser(), 100),
		util.Prioritized(parser.NewThematicBreakParser(), 200),
		util.Prioritized(shallow{parser.NewListParser(), true}, 300),
		util.Prioritized(parser.NewListItemParser(), 400),
		util.Prioritized(parser.NewCodeBlockParser(), 500),
		util.Prioritized(parser.NewATXHeadingParser(), 600),
		util.Prioritized(parser.NewFencedCodeBlockParser(), 700),
		util.Prioritized(shallow{parser.NewBlockquoteParser(), false}, 800),
		util.Prioritized(parser.NewHTMLBlockParser(), 900),
		util.Prioritized(parser.NewParagraphParser(), 1000),
	}
}

func inlineParsers() []util.PrioritizedValue {
	return []util.PrioritizedValue{
		util.Prioritized(parser.NewCodeSpanParser(), 100),
		util.Prioritized(budgeted{parser.NewLinkParser(), linkMarksKey, maxLinkMarks}, 200),
		util.Prioritized(parser.NewAutoLinkParser(), 300),
		util.Prioritized(parser.NewRawHTMLParser(), 400),
		util.Prioritized(budgeted{parser.NewEmphasisParser(), delimitersKey, maxDelimiters}, 500),
		// Strikethrough's delimiters join the emphasis ones, so they
		// share their budget.
		util.Prioritized(budgeted{extension.NewStrikethroughParser(), delimitersKey, maxDelimiters}, 500),
	}
}

func paragraphTransformers() []util.PrioritizedValue {
	return []util.PrioritizedValue{
		util.Prioritized(boundedReferences{parser.LinkReferenceParagraphTransformer}, 100),
		util.Prioritized(boundedTables{extension.NewTableParagraphTransformer()}, 200),
	}
}

// Render returns src, Markdown, as safe HTML.
func Render(src string) string {
	truncated := false
	if len(src) > MaxInput {
		src, truncated = cut(src, MaxInput), true
	}
	src = strings.ToValidUTF8(src, "\uFFFD")
	source := []byte(src)
	doc := md.Parser().Parse(text.NewReader(source))
	var out output
	if err := md.Renderer().Render(&out, source, doc); err != nil {
		// errTooLarge, the only error our renderers return; goldmark's
		// own write to memory and cannot fail.
		return plain(src, truncated)
	}
	if truncated {
		out.WriteString(truncatedNote)
	}
	return out.String()
}

// cut returns the longest prefix of s of at most n bytes that does not
// split a UTF-8 sequence.
func cut(s string, n int) string {
	for n > 0 && n < len(s) && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// plain is the fallback for a text whose HTML would be too large.
func plain(src string, truncated bool) string {
	var b strings.Builder
	b.WriteString(plainNote)
	b.WriteString("<pre>")
	b.WriteString(html.EscapeString(src))
	b.WriteString("</pre>\n")
	if truncated {
		b.WriteString(truncatedNote)
	}
	return b.String()
}

// output is the buffer the renderer writes to. It is a util.BufWriter so
// goldmark writes to it directly, and the link renderers can see how much
// was written and stop.
type output struct{ bytes.Buffer }

func (o *output) Available() int { return maxOutput - o.Len() }
func (o *output) Buffered() int  { return 0 }
func (o *output) Flush() error   { return nil }

// overBudget reports whether the HTML written to w is already too large.
func overBudget(w util.BufWriter) bool {
	o, ok := w.(*output)
	return ok && o.Len() > maxOutput
}

// Compile-time check that goldmark writes to output directly.
var _ util.BufWriter = (*output)(nil)

// noMatch matches nothing, at once: it is anchored, so a search does not
// scan the rest of the line each time it is tried.
var noMatch = regexp.MustCompile(`^[^\x00-\x{10FFFF}]`)
