package dsl

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// checker refuses, for the action "judge", the input value at the path
// its input names under "bad" (a list of keys and indexes), and records
// every call.
type checker struct {
	calls []string
}

func (c *checker) check(action string, in map[string]any) error {
	c.calls = append(c.calls, fmt.Sprintf("%s %v", action, in))
	if action != "judge" {
		return nil
	}
	bad, ok := in["bad"].([]any)
	if !ok {
		return nil
	}
	path := make([]any, len(bad))
	for i, step := range bad {
		if n, ok := step.(int64); ok {
			path[i] = int(n)
		} else {
			path[i] = step
		}
	}
	if len(path) > 0 && path[0] == "plain" {
		return errors.New("refused without a path")
	}
	return &ValueError{Path: path, Msg: "refused"}
}

// TestInputCheckPositions: a check's refusal is reported at the line and
// column of the value it names, in a task's input block, on its action
// line, in an ad-hoc action's base input, and inside a workbook.
func TestInputCheckPositions(t *testing.T) {
	t.Parallel()
	wf := func(task string) string { return "version: '2.0'\nwf:\n  tasks:\n" + task }
	tests := []struct {
		name      string
		parse     func(src []byte, check InputCheck) error
		src       string
		line, col int
	}{
		{"nested key", parseWF, wf(`    t:
      action: judge
      input:
        bad: [schema, properties, cores]
        schema:
          properties:
            cores: {type: integer}
`), 10, 20},
		{"list index", parseWF, wf(`    t:
      action: judge
      input:
        approvers: [user:a, "boss"]
        bad: [approvers, 1]
`), 7, 29},
		{"missing key blames its parent", parseWF, wf(`    t:
      action: judge
      input:
        schema: {}
        bad: [schema, type]
`), 7, 17},
		{"no path blames the input", parseWF, wf(`    t:
      action: judge
      input:
        bad: []
`), 7, 9},
		{"inline parameter", parseWF, wf(`    t:
      action: judge title=x bad=["title"]
`), 5, 27},
		{"a plain error blames the task", parseWF, wf(`    t:
      action: judge
      input:
        bad: [plain]
`), 4, 5},
		{"ad-hoc base input", parseAct, `version: '2.0'
a:
  base: judge
  base-input:
    required: 2
    bad: [required]
`, 5, 15},
		{"workbook member", parseWB, `version: '2.0'
name: wb
workflows:
  w:
    tasks:
      t:
        action: judge
        input:
          bad: [x]
          x: 1
`, 10, 14},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var c checker
			err := tt.parse([]byte(tt.src), c.check)
			var de *Error
			if !errors.As(err, &de) {
				t.Fatalf("error = %v, want an *Error", err)
			}
			if de.Line != tt.line || de.Column != tt.col || !strings.Contains(de.Msg, "refused") {
				t.Errorf("error at %d:%d %q, want %d:%d", de.Line, de.Column, de.Msg, tt.line, tt.col)
			}
			if err := tt.parse([]byte(tt.src), nil); err != nil {
				t.Errorf("without a check: %v", err)
			}
		})
	}
}

func parseWF(src []byte, c InputCheck) error  { _, err := ParseChecked(src, c); return err }
func parseAct(src []byte, c InputCheck) error { _, err := ParseActionsChecked(src, c); return err }
func parseWB(src []byte, c InputCheck) error  { _, err := ParseWorkbookChecked(src, c); return err }

// TestInputCheckCalls: the check sees each task's literal input with its
// inline parameters (which win), and nothing for an expression input, an
// expression action name or a workflow task.
func TestInputCheckCalls(t *testing.T) {
	t.Parallel()
	var c checker
	_, err := ParseChecked([]byte(`version: '2.0'
wf:
  tasks:
    literal:
      action: std.echo output=inline
      input:
        output: block
        n: 1
    expression:
      action: std.echo
      input: <% $.in %>
    dynamic:
      action: <% $.name %>
    sub:
      workflow: other
    bare:
      action: std.noop
`), c.check)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"std.echo map[n:1 output:inline]", "std.noop map[]"}
	if !reflect.DeepEqual(c.calls, want) {
		t.Errorf("calls = %q, want %q", c.calls, want)
	}
}
