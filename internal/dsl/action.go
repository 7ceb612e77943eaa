package dsl

import (
	"fmt"
	"strings"

	"github.com/sirocco-project/sirocco/internal/jsonvalue"
	"gopkg.in/yaml.v3"
)

// Action is an ad-hoc action (POST /v2/actions): a base action with preset
// input and, optionally, a transformation of its result.
type Action struct {
	Name        string
	Description string   `json:",omitempty"`
	Tags        []string `json:",omitempty"`
	// Base names the action this one runs: built-in or ad-hoc.
	Base string
	// BaseInput is the base's input, expressions over this action's input
	// ($); the base line's inline parameters win over 'base-input'.
	BaseInput *jsonvalue.Object `json:",omitempty"`
	Input     []Param           `json:",omitempty"`
	// Output transforms the base's result ($); nil keeps it.
	Output any `json:",omitempty"`
	// WaitsFor is 'waits-for', as a task's (Task.WaitsFor); a task's own
	// wins over its action's.
	WaitsFor     string `json:",omitempty"`
	Source       string `json:"-"`
	Line, Column int
}

// InputString renders the input like Mistral's action "input" field.
func (a *Action) InputString() string {
	w := Workflow{Input: a.Input}
	return w.InputString()
}

var actionKeys = []string{"name", "description", "tags", "base", "base-input", "input", "output", "waits-for"}

// ParseActions parses a document of ad-hoc actions: `version: '2.0'` and
// one or more named actions. The error, if any, is an *Error.
func ParseActions(src []byte) ([]*Action, error) {
	return parseActions(src, nil)
}

func parseActions(src []byte, check InputCheck) ([]*Action, error) {
	p, root, entries, err := parseTop(src, "the definition must be a mapping of 'version' and actions")
	if err != nil {
		return nil, err
	}
	p.check = check
	var out []*Action
	versionSeen := false
	for i, e := range entries {
		if e.Key == "version" {
			if _, err := parseVersion(e.Value); err != nil {
				return nil, err
			}
			versionSeen = true
			continue
		}
		a, err := p.action(e)
		if err != nil {
			return nil, err
		}
		a.Source = p.source(e, entries, i)
		out = append(out, a)
	}
	if !versionSeen {
		return nil, errAt(root, "missing required property 'version' (must be '2.0')")
	}
	if len(out) == 0 {
		return nil, errAt(root, "the definition holds no action (expected at least one action next to 'version')")
	}
	return out, nil
}

func (p *parser) action(e pair) (*Action, error) {
	name := e.Key
	switch {
	case name == "":
		return nil, errAt(e.KeyNode, "action name must not be empty")
	case len(name) > maxNameLen:
		return nil, errAt(e.KeyNode, "action name '%s' is longer than %d characters", name, maxNameLen)
	case strings.ContainsAny(name, " \t"):
		return nil, errAt(e.KeyNode, "action name '%s' must not contain spaces", name)
	}
	if d := deref(e.Value); d == nil || d.Kind != yaml.MappingNode {
		return nil, errAt(e.Value, "action '%s' must be a mapping, got %s", name, kindName(e.Value))
	}
	entries, err := p.pairs(e.Value)
	if err != nil {
		return nil, err
	}
	what := fmt.Sprintf("action '%s'", name)
	if err := checkKeys(entries, actionKeys, what); err != nil {
		return nil, err
	}
	a := &Action{Name: name, Line: e.KeyNode.Line, Column: e.KeyNode.Column}
	base, ok := lookup(entries, "base")
	if !ok {
		return nil, errAt(e.KeyNode, "%s: missing required property 'base'", what)
	}
	// The base line reads like a task's action line: a name and inline
	// parameters.
	var t Task
	if err := p.taskCommand(&t, pair{Key: "action", KeyNode: base.KeyNode, Value: base.Value}, what); err != nil {
		return nil, err
	}
	a.Base = t.Action
	if a.Base == name {
		return nil, errAt(base.Value, "%s: 'base' must not be the action itself", what)
	}
	for _, f := range entries {
		var err error
		where := fmt.Sprintf("%s '%s'", what, f.Key)
		switch f.Key {
		case "name":
			if s, ok := stringValue(f.Value); !ok || s != name {
				return nil, errAt(f.Value, "%s: 'name' must equal the action's key '%s', got %s", what, name, describe(f.Value))
			}
		case "description":
			a.Description, err = p.text(f, what)
		case "tags":
			a.Tags, err = p.tags(f, what)
		case "base-input":
			a.BaseInput, err = p.mapping(f, true, where)
		case "input":
			var w Workflow
			if err = p.workflowInput(&w, f, what); err == nil {
				a.Input = w.Input
			}
		case "output":
			a.Output, err = p.convert(f.Value, true, where)
		case "waits-for":
			a.WaitsFor, err = waitsFor(f, where)
		}
		if err != nil {
			return nil, err
		}
	}
	var inputNode *yaml.Node
	if f, ok := lookup(entries, "base-input"); ok {
		inputNode = f.Value
	}
	if err := p.checkInput(a.Base, a.BaseInput, t.InlineInput, inputNode, base.Value, e.KeyNode); err != nil {
		return nil, err
	}
	if t.InlineInput.Len() > 0 {
		if a.BaseInput == nil {
			a.BaseInput = jsonvalue.NewObject(t.InlineInput.Len())
		}
		for k, v := range t.InlineInput.All() {
			a.BaseInput.Set(k, v)
		}
	}
	return a, nil
}
