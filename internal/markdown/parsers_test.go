package markdown

import (
	"fmt"
	"testing"

	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/util"
)

// TestParsersMirrorDefaults checks that blockParsers, inlineParsers and
// paragraphTransformers are goldmark's defaults, same parsers at the same
// priorities, once the bounding wrappers are looked through: a goldmark
// upgrade that adds or moves one fails here rather than silently parsing
// differently.
func TestParsersMirrorDefaults(t *testing.T) {
	for _, tt := range []struct {
		name           string
		ours, defaults []util.PrioritizedValue
	}{
		{"block", blockParsers(), parser.DefaultBlockParsers()},
		{"inline", inlineParsers()[:len(parser.DefaultInlineParsers())], parser.DefaultInlineParsers()},
		{"paragraph", paragraphTransformers()[:len(parser.DefaultParagraphTransformers())], parser.DefaultParagraphTransformers()},
	} {
		if len(tt.ours) != len(tt.defaults) {
			t.Errorf("%s: %d parsers, goldmark has %d", tt.name, len(tt.ours), len(tt.defaults))
			continue
		}
		for i := range tt.ours {
			got := fmt.Sprintf("%T@%d", unwrap(tt.ours[i].Value), tt.ours[i].Priority)
			want := fmt.Sprintf("%T@%d", tt.defaults[i].Value, tt.defaults[i].Priority)
			if got != want {
				t.Errorf("%s parser %d: %s, goldmark has %s", tt.name, i, got, want)
			}
		}
	}
}

func unwrap(v any) any {
	switch v := v.(type) {
	case shallow:
		return v.BlockParser
	case budgeted:
		return v.InlineParser
	case boundedReferences:
		return v.inner
	}
	return v
}
