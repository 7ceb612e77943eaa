package web

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/url"
	"strings"
	"time"

	"github.com/sirocco-project/sirocco/internal/dsl"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/graph"
	"github.com/sirocco-project/sirocco/web/templates"
)

// runState is what an execution adds to its workflow's picture: each
// task's latest run, the transitions that fired and the actions waiting.
type runState struct {
	tasks   map[string]*taskRun // by task name
	taken   map[takenKey]bool
	now     time.Time
	actions map[string]templates.Link // waiting action by task execution id
	// children are the sub-workflow executions' pages by task execution id.
	children map[string]string
}

type taskRun struct {
	latest *engine.Task
	runs   int
}

// takenKey is a transition that fired: from a task, on an event, to one.
type takenKey struct{ from, event, to string }

// newRunState reads tasks (oldest first) for the picture.
func newRunState(tasks []*engine.Task, waiting map[string][]templates.Link, now time.Time) *runState {
	rs := &runState{tasks: map[string]*taskRun{}, taken: map[takenKey]bool{}, now: now, actions: map[string]templates.Link{}}
	names := make(map[string]string, len(tasks))
	for _, t := range tasks {
		names[t.ID] = t.Name
		r := rs.tasks[t.Name]
		if r == nil {
			r = &taskRun{}
			rs.tasks[t.Name] = r
		}
		r.latest = t
		r.runs++
		if ls := waiting[t.ID]; len(ls) > 0 {
			rs.actions[t.ID] = ls[0]
		}
	}
	for _, t := range tasks {
		if !strings.Contains(t.RuntimeContextJSON, "triggered_by") {
			continue
		}
		var rc struct {
			TriggeredBy []struct {
				TaskID string `json:"task_id"`
				Event  string `json:"event"`
			} `json:"triggered_by"`
		}
		if json.Unmarshal([]byte(t.RuntimeContextJSON), &rc) != nil {
			continue // an unreadable context leaves the path undrawn, not the page
		}
		for _, tr := range rc.TriggeredBy {
			if from, ok := names[tr.TaskID]; ok {
				rs.taken[takenKey{from, tr.Event, t.Name}] = true
			}
		}
	}
	return rs
}

// stateLook is a state's outline and glyph: the picture tells states
// apart by shape as well as colour.
var stateLook = map[engine.State]struct {
	shape graph.Shape
	glyph string
}{
	engine.StateIdle:      {graph.Slant, "◷"},
	engine.StateWaiting:   {graph.Slant, "◷"},
	engine.StateDelayed:   {graph.Slant, "◷"},
	engine.StateRunning:   {graph.Hexagon, "▶"},
	engine.StatePaused:    {graph.Notch, "❚❚"},
	engine.StateSuccess:   {graph.Pill, "✓"},
	engine.StateError:     {graph.Octagon, "✗"},
	engine.StateCancelled: {graph.Notch, "⊘"},
}

// workflowGraph draws spec; with rs, as that execution ran it.
func workflowGraph(spec *dsl.Workflow, rs *runState) (templates.GraphView, error) {
	var g graph.Graph
	g.Nodes = make([]graph.Node, 0, len(spec.TaskOrder))
	for _, name := range spec.TaskOrder {
		g.Nodes = append(g.Nodes, taskNode(spec.Tasks[name], rs))
	}
	for _, name := range spec.TaskOrder {
		t := spec.Tasks[name]
		for _, r := range t.Requires { // reverse workflows: what a task needs comes first
			if _, ok := spec.Tasks[r]; ok {
				g.Edges = append(g.Edges, graph.Edge{From: "t:" + r, To: "t:" + name, Class: "g-edge e-requires", Title: name + " requires " + r})
			}
		}
		for _, c := range []struct {
			event string
			trs   []dsl.Transition
		}{{"on-success", t.OnSuccess}, {"on-error", t.OnError}, {"on-complete", t.OnComplete}} {
			for i, tr := range c.trs {
				title := name + " " + c.event + " → " + tr.Target
				if tr.Guard != "" {
					title += " when " + tr.Guard
				}
				class := "g-edge e-" + strings.TrimPrefix(c.event, "on-")
				to := "t:" + tr.Target
				if _, ok := spec.Tasks[tr.Target]; !ok {
					if !spec.IsCommand(tr) {
						continue // the parser refuses these; nothing to draw
					}
					// Each command gets a node of its own: a shared "fail"
					// would tie unrelated branches together.
					to = fmt.Sprintf("c:%s:%s:%d", name, c.event, i)
					g.Nodes = append(g.Nodes, graph.Node{ID: to, Label: tr.Target, Shape: graph.Terminal,
						Class: "g-node g-cmd cmd-" + tr.Target, Title: "engine command " + tr.Target})
				}
				if tr.Guard != "" {
					class += " guarded"
				}
				if rs != nil && rs.taken[takenKey{name, c.event, tr.Target}] {
					class += " taken"
				}
				g.Edges = append(g.Edges, graph.Edge{From: "t:" + name, To: to, Class: class, Title: title})
			}
		}
	}
	l, err := graph.Lay(g)
	if err != nil {
		return templates.GraphView{}, fmt.Errorf("web: drawing workflow %s: %w", spec.Name, err)
	}
	return templates.GraphView{Layout: l, Key: graphKey(l), Label: "Graph of workflow " + spec.Name}, nil
}

func taskNode(t *dsl.Task, rs *runState) graph.Node {
	var kind []string
	class := "g-node"
	switch {
	case t.Workflow != "":
		kind = append(kind, "↳ "+t.Workflow)
		class += " k-workflow"
	default:
		kind = append(kind, t.Action)
	}
	if t.WithItems != nil {
		kind = append(kind, "with-items")
		class += " k-items"
	}
	if t.Join != nil {
		kind = append(kind, fmt.Sprint("join ", t.Join))
		class += " k-join"
	}
	n := graph.Node{ID: "t:" + t.Name, Label: t.Name, Sub: strings.Join(kind, " · "), Shape: graph.Box, Data: t.Name}
	n.Title = t.Name + "\n" + n.Sub
	if t.Description != "" {
		n.Title += "\n" + t.Description
	}
	if rs == nil {
		if t.Workflow != "" {
			n.URL = "/workflows/" + url.PathEscape(t.Workflow)
		}
		n.Class = class
		return n
	}
	run := rs.tasks[t.Name]
	if run == nil {
		n.Sub = "○ not run"
		n.Class = class + " s-none"
		return n
	}
	task := run.latest
	look := stateLook[task.State]
	if look.shape == "" {
		look.shape, look.glyph = graph.Box, "?"
	}
	n.Shape = look.shape
	n.Class = class + " s-" + strings.ToLower(string(task.State))
	sub := look.glyph + " " + strings.ToLower(string(task.State))
	if task.StartedAt != nil {
		end := rs.now
		if task.FinishedAt != nil {
			end = *task.FinishedAt
		}
		sub += " · " + templates.Duration(end.Sub(*task.StartedAt))
	}
	if run.runs > 1 {
		sub += fmt.Sprintf(" · ×%d", run.runs)
	}
	n.URL = "#task-" + task.ID
	if u, ok := rs.children[task.ID]; ok {
		n.URL = u
	}
	if a, ok := rs.actions[task.ID]; ok {
		sub += " · decide"
		n.URL = a.URL
		n.Class += " waiting"
		n.Title += "\n" + a.Text
	}
	n.Sub = sub
	n.Title += "\n" + string(task.State)
	if task.StateInfo != nil && *task.StateInfo != "" {
		n.Title += ": " + clip(*task.StateInfo, 200)
	}
	n.Data = task.ID
	return n
}

// graphKey changes when the picture does, so that a live refresh leaves
// an unchanged graph's elements alone.
func graphKey(l graph.Layout) string {
	h := fnv.New64a()
	for _, n := range l.Nodes {
		fmt.Fprint(h, n.ID, n.Class, n.Sub, n.URL, n.X, n.Y, "\x00")
	}
	for _, e := range l.Edges {
		fmt.Fprint(h, e.Class, "\x00")
	}
	return fmt.Sprintf("%x", h.Sum64())
}

// definitionGraph pictures a stored definition; one that does not parse
// any more (written by another version) costs the picture, not the page.
func definitionGraph(definition string, rs *runState) templates.GraphView {
	spec, err := specOf(definition)
	if err == nil {
		var v templates.GraphView
		if v, err = workflowGraph(spec, rs); err == nil {
			v.Run = rs != nil
			return v
		}
	}
	return templates.GraphView{Error: "No graph: " + err.Error()}
}

// specOf parses a stored definition for its picture.
func specOf(definition string) (*dsl.Workflow, error) {
	doc, err := dsl.Parse([]byte(definition))
	if err != nil {
		return nil, err
	}
	if len(doc.Workflows) != 1 {
		return nil, fmt.Errorf("web: a stored definition holds %d workflows", len(doc.Workflows))
	}
	return doc.Workflows[0], nil
}
