package main

import (
	"fmt"
	"slices"
)

// shape is a workflow the bench runs: the tasks of its definition, how many
// task executions and asynchronous actions one execution has, and the
// action the client completes by callback.
type shape struct {
	tasks string // the definition's tasks: block, indented under the workflow
	// taskExecs is the task executions one execution runs to SUCCESS, and
	// asyncActions the asynchronous actions the client completes in it.
	taskExecs, asyncActions int
}

// asyncAction is the only action the bench completes. The shapes' other
// actions are synchronous (std.echo): the engine runs them itself, and a
// list of RUNNING actions can catch one between its start and its end.
const asyncAction = "std.async_noop"

var shapes = map[string]shape{
	// one asynchronous task: the shape every earlier figure used.
	"one": {tasks: `  tasks:
    wait:
      action: std.async_noop
`, taskExecs: 1, asyncActions: 1},

	// std.echo → std.async_noop → std.echo, each publishing what the next
	// one reads.
	"chain": {tasks: `  tasks:
    first:
      action: std.echo output="ticket"
      publish:
        ticket: <% task().result %>
      on-success: [wait]
    wait:
      action: std.async_noop
      publish:
        answer: <% task().result %>
      on-success: [last]
    last:
      action: std.echo
      input:
        output: <% [$.ticket, $.answer] %>
`, taskExecs: 3, asyncActions: 1},

	// A 10-way with-items of std.async_noop (one task execution, ten
	// actions; it succeeds when its tenth action does), then a join task
	// that reads the ten results.
	"fanout": {tasks: `  tasks:
    fan:
      with-items: i in <% [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] %>
      action: std.async_noop
      publish:
        answers: <% task().result %>
      on-success: [join]
    join:
      action: std.echo
      input:
        output: <% $.answers %>
`, taskExecs: 2, asyncActions: 10},
}

// shapeNames lists the shapes for messages, in a stable order.
func shapeNames() []string {
	names := make([]string, 0, len(shapes))
	for n := range shapes {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// definition is the shape's workflow definition under the name workflow.
func (s shape) definition(workflow string) string {
	return fmt.Sprintf("version: '2.0'\n%s:\n%s", workflow, s.tasks)
}
