package markdown

import (
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

func TestRender(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // each must appear in the HTML
		not  []string // none may appear
	}{
		// Raw HTML, as a block and inline, is shown as text.
		{"script block", "<script>alert(1)</script>",
			[]string{"&lt;script&gt;alert(1)&lt;/script&gt;"}, nil},
		{"script inline", "a <script>alert(1)</script> b",
			[]string{"a &lt;script&gt;alert(1)&lt;/script&gt; b"}, nil},
		{"img onerror", `see <img src=x onerror="alert(1)">`,
			[]string{`&lt;img src=x onerror=&quot;alert(1)&quot;&gt;`}, []string{"<img"}},
		{"div onclick block", "<div onclick=\"alert(1)\">\nhi\n</div>\n",
			[]string{"<pre><code>&lt;div onclick=&quot;alert(1)&quot;&gt;\nhi\n&lt;/div&gt;\n</code></pre>"}, nil},
		{"svg onload", "<svg onload=alert(1)>", []string{"&lt;svg onload=alert(1)&gt;"}, []string{"<svg"}},
		{"iframe", `<iframe src="https://evil.example/"></iframe>`, []string{"&lt;iframe"}, []string{"<iframe"}},
		{"style", "<style>body{display:none}</style>", []string{"&lt;style&gt;"}, []string{"<style"}},
		{"raw anchor", `<a href="javascript:alert(1)">x</a>`,
			[]string{`&lt;a href=&quot;javascript:alert(1)&quot;&gt;x&lt;/a&gt;`}, []string{"<a "}},
		{"html comment", "a <!-- hidden --> b", []string{"&lt;!-- hidden --&gt;"}, []string{"<!--"}},

		// javascript: and other schemes lose the link in every syntax.
		{"inline javascript", "[x](javascript:alert(1))", []string{"<p>x</p>"}, nil},
		{"inline mixed case", "[x](JaVaScRiPt:alert(1))", []string{"<p>x</p>"}, nil},
		{"inline tab", "[x](<java\tscript:alert(1)>)", []string{"<p>x</p>"}, nil},
		{"inline leading space", "[x](< javascript:alert(1)>)", []string{"<p>x</p>"}, nil},
		{"inline control char", "[x](\x01javascript:alert(1))", nil, []string{"<a"}},
		{"inline decimal entity", "[x](&#106;avascript:alert(1))", []string{"<p>x</p>"}, nil},
		{"inline hex entity", "[x](&#x6A;&#x61;vascript:alert(1))", []string{"<p>x</p>"}, nil},
		{"inline named entity colon", "[x](javascript&colon;alert(1))", nil, []string{"javascript:"}},
		{"inline escaped colon", `[x](javascript\:alert(1))`, []string{"<p>x</p>"}, nil},
		{"inline vbscript", "[x](vbscript:msgbox(1))", []string{"<p>x</p>"}, nil},
		{"inline data", "[x](data:text/html;base64,PHNjcmlwdD4=)", []string{"<p>x</p>"}, nil},
		{"inline file", "[x](file:///etc/passwd)", []string{"<p>x</p>"}, nil},
		{"inline unknown scheme", "[x](ssh://host)", []string{"<p>x</p>"}, nil},
		{"reference", "[x][r]\n\n[r]: javascript:alert(1)", []string{"<p>x</p>"}, nil},
		{"reference collapsed", "[r][]\n\n[r]: JAVASCRIPT:alert(1)", []string{"<p>r</p>"}, nil},
		{"reference shortcut", "[r]\n\n[r]: Javascript:alert(1)", []string{"<p>r</p>"}, nil},
		{"autolink", "<javascript:alert(1)>", []string{"<p>javascript:alert(1)</p>"}, nil},
		{"autolink upper", "<JAVASCRIPT:alert(1)>", []string{"<p>JAVASCRIPT:alert(1)</p>"}, nil},
		{"autolink data", "<data:text/html,x>", []string{"<p>data:text/html,x</p>"}, nil},
		{"bare javascript", "javascript:alert(1)", []string{"<p>javascript:alert(1)</p>"}, nil},

		// Allowed links keep their href and get rel.
		{"https", "[x](https://example.com/a?b=c&d=e)",
			[]string{`<a href="https://example.com/a?b=c&amp;d=e" rel="noopener noreferrer">x</a>`}, nil},
		{"http upper", "[x](HTTP://example.com)", []string{`<a href="HTTP://example.com" rel="noopener noreferrer">x</a>`}, nil},
		{"mailto", "[x](mailto:a@example.com)", []string{`<a href="mailto:a@example.com" rel="noopener noreferrer">x</a>`}, nil},
		{"relative path", "[x](../runs/1)", []string{`<a href="../runs/1" rel="noopener noreferrer">x</a>`}, nil},
		{"relative absolute path", "[x](/executions/1)", []string{`<a href="/executions/1" rel="noopener noreferrer">x</a>`}, nil},
		{"fragment", "[x](#top)", []string{`<a href="#top" rel="noopener noreferrer">x</a>`}, nil},
		{"colon after slash", "[x](a/b:c)", []string{`<a href="a/b:c" rel="noopener noreferrer">x</a>`}, nil},
		{"title escaped", `[x](https://a.example "\" onmouseover=\"alert(1)")`,
			[]string{`title="&quot; onmouseover=&quot;alert(1)"`}, nil},
		{"angle autolink", "<https://example.com>",
			[]string{`<a href="https://example.com" rel="noopener noreferrer">https://example.com</a>`}, nil},
		{"email autolink", "<ops@example.com>",
			[]string{`<a href="mailto:ops@example.com" rel="noopener noreferrer">ops@example.com</a>`}, nil},
		{"bare https", "see https://example.com/x.",
			[]string{`see <a href="https://example.com/x" rel="noopener noreferrer">https://example.com/x</a>.`}, nil},
		{"bare www", "www.example.com",
			[]string{`<a href="http://www.example.com" rel="noopener noreferrer">www.example.com</a>`}, nil},
		{"bare ftp stays text", "ftp://example.com/x", []string{"<p>ftp://example.com/x</p>"}, nil},
		{"bare email stays text", "ops@example.com", []string{"<p>ops@example.com</p>"}, nil},

		// Images are never loaded: a link, or their text.
		{"remote image", `![the chart](https://evil.example/x.png "T")`,
			[]string{`<a href="https://evil.example/x.png" title="T" rel="noopener noreferrer">the chart</a>`}, nil},
		{"relative image", "![logo](/static/logo.png)",
			[]string{`<a href="/static/logo.png" rel="noopener noreferrer">logo</a>`}, nil},
		{"image alt markup", "![*a* `b`](https://e.example/i.png)", []string{`rel="noopener noreferrer">a b</a>`}, nil},
		{"image no alt", "![](https://e.example/i.png)",
			[]string{`<a href="https://e.example/i.png" rel="noopener noreferrer">https://e.example/i.png</a>`}, nil},
		{"data image", "![dot](data:image/png;base64,iVBORw0KGgo=)", []string{"<p>dot</p>"}, nil},
		{"data image no alt", "![](data:image/png;base64,iVBORw0KGgo=)",
			[]string{"<p>data:image/png;base64,iVBORw0KGgo=</p>"}, nil},
		{"javascript image", "![x](javascript:alert(1))", []string{"<p>x</p>"}, nil},
		{"reference image", "![x][i]\n\n[i]: https://evil.example/p.gif",
			[]string{`<a href="https://evil.example/p.gif" rel="noopener noreferrer">x</a>`}, nil},
		{"image in link", "[![i](https://e.example/i.png)](https://l.example/)",
			[]string{`<p><a href="https://l.example/" rel="noopener noreferrer">i</a></p>`}, nil},

		// What the extensions add.
		{"table", "| a | b |\n|:--|--:|\n| 1 | 2 |",
			[]string{`<th align="left">a</th>`, `<td align="right">2</td>`}, []string{"style"}},
		{"strikethrough", "~~gone~~", []string{"<del>gone</del>"}, nil},
		{"code class", "```go onclick=x\nx\n```", []string{`<code class="language-go">`}, []string{"onclick"}},
		{"code class tab", "```go\tpage-class\nx\n```", []string{`<code class="language-go">`}, []string{"page-class"}},
		{"code class CR", "~~~go\rpage-class", []string{`<code class="language-go">`}, []string{"page-class"}},
		{"code class entity", "```go&#9;page-class&#x20;b\nx\n```", []string{`<code class="language-go">`}, []string{"page-class"}},
		{"code keeps text", "`<script>`", []string{"<code>&lt;script&gt;</code>"}, nil},
		{"heading attributes off", "# Title {onclick=alert(1)}", []string{"<h1>Title {onclick=alert(1)}</h1>"}, nil},
		{"invalid UTF-8", "a\xffb", []string{"a\uFFFDb"}, nil},
		{"NUL", "a\x00b", []string{"a\uFFFDb"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := Render(tt.src)
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("Render(%q) = %q, want it to contain %q", tt.src, out, w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(out, n) {
					t.Errorf("Render(%q) = %q, contains %q", tt.src, out, n)
				}
			}
			if msg := unsafeHTML(out); msg != "" {
				t.Errorf("Render(%q) = %q: %s", tt.src, out, msg)
			}
		})
	}
}

func TestRenderTruncates(t *testing.T) {
	// "é" is two bytes and MaxInput is even: an odd prefix puts the cut
	// inside a rune.
	src := "x" + strings.Repeat("é", MaxInput)
	out := Render(src)
	if !strings.HasSuffix(out, truncatedNote) {
		t.Fatalf("Render of %d bytes does not end with the note: …%q", len(src), out[max(0, len(out)-200):])
	}
	if !utf8.ValidString(out) || strings.Contains(out, "\uFFFD") {
		t.Error("the cut split a rune")
	}
	if got, want := strings.Count(out, "é"), (MaxInput-1)/2; got != want {
		t.Errorf("kept %d of the runes, want %d", got, want)
	}
	if out := Render(strings.Repeat("a", MaxInput)); strings.Contains(out, "markdown-note") {
		t.Errorf("Render of exactly MaxInput bytes has a note")
	}
}

func TestRenderFallsBackToText(t *testing.T) {
	out := Render(referenceBomb())
	if !strings.HasPrefix(out, plainNote+"<pre>[r]: http://x/aaa") {
		t.Fatalf("Render(reference bomb) = %q…, want the text shown as written", out[:min(len(out), 200)])
	}
	if len(out) > 2*len(referenceBomb())+len(plainNote)+20 {
		t.Errorf("fallback is %d bytes for %d of input", len(out), len(referenceBomb()))
	}
	if msg := unsafeHTML(out); msg != "" {
		t.Error(msg)
	}
}

func TestRenderLimits(t *testing.T) {
	tests := []struct {
		name       string
		src        string
		tag        string
		wantCount  int
		wantAbsent bool
	}{
		{"nesting", strings.Repeat(">", 100) + " a", "<blockquote>", maxNesting - 1, false},
		{"list nesting", strings.Repeat("- ", 100) + "a", "<ul>", maxNesting / 2, false},
		{"emphasis", strings.Repeat("*a* ", 200), "<em>", maxDelimiters / 2, false},
		{"strikethrough shares", strings.Repeat("*a* ", 40) + strings.Repeat("~~b~~ ", 100), "<del>", (maxDelimiters - 80) / 2, false},
		{"emphasis per block", strings.Repeat(strings.Repeat("*a* ", 100)+"\n\n", 3), "<em>", 3 * maxDelimiters / 2, false},
		{"links", strings.Repeat("[a](b) ", 200), "<a ", maxLinkMarks / 2, false}, // an opener and a closer each
		{"padded table", tableBomb(), "<table>", 0, true},
		{"escaped pipes", "|a|\n|-|\n" + strings.Repeat("|`\\|`\n", maxEscapedPipes+1), "<table>", 0, true},
		{"reference definitions", strings.Repeat("[a]: b\n", 1000) + "\n[a]", "<a ", 0, true},
		{"reference definitions under", strings.Repeat("[a]: b\n", 100) + "\n[a]", "<a ", 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := Render(tt.src)
			got := strings.Count(out, tt.tag)
			if tt.wantAbsent && got != 0 || !tt.wantAbsent && got != tt.wantCount {
				t.Errorf("%d × %s in %.300q…, want %d", got, tt.tag, out, tt.wantCount)
			}
		})
	}
}

func TestRenderBombs(t *testing.T) {
	for _, b := range bombs {
		t.Run(b.name, func(t *testing.T) {
			out := Render(b.src)
			if msg := unsafeHTML(out); msg != "" {
				t.Error(msg)
			}
			if len(out) > maxOutput+len(truncatedNote) {
				t.Errorf("%d bytes of HTML", len(out))
			}
		})
	}
}

// TestRenderConcurrent runs Render from several goroutines; under -race
// it checks the shared goldmark instance keeps no state between calls.
func TestRenderConcurrent(t *testing.T) {
	srcs := []string{"# a\n\n*b* [c](d)", "| a |\n|---|\n| `\\|` |", "[x][r]\n\n[r]: /y", "> > - *q*"}
	want := make([]string, len(srcs))
	for i, s := range srcs {
		want[i] = Render(s)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 50 {
				k := (g + i) % len(srcs)
				if got := Render(srcs[k]); got != want[k] {
					t.Errorf("Render(%q) = %q concurrently, %q alone", srcs[k], got, want[k])
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestEmphasisNestingBounded: one long run of delimiters is a single
// marker for the budget, yet it would open hundreds of nested elements;
// past maxEmphasis levels the tags go and the text stays.
func TestEmphasisNestingBounded(t *testing.T) {
	for _, src := range []string{
		strings.Repeat("_", 1000) + "Q" + strings.Repeat("_", 1000),
		strings.Repeat("*", 999) + "x" + strings.Repeat("*", 999),
		strings.Repeat("~~", 300) + "s" + strings.Repeat("~~", 300),
	} {
		out := Render(src)
		if n := strings.Count(out, "<strong>") + strings.Count(out, "<em>") + strings.Count(out, "<del>"); n > maxEmphasis {
			t.Errorf("Render(%.12q…) opens %d emphasis elements, want at most %d", src, n, maxEmphasis)
		}
		if !strings.ContainsAny(out, "Qxs") {
			t.Errorf("Render(%.12q…) lost the text: %.200s", src, out)
		}
	}
}
