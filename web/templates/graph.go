package templates

import (
	"strconv"
	"strings"

	"github.com/sirocco-project/sirocco/internal/graph"
)

// GraphView is the picture of a workflow, or of an execution of it.
type GraphView struct {
	Layout graph.Layout
	// Key changes when the picture does: the page script replaces the
	// region only then.
	Key string
	// Label names the picture for screen readers.
	Label string
	// Run shows the states' legend: the picture is of an execution.
	Run bool
	// Error says why there is no picture (e.g. a definition that no longer
	// parses); the page shows the rest.
	Error string
}

// num writes a coordinate for an SVG attribute.
func num(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// marker picks the arrowhead matching an edge's kind, so that it has the
// edge's colour (markers do not inherit it).
func marker(class string) string {
	for _, k := range []string{"e-success", "e-error", "e-complete"} {
		if strings.Contains(class, k) {
			return "url(#g-" + k + ")"
		}
	}
	return "url(#g-e-other)"
}

// edgeClass adds "loop" to a route drawn round the side.
func edgeClass(r graph.Route) string {
	if r.Loop {
		return r.Class + " loop"
	}
	return r.Class
}
