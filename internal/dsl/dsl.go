// Package dsl parses and validates Mistral workflow language v2 documents
// into a typed spec the engine runs.
//
// Errors carry the line and column of the offending YAML node, because a
// workflow author fixing a definition needs to know where, not only what.
// Parsing stops at the first error found in document order.
package dsl

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

// Document is a parsed workflow-definition document: `version: '2.0'` plus
// one or more named workflows.
type Document struct {
	Version   string
	Workflows []*Workflow // in document order
}

// Workflow is one validated workflow of a document.
type Workflow struct {
	Name        string
	Type        string   // "direct" (default) or "reverse"
	Description string   `json:",omitempty"`
	Tags        []string `json:",omitempty"`
	// Input lists the declared input parameters in order.
	Input []Param `json:",omitempty"`
	// InputRaw is the `input` list exactly as written (strings and one-key
	// maps), which the API reports as the workflow's "interface".
	InputRaw      []any             `json:",omitempty"`
	Output        any               `json:",omitempty"` // nil when absent
	OutputOnError any               `json:",omitempty"` // nil when absent
	Vars          *jsonvalue.Object `json:",omitempty"`
	Tasks         map[string]*Task
	TaskOrder     []string // task names in document order
	// Source is "---\nversion: '2.0'\n\n" followed by the exact YAML text of
	// this workflow (its key line through its last line), so that each
	// workflow of a multi-workflow document can be stored on its own.
	Source       string
	Line, Column int
}

// Param is one declared workflow input parameter.
type Param struct {
	Name       string
	Default    any
	HasDefault bool
}

// Task is one validated task, with task-defaults already merged in.
type Task struct {
	Name        string
	Description string `json:",omitempty"`
	// Action is the action name (first word of the `action:` line); "" for a
	// workflow task; "std.noop" when neither action nor workflow is given.
	Action string
	// Workflow is the sub-workflow name (first word of the `workflow:` line).
	Workflow string `json:",omitempty"`
	// Input is the `input:` block: a *jsonvalue.Object, an expression string, or nil.
	Input any `json:",omitempty"`
	// InlineInput holds the key=value pairs of the action/workflow line; they
	// win over Input on conflicts, as in Mistral 15.
	InlineInput    *jsonvalue.Object `json:",omitempty"`
	Publish        *jsonvalue.Object `json:",omitempty"`
	PublishOnError *jsonvalue.Object `json:",omitempty"`
	// OnSuccess, OnError and OnComplete hold the task's own clause or, when
	// the task has none of that kind, the task-defaults' clause without
	// transitions to the task itself (what Mistral 15's get_on_*_clause does).
	OnSuccess  []Transition `json:",omitempty"`
	OnError    []Transition `json:",omitempty"`
	OnComplete []Transition `json:",omitempty"`
	// OnSuccessPublish, OnErrorPublish and OnCompletePublish are the
	// 'publish' of a clause in its advanced form ({publish: …, next: …}).
	OnSuccessPublish  *Publish `json:",omitempty"`
	OnErrorPublish    *Publish `json:",omitempty"`
	OnCompletePublish *Publish `json:",omitempty"`
	// Join is nil, "all", "one" or a positive int64.
	Join any `json:",omitempty"`
	// WithItems is a string or a []any of strings, each "var in <source>".
	WithItems  any `json:",omitempty"`
	KeepResult any `json:",omitempty"`
	// Policies and execution hints: raw canonical values (int64, bool,
	// expression strings, maps) after the task-defaults merge. A one-line
	// retry string ("count=3 delay=1") is normalised to a map.
	Retry       any `json:",omitempty"`
	Timeout     any `json:",omitempty"`
	WaitBefore  any `json:",omitempty"`
	WaitAfter   any `json:",omitempty"`
	PauseBefore any `json:",omitempty"`
	Concurrency any `json:",omitempty"`
	FailOn      any `json:",omitempty"`
	SafeRerun   any `json:",omitempty"`
	// WaitsFor is 'waits-for' (WaitsForPerson or WaitsForService; "" when
	// not given): a Sirocco extension that files the task's asynchronous
	// action under the inbox's people or services.
	WaitsFor string `json:",omitempty"`
	Target   any    `json:",omitempty"`
	// Requires lists the tasks a reverse-workflow task depends on, with the
	// task-defaults' requirements merged in.
	Requires     []string `json:",omitempty"`
	Tags         []string `json:",omitempty"`
	Line, Column int
}

// Publish is the publish of an on-* clause: Branch variables go where a
// task's own publish goes; Global ones to the whole workflow execution.
// Atomic is accepted and, as in Mistral 15, not used.
type Publish struct {
	Branch *jsonvalue.Object `json:",omitempty"`
	Global *jsonvalue.Object `json:",omitempty"`
	Atomic *jsonvalue.Object `json:",omitempty"`
}

// Transition is one item of an on-success, on-error or on-complete clause.
type Transition struct {
	// Target is a task name or an engine command: fail, succeed, pause, noop.
	Target string
	// Guard is an expression such as "<% $.x > 1 %>"; "" means always.
	// A guard that is statically false is stored as "<% false %>".
	Guard string
	// Params are engine command parameters, e.g. {"msg": "text <% $.x %>"}.
	Params map[string]any `json:",omitempty"`
	// Command is set when Target names an engine command rather than a task
	// of the workflow (a real task with the same name wins).
	Command      bool `json:",omitempty"`
	Line, Column int
}

// IsCommand reports whether t targets an engine command rather than a task
// of the workflow (a real task with the same name wins).
func (t Transition) IsCommand() bool { return t.Command }

// Engine commands usable as transition targets.
const (
	CmdFail    = "fail"
	CmdSucceed = "succeed"
	CmdPause   = "pause"
	CmdNoop    = "noop"
)

// commandParams lists the parameters each engine command accepts.
var commandParams = map[string][]string{
	CmdFail:    {"msg"},
	CmdSucceed: {"msg"},
	CmdPause:   {"msg"},
	CmdNoop:    nil,
}

// IsCommand reports whether t targets an engine command rather than a task
// of w: a real task with the same name wins.
func (w *Workflow) IsCommand(t Transition) bool {
	if _, ok := w.Tasks[t.Target]; ok {
		return false
	}
	_, ok := commandParams[t.Target]
	return ok
}

// InputString renders the input like Mistral's workflow "input" field:
// plain names as-is, parameters with defaults as name="<value>" (strings
// bare inside the quotes, other values as JSON), joined with ", ".
func (w *Workflow) InputString() string {
	parts := make([]string, 0, len(w.Input))
	for _, p := range w.Input {
		if !p.HasDefault {
			parts = append(parts, p.Name)
			continue
		}
		var v string
		if s, ok := p.Default.(string); ok {
			v = s
		} else {
			b, err := json.Marshal(p.Default)
			if err != nil {
				v = fmt.Sprint(p.Default)
			} else {
				v = string(b)
			}
		}
		parts = append(parts, p.Name+`="`+v+`"`)
	}
	return strings.Join(parts, ", ")
}

// StartTasks returns, in document order, the tasks that start when the
// workflow starts. For direct workflows these are the tasks that no
// transition of any task targets (a self-loop counts as inbound, as in
// Mistral). For reverse workflows they are the tasks with no requirements.
func (w *Workflow) StartTasks() []string {
	var out []string
	if w.Type == TypeReverse {
		for _, name := range w.TaskOrder {
			if len(w.Tasks[name].Requires) == 0 {
				out = append(out, name)
			}
		}
		return out
	}
	inbound := make(map[string]bool)
	for _, t := range w.Tasks {
		for _, clause := range [][]Transition{t.OnSuccess, t.OnError, t.OnComplete} {
			for _, tr := range clause {
				if _, ok := w.Tasks[tr.Target]; ok {
					inbound[tr.Target] = true
				}
			}
		}
	}
	for _, name := range w.TaskOrder {
		if !inbound[name] {
			out = append(out, name)
		}
	}
	return out
}

// Workflow types.
const (
	TypeDirect  = "direct"
	TypeReverse = "reverse"
)

// Error is a definition error with its position (1-based line and column).
type Error struct {
	Line, Column int
	Msg          string
	// Syntax is set when the text is not well-formed YAML.
	Syntax bool
	// Err is a sentinel the error matches (ErrTooManyNodes), or nil.
	Err error
}

// Unwrap lets errors.Is find the sentinel.
func (e *Error) Unwrap() error { return e.Err }

// ErrTooManyNodes is what a document past MaxDocumentNodes matches: a limit
// the server refuses with 400 even where a bad definition is an answer
// (validate).
var ErrTooManyNodes = errors.New("too many YAML nodes")

// Error renders the message the API returns as faultstring.
func (e *Error) Error() string {
	prefix := "Invalid DSL"
	if e.Syntax {
		prefix = "Definition could not be parsed"
	}
	return fmt.Sprintf("%s: line %d, column %d: %s", prefix, e.Line, e.Column, e.Msg)
}
