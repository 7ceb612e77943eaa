package main

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"github.com/sirocco-project/sirocco/internal/dsl"
)

// Each shape's definition is a valid workflow of the tasks it says, and its
// only asynchronous action is the one the lister hands out.
func TestShapeDefinitions(t *testing.T) {
	for name, sh := range shapes {
		t.Run(name, func(t *testing.T) {
			doc, err := dsl.Parse([]byte(sh.definition("wf_" + name)))
			if err != nil {
				t.Fatalf("definition does not parse: %v\n%s", err, sh.definition("wf_"+name))
			}
			if len(doc.Workflows) != 1 || doc.Workflows[0].Name != "wf_"+name {
				t.Fatalf("want one workflow wf_%s, got %+v", name, doc.Workflows)
			}
			wf := doc.Workflows[0]
			if len(wf.Tasks) != sh.taskExecs {
				t.Errorf("%d tasks, the shape says %d task executions", len(wf.Tasks), sh.taskExecs)
			}
			async := 0
			for _, task := range wf.Tasks {
				switch task.Action {
				case asyncAction:
					async++
				case "std.echo":
				default:
					t.Errorf("task %s runs %s; the bench completes only %s and expects the rest synchronous", task.Name, task.Action, asyncAction)
				}
			}
			if async == 0 {
				t.Errorf("no %s task", asyncAction)
			}
		})
	}
	if got := shapeNames(); !slices.Equal(got, []string{"chain", "fanout", "one"}) {
		t.Errorf("shapes %v", got)
	}
}

func TestShapeFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		ok   bool
	}{
		{[]string{}, true},
		{[]string{"-mode", "pipeline", "-shape", "chain"}, true},
		{[]string{"-mode", "pipeline", "-shape", "fanout"}, true},
		{[]string{"-mode", "e2e", "-shape", "one"}, true},
		{[]string{"-mode", "e2e", "-shape", "chain"}, false},
		{[]string{"-mode", "callback", "-shape", "fanout"}, false},
		{[]string{"-mode", "pipeline", "-shape", "star"}, false},
	} {
		cfg, err := parseFlags(tc.args, &bytes.Buffer{})
		if (err == nil) != tc.ok {
			t.Errorf("%v: err %v, want ok=%v", tc.args, err, tc.ok)
		}
		if len(tc.args) == 0 && cfg.shape != "one" {
			t.Errorf("default shape %q, want one", cfg.shape)
		}
	}
}

// The lister hands out each asynchronous action once, skips synchronous ones
// caught RUNNING, and is done only when every started workflow's actions
// are out. Counting a std.echo as handed out ended the chain's listing
// before its last std.async_noop actions, and the run waited for ever.
func TestHandout(t *testing.T) {
	echo := func(id string) pendingAction { return pendingAction{ID: id, Name: "std.echo"} }
	noop := func(id string) pendingAction { return pendingAction{ID: id, Name: asyncAction} }
	ids := func(as []pendingAction) []string {
		var s []string
		for _, a := range as {
			s = append(s, a.ID)
		}
		return s
	}

	// Two chains started, both answered.
	h := newHandout(1, 2)
	if got := ids(h.take([]pendingAction{echo("e1"), noop("a1"), echo("e2")})); !slices.Equal(got, []string{"a1"}) {
		t.Errorf("first page handed out %v, want [a1]", got)
	}
	if h.done(2, 2, 2) {
		t.Error("done after one of two asynchronous actions (the echoes counted)")
	}
	if got := ids(h.take([]pendingAction{noop("a1"), noop("a2")})); !slices.Equal(got, []string{"a2"}) {
		t.Errorf("second page handed out %v, want [a2] (a1 is out already)", got)
	}
	if !h.done(2, 2, 2) {
		t.Error("not done with both actions out")
	}
	if h.done(3, 2, 2) {
		t.Error("done with a start not yet answered")
	}
	if !h.done(3, 3, 2) {
		t.Error("not done when the third start failed and both others' actions are out")
	}

	// A fan-out: ten actions a workflow.
	h = newHandout(10, 1)
	var page []pendingAction
	for i := range 9 {
		page = append(page, noop(fmt.Sprint("f", i)))
	}
	h.take(page)
	if h.done(1, 1, 1) {
		t.Error("done with 9 of 10 items out")
	}
	h.take([]pendingAction{noop("f9")})
	if !h.done(1, 1, 1) {
		t.Error("not done with 10 of 10 items out")
	}
}

// Every shape runs a handful of workflows to SUCCESS against a real engine:
// each workflow's task executions all SUCCESS, each asynchronous action
// completed by one callback.
func TestShapesFinishEveryWorkflow(t *testing.T) {
	url := sirocco(t)
	const n = 20
	for _, name := range shapeNames() {
		t.Run(name, func(t *testing.T) {
			sh := shapes[name]
			var out bytes.Buffer
			// -timeout turns a run that never finishes into a failure.
			err := run(context.Background(), []string{"-url", url, "-n", fmt.Sprint(n), "-c", "4", "-mode", "pipeline", "-shape", name, "-timeout", "60s"}, &out)
			if err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			text := out.String()
			m := regexp.MustCompile(`(?m)^pipeline: (\d+)/(\d+) workflows SUCCESS .*\((\d+) callbacks`).FindStringSubmatch(text)
			if m == nil || m[1] != fmt.Sprint(n) || m[2] != fmt.Sprint(n) {
				t.Fatalf("not every workflow reached SUCCESS:\n%s", text)
			}
			if cbs, _ := strconv.Atoi(m[3]); cbs != n*sh.asyncActions {
				t.Errorf("%d callbacks, want %d (%d a workflow)\n%s", cbs, n*sh.asyncActions, sh.asyncActions, text)
			}
			m = regexp.MustCompile(`(?m)^shape ` + name + `: (\d+) task executions SUCCESS`).FindStringSubmatch(text)
			if m == nil || m[1] != fmt.Sprint(n*sh.taskExecs) {
				t.Errorf("want %d task executions SUCCESS:\n%s", n*sh.taskExecs, text)
			}
			m = regexp.MustCompile(`(?m)^RESULT mode=pipeline n=20 c=4 e2e_per_s=([0-9.]+) .* shape=` + name + ` tasks_per_s=([0-9.]+) callbacks_per_s=([0-9.]+)$`).FindStringSubmatch(text)
			if m == nil {
				t.Fatalf("no RESULT line with the shape and its rates:\n%s", text)
			}
			wf, _ := strconv.ParseFloat(m[1], 64)
			tasks, _ := strconv.ParseFloat(m[2], 64)
			if want := wf * float64(sh.taskExecs); wf <= 0 || tasks < want*0.99-0.1 || tasks > want*1.01+0.1 {
				t.Errorf("e2e_per_s %s, tasks_per_s %s: want %d tasks a workflow\n%s", m[1], m[2], sh.taskExecs, text)
			}
		})
	}
}

// A shape that promises more actions than its workflow has ends, once no
// execution is unfinished, with an error naming the shortfall: the lister
// does not wait for actions that will never come.
func TestShapeMiscounted(t *testing.T) {
	url := sirocco(t)
	shapes["miscounted"] = shape{tasks: shapes["one"].tasks, taskExecs: 1, asyncActions: 2}
	t.Cleanup(func() { delete(shapes, "miscounted") })
	var out bytes.Buffer
	err := run(context.Background(), []string{"-url", url, "-n", "5", "-c", "2", "-mode", "pipeline", "-shape", "miscounted", "-timeout", "20s"}, &out)
	if err == nil || err.Error() != "5 callbacks, want 10 (2 a workflow)" {
		t.Fatalf("err %v, want the shortfall named\n%s", err, out.String())
	}
}
