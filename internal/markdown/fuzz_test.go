package markdown

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzRender checks that whatever the input, the HTML holds no <script,
// no on… attribute, no <img> (nor any element or attribute outside the
// short list Render writes), and no href a browser would read as anything
// but http, https, mailto or a relative URL. .ci/fuzz runs it.
func FuzzRender(f *testing.F) {
	seeds := []string{
		"# a\n\n*b* **c** [d](e) ![f](g) <h@i.j> https://k.example",
		"[x](javascript:alert(1)) [y](<java\tscript:x>) [z](&#106;avascript:x)",
		"[r]\n\n[r]: JAVASCRIPT:x",
		"<script>x</script>\n\n<a href=\"javascript:x\" onclick=y>z</a>",
		"| a | b |\n|:-|-:|\n| `\\|` | ~~c~~ |",
		"> - 1. ```go\n   x\n   ```",
		"![a [b](c)](d \"e\")",
	}
	files, _ := filepath.Glob("testdata/*.md")
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			seeds = append(seeds, string(b))
		}
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		out := Render(src)
		if msg := unsafeHTML(out); msg != "" {
			t.Fatalf("Render(%q) = %q: %s", src, out, msg)
		}
	})
}
