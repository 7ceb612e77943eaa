package graph

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
)

// shapes are graphs of 200 nodes of the kinds workflows have: a chain, a
// fan out and in, a wide join, a grid with retries looping back, and a
// random graph with back edges.
func shapes() map[string]Graph {
	const n = 200
	node := func(i int) Node {
		return Node{ID: fmt.Sprint("t", i), Label: fmt.Sprintf("task_number_%d_with_a_name", i), Sub: "std.echo", Shape: Box}
	}
	nodes := func() []Node {
		ns := make([]Node, n)
		for i := range ns {
			ns[i] = node(i)
		}
		return ns
	}
	g := map[string]Graph{}
	chain := Graph{Nodes: nodes()}
	for i := 1; i < n; i++ {
		chain.Edges = append(chain.Edges, Edge{From: fmt.Sprint("t", i-1), To: fmt.Sprint("t", i)})
	}
	g["chain"] = chain
	fan := Graph{Nodes: nodes()}
	for i := 1; i < n-1; i++ {
		fan.Edges = append(fan.Edges, Edge{From: "t0", To: fmt.Sprint("t", i)}, Edge{From: fmt.Sprint("t", i), To: fmt.Sprint("t", n-1)})
	}
	g["fan"] = fan
	grid := Graph{Nodes: nodes()}
	for i := range n {
		if i%10 != 9 {
			grid.Edges = append(grid.Edges, Edge{From: fmt.Sprint("t", i), To: fmt.Sprint("t", i+1)})
		}
		if i+10 < n {
			grid.Edges = append(grid.Edges, Edge{From: fmt.Sprint("t", i), To: fmt.Sprint("t", i+10)})
		}
		if i%7 == 3 && i > 20 {
			grid.Edges = append(grid.Edges, Edge{From: fmt.Sprint("t", i), To: fmt.Sprint("t", i-20)})
		}
	}
	g["grid"] = grid
	r := rand.New(rand.NewPCG(1, 2))
	random := Graph{Nodes: nodes()}
	for i := range n {
		for range 1 + r.IntN(3) {
			random.Edges = append(random.Edges, Edge{From: fmt.Sprint("t", i), To: fmt.Sprint("t", r.IntN(n))})
		}
	}
	for i := range random.Nodes {
		random.Nodes[i].Label = random.Nodes[i].Label[:min(len(random.Nodes[i].Label), 5+r.IntN(30))] + fmt.Sprint(i)
		random.Nodes[i].Shape = []Shape{Box, Pill, Octagon, Hexagon, Slant, Notch, Terminal}[r.IntN(7)]
	}
	g["random"] = random
	return g
}

// TestNoOverlap checks every pair of node boxes of 200-node graphs: none
// overlap, nor come closer than a gap a line can pass through.
func TestNoOverlap(t *testing.T) {
	for name, g := range shapes() {
		t.Run(name, func(t *testing.T) {
			l, err := Lay(g)
			if err != nil {
				t.Fatal(err)
			}
			if len(l.Nodes) != len(g.Nodes) || len(l.Edges) != len(g.Edges) {
				t.Fatalf("%d nodes, %d edges laid out of %d, %d", len(l.Nodes), len(l.Edges), len(g.Nodes), len(g.Edges))
			}
			// The picture starts at its left edge (at most a long edge's
			// bend to the left of the first box): its box opens on nodes.
			left := l.Width
			for _, n := range l.Nodes {
				left = min(left, n.X)
			}
			if left > margin+dummyW+gapX {
				t.Errorf("the leftmost node is at x=%v of %v", left, l.Width)
			}
			const gap = 8
			for i, a := range l.Nodes {
				if a.X < 0 || a.Y < 0 || a.X+a.W > l.Width || a.Y+a.H > l.Height {
					t.Errorf("%s at %v,%v %vx%v is outside %vx%v", a.ID, a.X, a.Y, a.W, a.H, l.Width, l.Height)
				}
				if a.W < NodeWidth(a.Node) {
					t.Errorf("%s is %v wide, narrower than its label needs", a.ID, a.W)
				}
				for _, b := range l.Nodes[i+1:] {
					if a.X < b.X+b.W+gap && b.X < a.X+a.W+gap && a.Y < b.Y+b.H+gap && b.Y < a.Y+a.H+gap {
						t.Fatalf("%s (%v,%v %vx%v) and %s (%v,%v %vx%v) overlap", a.ID, a.X, a.Y, a.W, a.H, b.ID, b.X, b.Y, b.W, b.H)
					}
				}
			}
		})
	}
}

// TestLayers: an edge that is not a loop goes down; back edges and self
// loops are the loops.
func TestLayers(t *testing.T) {
	g := Graph{
		Nodes: []Node{{ID: "a"}, {ID: "b"}, {ID: "c"}, {ID: "d"}},
		Edges: []Edge{{From: "a", To: "b"}, {From: "b", To: "c"}, {From: "c", To: "a"}, {From: "c", To: "c"}, {From: "a", To: "c"}, {From: "b", To: "d"}},
	}
	l, err := Lay(g)
	if err != nil {
		t.Fatal(err)
	}
	layer := map[string]int{}
	for _, n := range l.Nodes {
		layer[n.ID] = n.Layer
	}
	if want := map[string]int{"a": 0, "b": 1, "c": 2, "d": 2}; !reflect.DeepEqual(layer, want) {
		t.Errorf("layers %v, want %v", layer, want)
	}
	var loops []string
	for _, e := range l.Edges {
		if e.Loop {
			loops = append(loops, e.From+e.To)
		}
		if e.Path == "" {
			t.Errorf("%s→%s has no path", e.From, e.To)
		}
	}
	if !reflect.DeepEqual(loops, []string{"ca", "cc"}) {
		t.Errorf("loops %v, want [ca cc]", loops)
	}
}

func TestDeterministic(t *testing.T) {
	g := shapes()["random"]
	a, _ := Lay(g)
	b, _ := Lay(g)
	if !reflect.DeepEqual(a, b) {
		t.Error("two layouts of one graph differ")
	}
}

func TestErrors(t *testing.T) {
	if _, err := Lay(Graph{Nodes: []Node{{ID: "a"}, {ID: "a"}}}); !errors.Is(err, ErrDuplicate) {
		t.Errorf("duplicate: %v", err)
	}
	if _, err := Lay(Graph{Nodes: []Node{{ID: "a"}}, Edges: []Edge{{From: "a", To: "b"}}}); !errors.Is(err, ErrUnknown) {
		t.Errorf("unknown: %v", err)
	}
	if l, err := Lay(Graph{}); err != nil || len(l.Nodes) != 0 || l.Height <= 0 {
		t.Errorf("empty: %+v %v", l, err)
	}
}

func TestClip(t *testing.T) {
	long := "a_very_long_task_name_that_goes_on_and_on"
	if c := []rune(Clip(long)); len(c) != MaxLabel || c[len(c)-1] != '…' {
		t.Errorf("Clip(%q) = %q", long, string(c))
	}
	if Clip("short") != "short" {
		t.Error("a short label was clipped")
	}
}

func BenchmarkLay200(b *testing.B) {
	for name, g := range shapes() {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Lay(g); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestCurve: an edge starts at its source's bottom and ends at its
// target's top; a straight run through bends is one line.
func TestCurve(t *testing.T) {
	for _, c := range []struct {
		pts  [][2]float64
		want string
	}{
		{[][2]float64{{10, 0}, {10, 50}, {10, 100}, {10, 150}}, "M10.0 0.0 L10.0 150.0"},
		{[][2]float64{{10, 0}, {30, 40}}, "M10.0 0.0 C10.0 20.0 30.0 20.0 30.0 40.0"},
		{[][2]float64{{10, 0}, {30, 40}, {30, 80}, {30, 120}, {50, 160}}, "M10.0 0.0 C10.0 20.0 30.0 20.0 30.0 40.0 L30.0 120.0 C30.0 140.0 50.0 140.0 50.0 160.0"},
	} {
		if got := curve(c.pts); got != c.want {
			t.Errorf("curve(%v) = %q, want %q", c.pts, got, c.want)
		}
	}
}
