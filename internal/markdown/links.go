package markdown

import (
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/util"
)

// safeRenderer renders the nodes that could reach outside the text
// (links, autolinks, images and raw HTML) or put an author's words in an
// attribute (a fenced code block's language). It takes their place in
// goldmark's HTML renderer.
type safeRenderer struct{}

// RegisterFuncs implements renderer.NodeRenderer.
func (safeRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindLink, renderLink)
	reg.Register(ast.KindAutoLink, renderAutoLink)
	reg.Register(ast.KindImage, renderImage)
	reg.Register(ast.KindRawHTML, renderRawHTML)
	reg.Register(ast.KindHTMLBlock, renderHTMLBlock)
	reg.Register(ast.KindFencedCodeBlock, renderFencedCodeBlock)
}

const rel = ` rel="noopener noreferrer"`

// openLink writes the start tag of a link to dest, with title when it has
// one. dest is already URL-escaped (goldmark's util.URLEscape).
func openLink(w util.BufWriter, dest, title []byte) {
	_, _ = w.WriteString(`<a href="`)
	_, _ = w.Write(util.EscapeHTML(dest))
	_ = w.WriteByte('"')
	if len(title) > 0 {
		_, _ = w.WriteString(` title="`)
		html.DefaultWriter.Write(w, title)
		_ = w.WriteByte('"')
	}
	_, _ = w.WriteString(rel + ">")
}

// renderLink writes a link whose URL is allowed as <a>, and any other as
// its text alone.
func renderLink(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.Link)
	if overBudget(w) {
		return ast.WalkStop, errTooLarge
	}
	dest := util.URLEscape(n.Destination, true)
	if !safeHref(string(dest)) {
		return ast.WalkContinue, nil
	}
	if entering {
		openLink(w, dest, n.Title)
	} else {
		_, _ = w.WriteString("</a>")
	}
	return ast.WalkContinue, nil
}

// renderAutoLink writes <http://…>, <a@b.c> and bare http(s) URLs.
func renderAutoLink(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.AutoLink)
	if overBudget(w) {
		return ast.WalkStop, errTooLarge
	}
	url := util.URLEscape(n.URL(source), false)
	if n.AutoLinkType == ast.AutoLinkEmail && !hasPrefixFold(url, "mailto:") {
		url = append([]byte("mailto:"), url...)
	}
	label := util.EscapeHTML(n.Label(source))
	if !safeHref(string(url)) {
		_, _ = w.Write(label)
		return ast.WalkContinue, nil
	}
	openLink(w, url, nil)
	_, _ = w.Write(label)
	_, _ = w.WriteString("</a>")
	return ast.WalkContinue, nil
}

// renderImage writes an image as a link to it, named by its alt text (or
// by its URL when it has none), so that nothing is fetched when the page
// is shown. Inside a link, where a second <a> cannot nest, or when the
// URL is not allowed, only the name is written.
func renderImage(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.Image)
	if overBudget(w) {
		return ast.WalkStop, errTooLarge
	}
	dest := util.URLEscape(n.Destination, true)
	link := safeHref(string(dest)) && !inLink(n)
	if link {
		openLink(w, dest, n.Title)
	}
	if hasText(n) {
		writeTexts(w, source, n)
	} else {
		_, _ = w.Write(util.EscapeHTML(dest))
	}
	if link {
		_, _ = w.WriteString("</a>")
	}
	return ast.WalkSkipChildren, nil
}

// renderRawHTML shows inline HTML as the text it is.
func renderRawHTML(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkSkipChildren, nil
	}
	n := node.(*ast.RawHTML)
	for i := range n.Segments.Len() {
		s := n.Segments.At(i)
		html.DefaultWriter.RawWrite(w, s.Value(source))
	}
	return ast.WalkSkipChildren, nil
}

// renderHTMLBlock shows a block of HTML as the text it is, like code.
func renderHTMLBlock(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.HTMLBlock)
	_, _ = w.WriteString("<pre><code>")
	for i := range n.Lines().Len() {
		s := n.Lines().At(i)
		html.DefaultWriter.RawWrite(w, s.Value(source))
	}
	if n.HasClosure() {
		html.DefaultWriter.RawWrite(w, n.ClosureLine.Value(source))
	}
	_, _ = w.WriteString("</code></pre>\n")
	return ast.WalkContinue, nil
}

// renderFencedCodeBlock writes a fenced code block as goldmark does, but
// with a language of one class name: goldmark ends the language at a
// space only, so a tab, a carriage return or an entity for one would add
// a class of the author's choosing to the element.
func renderFencedCodeBlock(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		_, _ = w.WriteString("</code></pre>\n")
		return ast.WalkContinue, nil
	}
	n := node.(*ast.FencedCodeBlock)
	_, _ = w.WriteString("<pre><code")
	if lang := language(n.Language(source)); len(lang) > 0 {
		_, _ = w.WriteString(` class="language-`)
		_, _ = w.Write(util.EscapeHTML(lang))
		_ = w.WriteByte('"')
	}
	_ = w.WriteByte('>')
	for i := range n.Lines().Len() {
		s := n.Lines().At(i)
		html.DefaultWriter.RawWrite(w, s.Value(source))
	}
	return ast.WalkContinue, nil
}

// language returns the first word of an info string, its escapes and
// entities resolved, up to the first character HTML takes as separating
// class names.
func language(info []byte) []byte {
	v := util.ResolveEntityNames(util.ResolveNumericReferences(util.UnescapePunctuations(info)))
	for i, c := range v {
		switch c {
		case ' ', '\t', '\n', '\f', '\r':
			return v[:i]
		}
	}
	return v
}

// inLink reports whether n is inside a link.
func inLink(n ast.Node) bool {
	for p := n.Parent(); p != nil; p = p.Parent() {
		if k := p.Kind(); k == ast.KindLink || k == ast.KindAutoLink {
			return true
		}
	}
	return false
}

// hasText reports whether n holds any text.
func hasText(n ast.Node) bool {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Text:
			if c.Segment.Len() > 0 {
				return true
			}
		case *ast.String:
			if len(c.Value) > 0 {
				return true
			}
		default:
			if hasText(c) {
				return true
			}
		}
	}
	return false
}

// writeTexts writes the text within n, without its markup, as goldmark
// writes an image's alt text.
func writeTexts(w util.BufWriter, source []byte, n ast.Node) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Text:
			html.DefaultWriter.Write(w, c.Segment.Value(source))
		case *ast.String:
			if c.IsCode() || c.IsRaw() {
				html.DefaultWriter.RawWrite(w, c.Value)
			} else {
				html.DefaultWriter.Write(w, c.Value)
			}
		default:
			writeTexts(w, source, c)
		}
	}
}

// hasPrefixFold reports whether b starts with the lower-case ASCII
// prefix, in any case.
func hasPrefixFold(b []byte, prefix string) bool {
	if len(b) < len(prefix) {
		return false
	}
	for i := range len(prefix) {
		if lower(b[i]) != prefix[i] {
			return false
		}
	}
	return true
}
