package dsl

import (
	"fmt"

	"github.com/sirocco-project/sirocco/internal/expr"
	"gopkg.in/yaml.v3"
)

// TypeWarnings lists the strings of a valid definition whose value changed
// type under the interpolation rule: one expression with whitespace around
// it (" <% $.n %>", a block scalar's "<% $.n %>\n") used to give the
// expression's typed value and now gives a string, as in Mistral. Each
// warning names the line and column and how to keep the typed value.
func TypeWarnings(src []byte) []string {
	if err := checkNodes(src); err != nil {
		return nil
	}
	p := newParser(src)
	root, err := p.load()
	if err != nil {
		return nil
	}
	var out []string
	seen := map[*yaml.Node]bool{} // aliases point at nodes already walked
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n == nil || seen[n] {
			return
		}
		seen[n] = true
		if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" && expr.TypeChanges(n.Value) {
			out = append(out, fmt.Sprintf("line %d, column %d: %q is one expression with whitespace around it: it now gives a string, as in Mistral (it gave the expression's value); remove the whitespace to keep the value's type",
				n.Line, n.Column, n.Value))
		}
		for _, c := range n.Content {
			walk(c)
		}
		walk(n.Alias)
	}
	walk(root)
	return out
}
