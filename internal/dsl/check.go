package dsl

import (
	"strconv"

	"github.com/sirocco-project/sirocco/internal/jsonvalue"
	"gopkg.in/yaml.v3"
)

// InputCheck checks the input a definition gives an action, when the
// caller of ParseChecked (and its siblings) knows what that action takes:
// a task's input with its action line's inline parameters, or an ad-hoc
// action's base input. action is the action's name as written (never an
// expression); input is nil when none is given. The engine knows the
// actions, the parser knows where each value was written: a refusal that
// is a *ValueError is reported as an *Error at the line and column of the
// value it names, any other at the task or action.
type InputCheck func(action string, input map[string]any) error

// ValueError is an InputCheck's refusal of one value of the input.
type ValueError struct {
	// Path leads from the top of the input to the value: keys (string)
	// and list indexes (int). Where the path leaves what was written (a
	// key missing, say), the nearest value written is blamed.
	Path []any
	Msg  string
}

func (e *ValueError) Error() string { return e.Msg }

// ParseChecked is Parse that also runs check on each task's input.
func ParseChecked(src []byte, check InputCheck) (*Document, error) {
	return parseDocument(src, check)
}

// ParseActionsChecked is ParseActions that also runs check on each
// action's base input.
func ParseActionsChecked(src []byte, check InputCheck) ([]*Action, error) {
	return parseActions(src, check)
}

// ParseWorkbookChecked is ParseWorkbook that also runs check on the
// inputs of its workflows' tasks and its actions' base inputs.
func ParseWorkbookChecked(src []byte, check InputCheck) (*Workbook, error) {
	return parseWorkbook(src, check)
}

// checkInput runs p.check on an input given to action. inputNode is where
// the input block was written (nil when there is none), line the node of
// the action line whose inline parameters are part of the input, and at
// the node blamed when nothing nearer is known.
func (p *parser) checkInput(action string, input any, inline *jsonvalue.Object, inputNode, line, at *yaml.Node) error {
	if p.check == nil || action == "" || hasExpr(action) {
		return nil
	}
	o, ok := input.(*jsonvalue.Object)
	if !ok && input != nil {
		return nil // an expression: known only when the task runs
	}
	m := o.Map()
	for k, v := range inline.All() { // inline parameters win, as at run time
		m[k] = v
	}
	err := p.check(action, m)
	if err == nil {
		return nil
	}
	ve, ok := err.(*ValueError)
	if !ok {
		return errAt(at, "%s", err.Error())
	}
	if len(ve.Path) > 0 {
		if key, ok := ve.Path[0].(string); ok {
			if inline.Has(key) && line != nil {
				return p.inlineValueErr(line, key, ve.Msg)
			}
		}
	}
	n := at
	if inputNode != nil {
		n = p.locate(inputNode, ve.Path)
	}
	return errAt(n, "%s", ve.Msg)
}

// locate follows path (keys and list indexes) down from n, as far as the
// document goes, and returns the node it reached.
func (p *parser) locate(n *yaml.Node, path []any) *yaml.Node {
	for _, step := range path {
		d := deref(n)
		if d == nil {
			return n
		}
		var next *yaml.Node
		switch s := step.(type) {
		case string:
			if d.Kind != yaml.MappingNode {
				return n
			}
			entries, err := p.pairs(d)
			if err != nil {
				return n
			}
			if e, ok := lookup(entries, s); ok {
				next = e.Value
			}
		case int:
			if d.Kind == yaml.SequenceNode && s >= 0 && s < len(d.Content) {
				next = d.Content[s]
			}
		}
		if next == nil && d.Kind == yaml.SequenceNode {
			// A JSON pointer's token: a list index written as digits.
			if s, ok := step.(string); ok {
				if i, err := strconv.Atoi(s); err == nil && i >= 0 && i < len(d.Content) {
					next = d.Content[i]
				}
			}
		}
		if next == nil {
			return n
		}
		n = next
	}
	return n
}

// inlineValueErr is an error at the value of the inline parameter key on
// an action line, at its column when the line is written plainly.
func (p *parser) inlineValueErr(line *yaml.Node, key, msg string) error {
	e := errAt(line, "%s", msg)
	s, ok := stringValue(line)
	if !ok || !p.inlineOffset(line) {
		return e
	}
	_, _, params, err := splitCommand(s)
	if err != nil {
		return e
	}
	for _, prm := range params {
		if prm.Key == key {
			e.Column += prm.Off
		}
	}
	return e
}
