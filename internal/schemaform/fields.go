package schemaform

import (
	"encoding/json"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Kind is how a field is drawn.
type Kind string

const (
	KindText       Kind = "text"       // a one-line string
	KindTextarea   Kind = "textarea"   // a multi-line string
	KindInteger    Kind = "integer"    // a whole number
	KindNumber     Kind = "number"     // any number
	KindSelect     Kind = "select"     // one of more than 4 choices
	KindRadios     Kind = "radios"     // one of at most 4 choices
	KindCheckbox   Kind = "checkbox"   // a boolean
	KindCheckboxes Kind = "checkboxes" // a list of choices
	KindJSON       Kind = "json"       // anything else, typed as JSON text
)

// maxRadios is the most choices drawn as radio buttons; more get a select.
const maxRadios = 4

// textareaAbove is the maxLength past which a string gets a text area.
const textareaAbove = 200

// Field is one top-level property of the answer, as a form draws it.
type Field struct {
	Name     string // the property name, also the form field's name
	Label    string // the schema's title, else the name
	Help     string // the schema's description
	Kind     Kind
	Required bool
	// Default is the default value as the form shows it: the text, the
	// number, "true" or "false" for a checkbox, the chosen Choice.Value
	// for select and radios, JSON text for a json field; "" without one.
	// For checkboxes see Choice.Default.
	Default string
	// Min, Max and Step are for integer and number fields, written as the
	// form's min, max and step attributes take them ("" when unbounded;
	// Step is "1" or "any" unless multipleOf gives one that agrees with
	// Min). Exclusive bounds of an integer are turned into inclusive ones;
	// those of a number are given as they are, and the server refuses the
	// bound itself.
	Min, Max, Step string
	// MinLength and MaxLength are for text fields; 0 means no bound.
	MinLength, MaxLength int
	// Pattern is the schema's pattern, unanchored and in RE2 syntax. HTML's
	// pattern attribute is anchored and uses JavaScript's syntax, so a page
	// should show it as a hint rather than copy it into the attribute.
	Pattern string
	// Format is the schema's format ("email", "date", "date-time", …),
	// which a page may map to an input type.
	Format  string
	Choices []Choice
}

// Choice is one value of an enum, a const, or a oneOf/anyOf of consts.
type Choice struct {
	Value   string // as the form posts it: a string as is, any other value as JSON
	Label   string // the branch's title for a oneOf of consts, else Value
	Default bool   // chosen (checked) when the form is first shown
	value   any    // the typed value FromForm puts in the answer
}

// Fields returns the form: one field per top-level property, the required
// ones first in the order of "required", then the others by name (the
// schema arrives as a decoded map, whose key order is lost). A name in
// "required" without a schema in "properties" gets a json field. Only the
// top level is drawn: nested objects, arrays other than lists of choices,
// and anything combined with allOf, anyOf, oneOf, not or if are json
// fields, still validated in full.
func (s *Schema) Fields() []Field {
	out := make([]Field, len(s.fields))
	copy(out, s.fields)
	for i := range out {
		out[i].Choices = append([]Choice(nil), out[i].Choices...)
	}
	return out
}

// deriveFields computes Fields once, at Compile.
func deriveFields(root map[string]any, compiled *jsonschema.Schema) []Field {
	props, _ := root["properties"].(map[string]any)
	var names []string
	seen := map[string]bool{}
	required := map[string]bool{}
	reqList, _ := root["required"].([]any)
	for _, r := range reqList {
		if name, ok := r.(string); ok && !seen[name] {
			seen[name] = true
			required[name] = true
			names = append(names, name)
		}
	}
	var rest []string
	for name := range props {
		if !seen[name] {
			rest = append(rest, name)
		}
	}
	sort.Strings(rest)
	names = append(names, rest...)

	fields := make([]Field, 0, len(names))
	for _, name := range names {
		f := Field{Name: name, Label: name, Required: required[name], Kind: KindJSON}
		if cs := compiled.Properties[name]; cs != nil {
			describe(&f, root, cs)
		}
		fields = append(fields, f)
	}
	return fields
}

// node is one schema as both the library compiled it and as written.
type node struct {
	cs  *jsonschema.Schema
	raw map[string]any // nil for true and false
}

// applicators are keywords that combine or condition schemas: a field
// whose schema has one is a json field (apart from a oneOf/anyOf of
// consts, which is a list of choices).
var applicators = []string{"allOf", "anyOf", "oneOf", "not", "if", "then", "else",
	"dependentSchemas", "dependencies", "$dynamicRef", "$recursiveRef"}

// annotations are keywords that do not change what is valid.
func annotation(kw string) bool {
	switch kw {
	case "title", "description", "default", "examples", "$comment", "deprecated",
		"readOnly", "writeOnly", "$anchor", "$dynamicAnchor":
		return true
	}
	return strings.HasPrefix(kw, "x-")
}

// chain follows $refs from a property's schema while the referring
// schema adds only annotations, so {"$ref": "#/$defs/zone", "title": …}
// is drawn as the zone's schema with that title. It returns the schemas
// from the property's own to the last, or nil when a referring schema
// also constrains (the field is then json).
func chain(root map[string]any, cs *jsonschema.Schema) []node {
	var out []node
	for i := 0; cs != nil && i < 32; i++ {
		raw, _ := lookup(root, cs.Location).(map[string]any)
		out = append(out, node{cs, raw})
		if cs.Ref == nil {
			return out
		}
		for kw := range raw {
			if kw != "$ref" && kw != "$schema" && !annotation(kw) {
				return nil
			}
		}
		cs = cs.Ref
	}
	return nil
}

func describe(f *Field, root map[string]any, cs *jsonschema.Schema) {
	nodes := chain(root, cs)
	if nodes == nil {
		return
	}
	// Annotations: the first schema of the chain that has one wins.
	var def any
	hasDef := false
	for _, n := range nodes {
		if f.Label == f.Name && n.cs.Title != "" {
			f.Label = n.cs.Title
		}
		if f.Help == "" {
			f.Help = n.cs.Description
		}
		if v, ok := n.raw["default"]; ok && !hasDef {
			def, hasDef = v, true
		}
	}
	last := nodes[len(nodes)-1]
	kind, choices := classify(root, last)
	f.Kind = kind
	f.Choices = choices
	if kind == KindJSON {
		if hasDef {
			f.Default = jsonText(def)
		}
		return
	}
	if hasDef && (def != nil || kind == KindSelect || kind == KindRadios) {
		f.Default = formText(def)
		if kind == KindCheckboxes {
			f.Default = ""
			list, _ := def.([]any)
			for _, v := range list {
				markDefault(f.Choices, formText(v))
			}
		} else {
			markDefault(f.Choices, f.Default)
		}
	}
	s := last.cs
	switch kind {
	case KindInteger, KindNumber:
		bounds(f, s, kind == KindInteger)
	case KindText, KindTextarea:
		if s.MinLength != nil {
			f.MinLength = *s.MinLength
		}
		if s.MaxLength != nil {
			f.MaxLength = *s.MaxLength
		}
		f.Pattern, _ = last.raw["pattern"].(string)
		f.Format, _ = last.raw["format"].(string)
		if kind == KindText && f.Format == "textarea" {
			f.Format = "" // a drawing hint, not a format to assert
		}
	}
}

func markDefault(choices []Choice, value string) {
	for i := range choices {
		if choices[i].Value == value {
			choices[i].Default = true
		}
	}
}

// classify says how a schema is drawn.
func classify(root map[string]any, n node) (Kind, []Choice) {
	s := n.cs
	if s.Bool != nil || n.raw == nil {
		return KindJSON, nil
	}
	types := typesOf(s)
	if len(types) == 1 && types[0] == "boolean" {
		if hasAny(n.raw, applicators) {
			return KindJSON, nil
		}
		return KindCheckbox, nil
	}
	if choices, ok := choicesOf(root, n); ok {
		if len(choices) <= maxRadios {
			return KindRadios, choices
		}
		return KindSelect, choices
	}
	if hasAny(n.raw, applicators) || len(types) != 1 {
		return KindJSON, nil
	}
	switch types[0] {
	case "integer":
		return KindInteger, nil
	case "number":
		return KindNumber, nil
	case "string":
		format, _ := n.raw["format"].(string)
		multiline, _ := n.raw["x-multiline"].(bool)
		if format == "textarea" || multiline || (s.MaxLength != nil && *s.MaxLength > textareaAbove) {
			return KindTextarea, nil
		}
		return KindText, nil
	case "array":
		if s.PrefixItems != nil || s.Contains != nil {
			return KindJSON, nil
		}
		var items *jsonschema.Schema
		switch it := s.Items.(type) {
		case *jsonschema.Schema:
			items = it
		case nil:
			items = s.Items2020
		}
		if items == nil {
			return KindJSON, nil
		}
		nodes := chain(root, items)
		if nodes == nil {
			return KindJSON, nil
		}
		if choices, ok := choicesOf(root, nodes[len(nodes)-1]); ok {
			return KindCheckboxes, choices
		}
	}
	return KindJSON, nil
}

// typesOf lists a schema's types without "null": a nullable string is
// drawn as a string, and an empty optional field is left out, not null.
func typesOf(s *jsonschema.Schema) []string {
	if s.Types == nil {
		return nil
	}
	var out []string
	for _, t := range s.Types.ToStrings() {
		if t != "null" {
			out = append(out, t)
		}
	}
	return out
}

func hasAny(m map[string]any, kws []string) bool {
	for _, kw := range kws {
		if _, ok := m[kw]; ok {
			return true
		}
	}
	return false
}

// choicesOf reads an enum, a const, or a oneOf (or anyOf) whose branches
// are each a const with at most annotations beside it, the usual way of
// giving enum values labels. Every value must be a scalar with a distinct,
// non-empty form text ("" is how a select says nothing was chosen).
func choicesOf(root map[string]any, n node) ([]Choice, bool) {
	s := n.cs
	var values []any
	var labels []string
	switch {
	case s.Enum != nil:
		if hasAny(n.raw, applicators) {
			return nil, false
		}
		values = s.Enum.Values
	case s.Const != nil:
		if hasAny(n.raw, applicators) {
			return nil, false
		}
		values = []any{*s.Const}
	case len(s.OneOf) > 0 || len(s.AnyOf) > 0:
		branches := s.OneOf
		kw := "oneOf"
		if branches == nil {
			branches = s.AnyOf
			kw = "anyOf"
		}
		for _, other := range applicators {
			if _, ok := n.raw[other]; ok && other != kw {
				return nil, false
			}
		}
		for _, b := range branches {
			raw, _ := lookup(root, b.Location).(map[string]any)
			if b.Const == nil || raw == nil {
				return nil, false
			}
			for kw := range raw {
				if kw != "const" && !annotation(kw) {
					return nil, false
				}
			}
			values = append(values, *b.Const)
			labels = append(labels, b.Title)
		}
	default:
		return nil, false
	}
	if len(values) == 0 {
		return nil, false
	}
	seen := map[string]bool{}
	choices := make([]Choice, 0, len(values))
	for i, v := range values {
		switch v.(type) {
		case map[string]any, []any:
			return nil, false
		}
		text := formText(v)
		if text == "" || seen[text] {
			return nil, false
		}
		seen[text] = true
		label := text
		if i < len(labels) && labels[i] != "" {
			label = labels[i]
		}
		if f, ok := v.(float64); ok {
			// What the form posts for it, read as the engine reads JSON:
			// a choice written 20 gives 20 whether the schema was decoded
			// with int64 or float64 numbers.
			v, _ = numberValue(formatFloat(f))
		}
		choices = append(choices, Choice{Value: text, Label: label, value: v})
	}
	return choices, true
}

// bounds fills Min, Max and Step of a number or integer field.
func bounds(f *Field, s *jsonschema.Schema, integer bool) {
	var lo, hi *big.Rat
	if integer {
		if s.Minimum != nil {
			lo = ceil(s.Minimum)
		}
		if s.ExclusiveMinimum != nil {
			if x := new(big.Rat).Add(floor(s.ExclusiveMinimum), big.NewRat(1, 1)); lo == nil || x.Cmp(lo) > 0 {
				lo = x
			}
		}
		if s.Maximum != nil {
			hi = floor(s.Maximum)
		}
		if s.ExclusiveMaximum != nil {
			if x := new(big.Rat).Sub(ceil(s.ExclusiveMaximum), big.NewRat(1, 1)); hi == nil || x.Cmp(hi) < 0 {
				hi = x
			}
		}
	} else {
		lo = maxRat(s.Minimum, s.ExclusiveMinimum)
		hi = minRat(s.Maximum, s.ExclusiveMaximum)
	}
	if lo != nil {
		f.Min = ratString(lo)
	}
	if hi != nil {
		f.Max = ratString(hi)
	}
	f.Step = "any"
	if integer {
		f.Step = "1"
	}
	// A browser counts steps from min: use multipleOf only where both agree.
	if m := s.MultipleOf; m != nil && (!integer || m.IsInt()) {
		if lo == nil || new(big.Rat).Quo(lo, m).IsInt() {
			f.Step = ratString(m)
		}
	}
}

func floor(r *big.Rat) *big.Rat {
	q := new(big.Int).Div(r.Num(), r.Denom()) // Euclidean: rounds down for a positive divisor
	return new(big.Rat).SetInt(q)
}

func ceil(r *big.Rat) *big.Rat {
	f := floor(r)
	if f.Cmp(r) != 0 {
		f.Add(f, big.NewRat(1, 1))
	}
	return f
}

func maxRat(a, b *big.Rat) *big.Rat {
	if a == nil || (b != nil && b.Cmp(a) > 0) {
		return b
	}
	return a
}

func minRat(a, b *big.Rat) *big.Rat {
	if a == nil || (b != nil && b.Cmp(a) < 0) {
		return b
	}
	return a
}

// formText writes a value as a form field holds it: a string as is,
// anything else as JSON.
func formText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return formatFloat(x)
	}
	return jsonText(v)
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// formatFloat writes a number as JavaScript does: plain digits between
// 1e-6 and 1e21, an exponent outside (strconv's 'g' would write a million
// as 1e+06).
func formatFloat(f float64) string {
	if a := math.Abs(f); a == 0 || (a >= 1e-6 && a < 1e21) {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
