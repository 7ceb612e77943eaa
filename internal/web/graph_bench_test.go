package web

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/web/templates"
)

// bigWorkflow is a definition of n tasks: a fan out in rows of ten with
// joins and a retry loop every so often, as a large workflow has.
func bigWorkflow(name string, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "---\nversion: '2.0'\n%s:\n  tasks:\n", name)
	for i := range n {
		fmt.Fprintf(&b, "    step_%03d_provision_host:\n      action: std.noop\n", i)
		var next []string
		if i%10 != 9 && i+1 < n {
			next = append(next, fmt.Sprintf("step_%03d_provision_host", i+1))
		}
		if i+10 < n {
			next = append(next, fmt.Sprintf("step_%03d_provision_host", i+10))
		}
		if len(next) > 0 {
			b.WriteString("      on-success:\n")
			for _, t := range next {
				fmt.Fprintf(&b, "        - %s\n", t)
			}
		}
		if i%17 == 5 && i > 20 {
			fmt.Fprintf(&b, "      on-error:\n        - step_%03d_provision_host\n", i-20)
		}
	}
	return b.String()
}

// tangledWorkflow is n tasks whose on-success and on-complete go to one
// to three tasks anywhere, loops included: the worst a layout meets
// (long edges crossing many layers).
func tangledWorkflow(name string, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "---\nversion: '2.0'\n%s:\n  tasks:\n", name)
	r := uint64(1)
	next := func() int { // a fixed linear congruential sequence: the same graph every run
		r = r*6364136223846793005 + 1442695040888963407
		return int(r >> 33 % uint64(n))
	}
	for i := range n {
		fmt.Fprintf(&b, "    t%03d:\n      action: std.noop\n      on-complete:\n", i)
		for range 1 + next()%3 {
			fmt.Fprintf(&b, "        - t%03d\n", next())
		}
	}
	return b.String()
}

// BenchmarkGraph200 is the server's work for the graph of a 200-task
// workflow: parse the stored definition, build the picture, lay it out
// and render its SVG; "execution" adds 200 task executions' states,
// durations and paths taken. The goal: under 50 ms.
func BenchmarkGraph200(b *testing.B) {
	def := bigWorkflow("big", 200)
	spec, err := specOf(def)
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var tasks []*engine.Task
	ids := map[string]string{}
	for i, name := range spec.TaskOrder {
		ids[name] = fmt.Sprint("id-", i)
	}
	for i, name := range spec.TaskOrder {
		start, end := t0.Add(time.Duration(i)*time.Second), t0.Add(time.Duration(i+3)*time.Second)
		rc := "{}"
		if i > 0 {
			rc = fmt.Sprintf(`{"triggered_by": [{"event": "on-success", "task_id": %q}]}`, ids[spec.TaskOrder[i-1]])
		}
		state := engine.StateSuccess
		if i%3 == 0 {
			state = engine.StateRunning
		}
		tasks = append(tasks, &engine.Task{ID: ids[name], Name: name, State: state, RuntimeContextJSON: rc, StartedAt: &start, FinishedAt: &end})
	}
	for _, c := range []struct {
		name string
		def  string
		rs   func() *runState
	}{
		{"workflow", def, func() *runState { return nil }},
		{"execution", def, func() *runState { return newRunState(tasks, nil, t0.Add(time.Hour)) }},
		{"tangled", tangledWorkflow("tangled", 200), func() *runState { return nil }},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				v := definitionGraph(c.def, c.rs())
				if v.Error != "" || len(v.Layout.Nodes) != 200 {
					b.Fatalf("%d nodes: %s", len(v.Layout.Nodes), v.Error)
				}
				if err := templates.Graph(v).Render(context.Background(), io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
