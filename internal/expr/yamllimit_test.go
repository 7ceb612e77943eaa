package expr

import (
	"strings"
	"testing"
)

// TestYAMLParseNodeLimit: yaml_parse refuses a document past maxYAMLNodes,
// naming the limit.
func TestYAMLParseNodeLimit(t *testing.T) {
	_, err := fnYAMLParse(nil, []any{strings.Repeat("- a\n", 300_000)})
	if err == nil || !strings.Contains(err.Error(), "200000 YAML nodes") {
		t.Fatalf("yaml_parse(300,000 items) = %v, want the node limit named", err)
	}
	if _, err := fnYAMLParse(nil, []any{strings.Repeat("- a\n", 1000)}); err != nil {
		t.Errorf("yaml_parse(1,000 items) = %v", err)
	}
}
