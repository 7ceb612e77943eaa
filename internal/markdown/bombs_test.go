package markdown

import (
	"os"
	"strings"
	"testing"
)

// bombs are inputs known to make Markdown parsers do more than linear
// work, or produce more than linear output, each about MaxInput long.
// BenchmarkRenderBombs measures them; TestRenderBombs checks their
// output stays safe and bounded.
var bombs = []struct {
	name, src string
}{
	{"stars", strings.Repeat("*", 10000)},
	{"stars-max", strings.Repeat("*", MaxInput)},
	{"brackets", strings.Repeat("[", 10000)},
	{"brackets-max", strings.Repeat("[", MaxInput)},
	{"image-openers", strings.Repeat("![", MaxInput/2)},
	{"emphasis-alternating", strings.Repeat("*a_", MaxInput/3)},
	{"emphasis-nested", strings.Repeat("*a **", MaxInput/10) + strings.Repeat("b** a*", MaxInput/10)},
	{"underscores-words", strings.Repeat("a_", MaxInput/2)},
	{"link-openers", strings.Repeat("[a](", MaxInput/4)},
	{"link-unclosed-dest", strings.Repeat("[a](<", MaxInput/5)},
	{"backticks", strings.Repeat("`a``", MaxInput/4)},
	{"backtick-runs", func() string {
		var b strings.Builder
		for i := 1; b.Len() < MaxInput; i++ {
			b.WriteString(strings.Repeat("`", i) + "a")
		}
		return b.String()
	}()},
	{"html-openers", strings.Repeat("<a ", MaxInput/3)},
	{"html-comments", strings.Repeat("<!--", MaxInput/4)},
	{"entities", strings.Repeat("&#", MaxInput/2)},
	{"blockquotes", strings.Repeat(">", MaxInput/2) + strings.Repeat("\na", MaxInput/4)},
	{"lists", strings.Repeat("- ", MaxInput/2)},
	{"list-lines", strings.Repeat("- ", 1000) + strings.Repeat("\n  a", MaxInput/8)},
	{"www", strings.Repeat("www.", MaxInput/4)},
	{"http", strings.Repeat("http://", MaxInput/7)},
	{"table-padding", tableBomb()},
	{"table-escaped-pipes", "|a|\n|-|\n" + strings.Repeat("|`\\|`", MaxInput/6)},
	{"table-escaped-pipe-rows", "|a|b|\n|-|-|\n" + strings.Repeat("`\\|`|`\\|`\n", MaxInput/12)},
	{"reference-copies", referenceBomb()},
	{"reference-definitions", strings.Repeat("[a]: b\n", MaxInput/7)},
	{"reference-definition-titles", strings.Repeat("[a]: b '\n", MaxInput/9)},
	{"html-attribute-unclosed", strings.Repeat("<a b=\"\n", MaxInput/7)},
	{"html-cdata", strings.Repeat("a <![CDATA[", MaxInput/11)},
	{"html-processing", strings.Repeat("a <?", MaxInput/4)},
	{"html-declaration", strings.Repeat("a <!X", MaxInput/5)},
	{"autolink-openers", strings.Repeat("<http://", MaxInput/8)},
	{"link-titles-unclosed", strings.Repeat("[a](b \"", MaxInput/7)},
	{"link-nested-parens", "[a](" + strings.Repeat("(", MaxInput/2)},
	{"fences", strings.Repeat("```\n", MaxInput/4)},
	{"setext", strings.Repeat("a\n=\n", MaxInput/4)},
	{"tabs", strings.Repeat("-\t>\t", MaxInput/4)},
	{"ordered-nesting", strings.Repeat("1. ", MaxInput/6) + "a" + strings.Repeat("\na", MaxInput/4)},
	{"list-blockquote-nesting", strings.Repeat("- >", MaxInput/6) + "a" + strings.Repeat("\na", MaxInput/4)},
	{"hard-breaks", strings.Repeat("a\\\n", MaxInput/3)},
	{"strikethrough", strings.Repeat("~a~~", MaxInput/4)},
}

// tableBomb is a wide header over many short rows, which GFM pads.
func tableBomb() string {
	cols := MaxInput / 8
	return strings.Repeat("|a", cols) + "\n" + strings.Repeat("|-", cols) + "\n" +
		strings.Repeat("a\n", MaxInput/4)
}

// referenceBomb is one long URL used many times through a reference.
func referenceBomb() string {
	return "[r]: http://x/" + strings.Repeat("a", MaxInput/2) + "\n\n" +
		strings.Repeat("[r]", MaxInput/8)
}

// BenchmarkRenderBombs renders each bomb; each should take about as long
// as plain text of its size (BenchmarkRender), not seconds.
//
//	go test ./internal/markdown -run '^$' -bench RenderBombs -benchtime 20x
func BenchmarkRenderBombs(b *testing.B) {
	for _, bomb := range bombs {
		b.Run(bomb.name, func(b *testing.B) {
			b.SetBytes(int64(len(bomb.src)))
			for b.Loop() {
				Render(bomb.src)
			}
		})
	}
}

// BenchmarkRender renders an ordinary description, and the same repeated
// up to MaxInput.
func BenchmarkRender(b *testing.B) {
	src, err := os.ReadFile("testdata/description.md")
	if err != nil {
		b.Fatal(err)
	}
	for _, in := range []struct {
		name string
		src  string
	}{
		{"description", string(src)},
		{"max", strings.Repeat(string(src)+"\n", MaxInput/(len(src)+1))},
	} {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.src)))
			for b.Loop() {
				Render(in.src)
			}
		})
	}
}
