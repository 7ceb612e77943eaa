package web_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/web"
)

// pictured is a workflow with every kind of transition the graph draws.
const pictured = `---
version: '2.0'
child:
  tasks:
    one:
      action: std.noop
pictured:
  input:
    - go: false
  tasks:
    ask:
      action: std.async_noop
      on-success:
        - fan: <% $.go %>
        - finish
      on-error:
        - fix
        - fail
      on-complete:
        - audit
    fan:
      with-items: x in <% [1, 2] %>
      action: std.echo output=<% $.x %>
      on-success:
        - sub
    sub:
      workflow: child
      on-success:
        - finish
      on-error:
        - fan
    fix:
      action: std.noop
      on-success:
        - succeed
    audit:
      action: std.noop
    finish:
      join: all
      action: std.noop
`

// graphOf reads the rendered graph: node classes and shapes by name,
// edge classes by title.
type drawn struct {
	nodes map[string]*goquery.Selection // by label
	edges map[string]string             // class by title
	sel   *goquery.Selection
}

func graphOf(t *testing.T, doc *goquery.Selection) drawn {
	t.Helper()
	g := doc.Find(`[data-testid="graph"] svg`)
	if g.Length() != 1 {
		t.Fatalf("%d graphs on the page", g.Length())
	}
	d := drawn{nodes: map[string]*goquery.Selection{}, edges: map[string]string{}, sel: g}
	g.Find(`[data-testid="graph-node"]`).Each(func(_ int, n *goquery.Selection) {
		d.nodes[n.Find(".g-label").Text()] = n
	})
	g.Find(`[data-testid="graph-edge"]`).Each(func(_ int, e *goquery.Selection) {
		d.edges[e.Find("title").Text()] = e.AttrOr("class", "")
	})
	// Legible: every text at least 12 px; the CSP: no style attribute.
	g.Find("text").Each(func(_ int, s *goquery.Selection) {
		if px, err := strconv.ParseFloat(s.AttrOr("font-size", ""), 64); err != nil || px < 12 {
			t.Errorf("text %q has font-size %q", s.Text(), s.AttrOr("font-size", ""))
		}
	})
	if n := g.Find("[style]").Length(); n != 0 {
		t.Errorf("%d elements of the graph have a style attribute", n)
	}
	return d
}

func (d drawn) class(t *testing.T, label string) string {
	t.Helper()
	n, ok := d.nodes[label]
	if !ok {
		t.Fatalf("no node %q", label)
	}
	return n.AttrOr("class", "")
}

func TestWorkflowGraph(t *testing.T) {
	e := newEnv(t)
	if _, err := e.eng.CreateWorkflows(context.Background(), nil, pictured, "", engine.ScopePrivate); err != nil {
		t.Fatal(err)
	}
	p := e.get("/workflows/pictured")
	d := graphOf(t, p.doc.Selection)
	// Six tasks and the two engine commands, each a node of its own.
	if len(d.nodes) != 8 {
		t.Errorf("nodes %v, want 6 tasks and 2 commands", keys(d.nodes))
	}
	for label, want := range map[string][]string{
		"fan":     {"k-items"},
		"sub":     {"k-workflow"},
		"finish":  {"k-join"},
		"fail":    {"g-cmd", "cmd-fail"},
		"succeed": {"g-cmd", "cmd-succeed"},
	} {
		for _, w := range want {
			if c := d.class(t, label); !strings.Contains(c, w) {
				t.Errorf("%s's class %q lacks %s", label, c, w)
			}
		}
	}
	if sub := d.nodes["fan"].Find(".g-sub").Text(); sub != "std.echo · with-items" {
		t.Errorf("fan says %q", sub)
	}
	if sub := d.nodes["finish"].Find(".g-sub").Text(); sub != "std.noop · join all" {
		t.Errorf("finish says %q", sub)
	}
	if href, _ := d.nodes["sub"].Find("a").Attr("href"); href != "/workflows/child" {
		t.Errorf("the sub-workflow links to %q", href)
	}
	for title, want := range map[string]string{
		"ask on-success → fan when <% $.go %>": "g-edge e-success guarded",
		"ask on-success → finish":              "g-edge e-success",
		"ask on-error → fix":                   "g-edge e-error",
		"ask on-error → fail":                  "g-edge e-error",
		"ask on-complete → audit":              "g-edge e-complete",
		"sub on-error → fan":                   "g-edge e-error loop",
		"fix on-success → succeed":             "g-edge e-success",
	} {
		if got, ok := d.edges[title]; !ok || got != want {
			t.Errorf("edge %q: class %q, want %q (edges %v)", title, got, want, d.edges)
		}
	}
	// The workflow page is not an execution's: no states, no legend.
	if n := p.doc.Find(`[data-testid="graph-node"][class*=" s-"], .graph-legend`).Length(); n != 0 {
		t.Errorf("the workflow page shows %d state marks", n)
	}
}

// TestReverseWorkflowGraph: a reverse workflow's arrows go from what a
// task requires to the task.
func TestReverseWorkflowGraph(t *testing.T) {
	e := newEnv(t)
	if _, err := e.eng.CreateWorkflows(context.Background(), nil, `---
version: '2.0'
backwards:
  type: reverse
  tasks:
    build:
      action: std.noop
    test:
      action: std.noop
      requires: [build]
    ship:
      action: std.noop
      requires: [build, test]
`, "", engine.ScopePrivate); err != nil {
		t.Fatal(err)
	}
	d := graphOf(t, e.get("/workflows/backwards").doc.Selection)
	for _, title := range []string{"test requires build", "ship requires build", "ship requires test"} {
		if c := d.edges[title]; c != "g-edge e-requires" {
			t.Errorf("edge %q has class %q (edges %v)", title, c, d.edges)
		}
	}
	if len(d.edges) != 3 {
		t.Errorf("%d edges, want 3", len(d.edges))
	}
}

func TestExecutionGraph(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.eng.CreateWorkflows(ctx, nil, pictured, "", engine.ScopePrivate); err != nil {
		t.Fatal(err)
	}
	ex, err := e.eng.StartExecution(ctx, engine.StartRequest{WorkflowName: "pictured", Input: map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	list, err := e.eng.ListActionExecutions(ctx, engine.ListQuery{Filters: []engine.Filter{
		{Field: "workflow_execution_id", Op: engine.OpEq, Values: []string{ex.ID}}}})
	if err != nil || len(list) != 1 {
		t.Fatalf("action executions of %s = %v, %v", ex.ID, list, err)
	}
	action := list[0].ID

	p := e.get("/executions/" + ex.ID)
	d := graphOf(t, p.doc.Selection)
	ask := d.nodes["ask"]
	if c := ask.AttrOr("class", ""); !strings.Contains(c, "s-running") || !strings.Contains(c, "waiting") {
		t.Errorf("ask's class = %q, want running and waiting", c)
	}
	if s := ask.AttrOr("data-shape", ""); s != "hexagon" {
		t.Errorf("running ask is a %s", s)
	}
	if href, _ := ask.Find("a").Attr("href"); href != "/actions/"+action {
		t.Errorf("the waiting task links to %q, want its action", href)
	}
	if sub := ask.Find(".g-sub").Text(); !strings.HasPrefix(sub, "▶ running · ") || !strings.HasSuffix(sub, " · decide") {
		t.Errorf("ask says %q, want its state, duration and decide", sub)
	}
	if c := d.class(t, "fix"); !strings.Contains(c, "s-none") {
		t.Errorf("fix, not run, has class %q", c)
	}
	if p.doc.Find(".graph-legend").Length() != 1 {
		t.Error("no legend on the execution's graph")
	}
	key := p.doc.Find(`[data-region="graph"]`).AttrOr("data-key", "")

	if _, err := e.eng.UpdateActionExecution(ctx, action, engine.Completion{State: engine.StateSuccess, Output: "yes", HasOutput: true}); err != nil {
		t.Fatal(err)
	}
	// The live refresh's fragment carries the new picture, under a new key.
	p = e.get("/executions/" + ex.ID + "?fragment=1")
	if k := p.doc.Find(`[data-region="graph"]`).AttrOr("data-key", ""); k == key || k == "" {
		t.Errorf("the graph's key %q did not change", k)
	}
	d = graphOf(t, p.doc.Selection)
	ask = d.nodes["ask"]
	if c := ask.AttrOr("class", ""); !strings.Contains(c, "s-success") || strings.Contains(c, "waiting") {
		t.Errorf("ask's class = %q after success", c)
	}
	if s := ask.AttrOr("data-shape", ""); s != "pill" {
		t.Errorf("successful ask is a %s", s)
	}
	if href, _ := ask.Find("a").Attr("href"); href != "#task-"+ask.AttrOr("data-node", "?") || p.doc.Find("tr#task-"+ask.AttrOr("data-node", "?")).Length() != 1 {
		t.Errorf("ask links to %q, not to its row", href)
	}
	// The path taken: ask went on to finish and audit, not to fix; fan's
	// guard was false.
	for title, taken := range map[string]bool{
		"ask on-success → finish":              true,
		"ask on-complete → audit":              true,
		"ask on-error → fix":                   false,
		"ask on-success → fan when <% $.go %>": false,
	} {
		if got := strings.Contains(d.edges[title], "taken"); got != taken {
			t.Errorf("%q taken = %v, want %v", title, got, taken)
		}
	}
}

// TestExecutionGraphSubWorkflow: a sub-workflow task links to the
// execution it started.
func TestExecutionGraphSubWorkflow(t *testing.T) {
	events := make(chan engine.Event, 1024)
	e := newEnvWith(t, "", func(c *engine.Config) { c.Publisher = tee{c.Publisher, events} })
	ctx := context.Background()
	if _, err := e.eng.CreateWorkflows(ctx, nil, pictured, "", engine.ScopePrivate); err != nil {
		t.Fatal(err)
	}
	ex, err := e.eng.StartExecution(ctx, engine.StartRequest{WorkflowName: "pictured", Input: map[string]any{"go": true}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.eng.UpdateActionExecution(ctx, e.waitingAction(t, ex.ID), engine.Completion{State: engine.StateSuccess, Output: "yes", HasOutput: true}); err != nil {
		t.Fatal(err)
	}
	// The engine's worker runs fan, then sub starts the child: its first
	// event is the barrier.
	var child string
	timeout := time.After(10 * time.Second)
	for child == "" {
		select {
		case ev := <-events:
			if ev.Kind == "execution" && ev.ID != ex.ID {
				child = ev.ID
			}
		case <-timeout:
			t.Fatal("no sub-workflow execution started")
		}
	}
	d := graphOf(t, e.get("/executions/"+ex.ID).doc.Selection)
	if href, _ := d.nodes["sub"].Find("a").Attr("href"); href != "/executions/"+child {
		t.Errorf("sub links to %q, want its execution %s", href, child)
	}
}

// tee passes the engine's events on and copies them to a channel, for
// tests to wait on; it never blocks the engine.
type tee struct {
	next engine.Publisher
	c    chan<- engine.Event
}

func (p tee) Publish(ev engine.Event) {
	p.next.Publish(ev)
	select {
	case p.c <- ev:
	default:
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// bigWorkflow is web.BigWorkflow: the benchmark's definition.
var bigWorkflow = web.BigWorkflow
