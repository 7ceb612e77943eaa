// Package graph lays out a directed graph in layers, top to bottom, for
// drawing as SVG: the workflow and execution pictures of the dashboard.
//
// It is a small Sugiyama-style layout of its own rather than Graphviz
// (github.com/goccy/go-graphviz runs it as WebAssembly): workflows are
// graphs of tens to a few hundred boxes, for which cycle breaking, longest
// path layers, a few barycentre sweeps and a left-to-right packing give a
// legible picture in well under a millisecond per hundred nodes, with no
// runtime to load, no text measuring to fake and output we control to
// the attribute (the CSP forbids inline styles).
//
// The package knows nothing of workflows: callers build a Graph of nodes
// and edges with their own labels and classes.
package graph

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
)

// Shape is the outline a node is drawn with. Together with its class (the
// colour) it tells a node's state to people who cannot tell colours apart.
type Shape string

// Outlines.
const (
	Box      Shape = "box"      // a rectangle with rounded corners
	Pill     Shape = "pill"     // fully rounded ends
	Octagon  Shape = "octagon"  // corners cut
	Hexagon  Shape = "hexagon"  // pointed left and right sides
	Slant    Shape = "slant"    // a parallelogram
	Notch    Shape = "notch"    // one corner cut
	Terminal Shape = "terminal" // a small circle-ended box for engine commands
)

// Node is one box of the graph.
type Node struct {
	ID    string // unique within the graph
	Label string // first line
	Sub   string // second line, may be empty
	Shape Shape
	Class string // CSS classes for the node's group
	URL   string // where the node links to, may be empty
	Title string // the tooltip, e.g. the full name of a clipped label
	// Data is carried to the placed node untouched (e.g. a task's id).
	Data string
}

// Edge is one arrow from From to To.
type Edge struct {
	From, To string
	Class    string // CSS classes
	Title    string // tooltip
}

// Graph is what Lay lays out.
type Graph struct {
	Nodes []Node
	Edges []Edge
}

// Sizes in SVG user units (CSS pixels: the SVG is drawn at 1:1 so labels
// keep their size, and scrolls in its box when it is larger).
const (
	FontSize    = 13 // label size; the issue asks for at least 12 px
	SubFontSize = 12
	charWidth   = 7.8 // an upper bound of the sans-serif advance at 13 px
	padX        = 14
	nodeH       = 44
	nodeHOne    = 30 // a node without a second line
	gapX        = 24
	gapY        = 56
	margin      = 16
	dummyW      = 8
	// MaxLabel clips labels, so that one long name does not widen its
	// whole layer; the full name is in the node's title.
	MaxLabel = 32
	minW     = 72
)

// Placed is a node with its box: X, Y is the top left corner.
type Placed struct {
	Node
	X, Y, W, H float64
	Layer      int
}

// Route is an edge with its drawn path.
type Route struct {
	Edge
	// Path is an SVG path ("M … C …") from the source's bottom to the
	// target's top; a loop goes round the right of the nodes it spans.
	Path string
	Loop bool
}

// Layout is a graph laid out.
type Layout struct {
	Width, Height float64
	Nodes         []Placed // the graph's nodes, in its order
	Edges         []Route  // the graph's edges, in its order
}

// Errors Lay returns.
var (
	ErrDuplicate = errors.New("graph: duplicate node id")
	ErrUnknown   = errors.New("graph: edge to an unknown node")
)

type vertex struct {
	w, h  float64
	layer int
	order int
	x     float64
	in    []int // predecessors in the layered (acyclic, unit-span) graph
	out   []int
	pos   float64 // barycentre during ordering
}

// Lay lays g out. Nodes keep their order in g where nothing else decides,
// so the same graph always gives the same picture.
func Lay(g Graph) (Layout, error) {
	idx := make(map[string]int, len(g.Nodes))
	vs := make([]vertex, len(g.Nodes), len(g.Nodes)*2)
	for i, n := range g.Nodes {
		if _, dup := idx[n.ID]; dup {
			return Layout{}, fmt.Errorf("%w: %q", ErrDuplicate, n.ID)
		}
		idx[n.ID] = i
		vs[i] = vertex{w: NodeWidth(n), h: nodeHeight(n)}
	}
	type arc struct{ from, to int }
	arcs := make([]arc, len(g.Edges))
	succ := make([][]int, len(g.Nodes))
	for i, e := range g.Edges {
		f, ok1 := idx[e.From]
		t, ok2 := idx[e.To]
		if !ok1 || !ok2 {
			return Layout{}, fmt.Errorf("%w: %q → %q", ErrUnknown, e.From, e.To)
		}
		arcs[i] = arc{f, t}
		succ[f] = append(succ[f], t)
	}

	// Break cycles: a depth-first search from the nodes in order marks the
	// edges that go back to a node on the stack; they are drawn as loops
	// and left out of the layering.
	back := backEdges(len(g.Nodes), succ)
	isBack := func(i int) bool { return arcs[i].from == arcs[i].to || back[[2]int{arcs[i].from, arcs[i].to}] }

	// Longest-path layers over the forward edges, in topological order.
	indeg := make([]int, len(g.Nodes))
	fwd := make([][]int, len(g.Nodes))
	for i, a := range arcs {
		if isBack(i) {
			continue
		}
		fwd[a.from] = append(fwd[a.from], a.to)
		indeg[a.to]++
	}
	queue := make([]int, 0, len(g.Nodes))
	for i := range vs {
		if indeg[i] == 0 {
			queue = append(queue, i)
		}
	}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, t := range fwd[v] {
			vs[t].layer = max(vs[t].layer, vs[v].layer+1)
			if indeg[t]--; indeg[t] == 0 {
				queue = append(queue, t)
			}
		}
	}

	// Long forward edges pass through one dummy per layer they cross, so
	// that ordering keeps them apart from nodes and the path has bends.
	chains := make([][]int, len(arcs))
	for i, a := range arcs {
		if isBack(i) {
			continue
		}
		prev := a.from
		chain := []int{a.from}
		for l := vs[a.from].layer + 1; l < vs[a.to].layer; l++ {
			vs = append(vs, vertex{w: dummyW, h: 0, layer: l})
			d := len(vs) - 1
			vs[prev].out = append(vs[prev].out, d)
			vs[d].in = append(vs[d].in, prev)
			chain = append(chain, d)
			prev = d
		}
		vs[prev].out = append(vs[prev].out, a.to)
		vs[a.to].in = append(vs[a.to].in, prev)
		chains[i] = append(chain, a.to)
	}

	layers := order(vs)
	place(vs, layers)

	var out Layout
	out.Nodes = make([]Placed, len(g.Nodes))
	var width float64
	ys := make([]float64, len(layers)+1)
	ys[0] = margin
	for l, layer := range layers {
		h := 0.0
		for _, v := range layer {
			h = max(h, vs[v].h)
		}
		ys[l+1] = ys[l] + h + gapY
	}
	for i, n := range g.Nodes {
		v := vs[i]
		out.Nodes[i] = Placed{Node: n, X: v.x, Y: ys[v.layer], W: v.w, H: v.h, Layer: v.layer}
	}
	for _, v := range vs {
		width = max(width, v.x+v.w)
	}
	out.Edges = make([]Route, len(g.Edges))
	loopX := width + gapX/2
	for i, e := range g.Edges {
		r := Route{Edge: e}
		if isBack(i) {
			r.Loop = true
			r.Path = loopPath(out.Nodes[arcs[i].from], out.Nodes[arcs[i].to], &loopX)
		} else {
			pts := make([][2]float64, 0, len(chains[i])+1)
			src := out.Nodes[arcs[i].from]
			pts = append(pts, [2]float64{src.X + src.W/2, src.Y + src.H})
			for _, d := range chains[i][1 : len(chains[i])-1] {
				x := vs[d].x + dummyW/2
				pts = append(pts, [2]float64{x, ys[vs[d].layer]}, [2]float64{x, ys[vs[d].layer] + nodeH})
			}
			dst := out.Nodes[arcs[i].to]
			pts = append(pts, [2]float64{dst.X + dst.W/2, dst.Y})
			r.Path = curve(pts)
		}
		out.Edges[i] = r
	}
	out.Width = max(width, loopX) + margin
	out.Height = ys[len(layers)] - gapY + margin
	if len(layers) == 0 {
		out.Height = 2 * margin
	}
	return out, nil
}

// backEdges finds, by an iterative depth-first search from each node in
// order, the edges that close a cycle.
func backEdges(n int, succ [][]int) map[[2]int]bool {
	back := map[[2]int]bool{}
	const (
		white = iota
		grey
		black
	)
	colour := make([]int8, n)
	type frame struct{ v, next int }
	for root := range n {
		if colour[root] != white {
			continue
		}
		stack := []frame{{root, 0}}
		colour[root] = grey
		for len(stack) > 0 {
			f := &stack[len(stack)-1]
			if f.next == len(succ[f.v]) {
				colour[f.v] = black
				stack = stack[:len(stack)-1]
				continue
			}
			t := succ[f.v][f.next]
			f.next++
			switch colour[t] {
			case grey:
				back[[2]int{f.v, t}] = true
			case white:
				colour[t] = grey
				stack = append(stack, frame{t, 0})
			}
		}
	}
	return back
}

// order groups the vertices by layer and orders each layer by the
// barycentre of its neighbours, sweeping down and up a few times.
func order(vs []vertex) [][]int {
	n := 0
	for _, v := range vs {
		n = max(n, v.layer+1)
	}
	layers := make([][]int, n)
	for i := range vs {
		l := vs[i].layer
		vs[i].order = len(layers[l])
		layers[l] = append(layers[l], i)
	}
	sweep := func(l int, nb func(v *vertex) []int) {
		layer := layers[l]
		for _, v := range layer {
			ns := nb(&vs[v])
			if len(ns) == 0 {
				vs[v].pos = float64(vs[v].order)
				continue
			}
			s := 0.0
			for _, u := range ns {
				s += float64(vs[u].order)
			}
			vs[v].pos = s / float64(len(ns))
		}
		slices.SortStableFunc(layer, func(a, b int) int {
			switch {
			case vs[a].pos < vs[b].pos:
				return -1
			case vs[a].pos > vs[b].pos:
				return 1
			}
			return 0
		})
		for i, v := range layer {
			vs[v].order = i
		}
	}
	in := func(v *vertex) []int { return v.in }
	out := func(v *vertex) []int { return v.out }
	for range 4 {
		for l := 1; l < n; l++ {
			sweep(l, in)
		}
		for l := n - 2; l >= 0; l-- {
			sweep(l, out)
		}
	}
	return layers
}

// place gives each vertex its x: packed left to right per layer, then
// pulled towards the centre of its parents (downwards) and children
// (upwards) without ever closing a gap below gapX, so boxes never overlap.
func place(vs []vertex, layers [][]int) {
	for _, layer := range layers {
		x := float64(margin)
		for _, v := range layer {
			vs[v].x = x
			x += vs[v].w + gapX
		}
	}
	pull := func(layer []int, nb func(v *vertex) []int) {
		want := make([]float64, len(layer))
		for i, v := range layer {
			ns := nb(&vs[v])
			if len(ns) == 0 {
				want[i] = vs[v].x
				continue
			}
			s := 0.0
			for _, u := range ns {
				s += vs[u].x + vs[u].w/2
			}
			want[i] = s/float64(len(ns)) - vs[v].w/2
		}
		// Left to right: each box at its wish or just right of the previous.
		x := float64(margin)
		for i, v := range layer {
			vs[v].x = max(want[i], x)
			x = vs[v].x + vs[v].w + gapX
		}
		// Right to left: boxes pushed past their wish come back as far as
		// the next box allows, which spreads a crowd round its centre.
		limit := vs[layer[len(layer)-1]].x + vs[layer[len(layer)-1]].w
		for i := len(layer) - 1; i >= 0; i-- {
			v := layer[i]
			right := min(max(want[i], float64(margin))+vs[v].w, limit)
			lo := float64(margin)
			if i > 0 {
				p := layer[i-1]
				lo = vs[p].x + vs[p].w + gapX
			}
			vs[v].x = max(right-vs[v].w, lo)
			limit = vs[v].x - gapX
		}
	}
	in := func(v *vertex) []int { return v.in }
	out := func(v *vertex) []int { return v.out }
	for range 2 {
		for l := 1; l < len(layers); l++ {
			pull(layers[l], in)
		}
		for l := len(layers) - 2; l >= 0; l-- {
			pull(layers[l], out)
		}
	}
	for l := 1; l < len(layers); l++ {
		pull(layers[l], in)
	}
	// Pulls only move boxes right of the margin; bring the leftmost back
	// to it, so that the picture starts where its box does.
	left := math.Inf(1)
	for _, v := range vs {
		left = min(left, v.x)
	}
	for i := range vs {
		vs[i].x -= left - margin
	}
}

// NodeWidth is the width n is drawn with: its longer line, clipped.
func NodeWidth(n Node) float64 {
	c := max(len([]rune(Clip(n.Label))), len([]rune(Clip(n.Sub))))
	w := float64(c)*charWidth + 2*padX
	if n.Shape == Hexagon || n.Shape == Slant || n.Shape == Octagon {
		w += 12 // the slanted sides take room from the text
	}
	return max(w, minW)
}

func nodeHeight(n Node) float64 {
	if n.Sub == "" {
		return nodeHOne
	}
	return nodeH
}

// Clip shortens s to MaxLabel characters, with an ellipsis.
func Clip(s string) string {
	r := []rune(s)
	if len(r) <= MaxLabel {
		return s
	}
	return string(r[:MaxLabel-1]) + "…"
}

func curve(pts [][2]float64) string {
	// A long edge runs straight down through its bends' columns: points
	// in line with their neighbours add nothing to draw.
	kept := pts[:1]
	for i := 1; i < len(pts)-1; i++ {
		a, b, c := kept[len(kept)-1], pts[i], pts[i+1]
		if a[0] == b[0] && b[0] == c[0] {
			continue
		}
		kept = append(kept, b)
	}
	if len(pts) > 1 {
		kept = append(kept, pts[len(pts)-1])
	}
	b := make([]byte, 0, 48*len(kept))
	b = append(b, 'M')
	b = appendPoint(b, kept[0])
	for i := 1; i < len(kept); i++ {
		a, c := kept[i-1], kept[i]
		if a[0] == c[0] {
			b = append(b, " L"...)
			b = appendPoint(b, c)
			continue
		}
		my := (a[1] + c[1]) / 2
		b = append(b, " C"...)
		b = appendPoint(b, [2]float64{a[0], my})
		b = append(b, ' ')
		b = appendPoint(b, [2]float64{c[0], my})
		b = append(b, ' ')
		b = appendPoint(b, c)
	}
	return string(b)
}

func appendPoint(b []byte, p [2]float64) []byte {
	b = strconv.AppendFloat(b, p[0], 'f', 1, 64)
	b = append(b, ' ')
	return strconv.AppendFloat(b, p[1], 'f', 1, 64)
}

// loopPath draws a back edge (or a self loop) from the right side of from
// up to the right side of to, round the right of the picture's column
// at *x, each loop a little further out so they do not overlap.
func loopPath(from, to Placed, x *float64) string {
	fx, fy := from.X+from.W, from.Y+from.H/2
	tx, ty := to.X+to.W, to.Y+to.H/2
	if from.ID == to.ID {
		return fmt.Sprintf("M%.1f %.1f C%.1f %.1f %.1f %.1f %.1f %.1f", fx, fy-6, fx+36, fy-26, fx+36, fy+26, fx, fy+6)
	}
	// Close loops stay close; the others go round everything between.
	lx := max(fx, tx) + 28
	if from.Layer-to.Layer > 1 {
		*x += 10
		lx = *x
	}
	return fmt.Sprintf("M%.1f %.1f C%.1f %.1f %.1f %.1f %.1f %.1f", fx, fy, lx, fy, lx, ty, tx, ty)
}
