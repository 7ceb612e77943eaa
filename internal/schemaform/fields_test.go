package schemaform

import (
	"reflect"
	"strings"
	"testing"
)

// field compiles {"properties": {"f": <prop>}} plus extra top-level
// keywords and returns the one field.
func field(t *testing.T, prop string) Field {
	t.Helper()
	s := mustCompile(t, `{"$defs": {"zone": {"enum": ["a", "b"]}, "count": {"type": "integer", "minimum": 1}},
		"properties": {"f": `+prop+`}}`)
	f := s.Fields()
	if len(f) != 1 {
		t.Fatalf("fields = %v", f)
	}
	return f[0]
}

func TestFieldKinds(t *testing.T) {
	for _, tc := range []struct {
		prop string
		want Kind
	}{
		{`{"type": "string"}`, KindText},
		{`{"type": ["string", "null"]}`, KindText},
		{`{"type": "string", "format": "email"}`, KindText},
		{`{"type": "string", "maxLength": 200}`, KindText},
		{`{"type": "string", "maxLength": 201}`, KindTextarea},
		{`{"type": "string", "format": "textarea"}`, KindTextarea},
		{`{"type": "string", "x-multiline": true}`, KindTextarea},
		{`{"type": "integer"}`, KindInteger},
		{`{"type": "number"}`, KindNumber},
		{`{"type": "boolean"}`, KindCheckbox},
		{`{"type": "boolean", "const": true}`, KindCheckbox},
		{`{"enum": ["a", "b", "c", "d"]}`, KindRadios},
		{`{"enum": ["a", "b", "c", "d", "e"]}`, KindSelect},
		{`{"type": "integer", "enum": [1, 2, 4]}`, KindRadios},
		{`{"enum": ["a", 1, true, null]}`, KindRadios},
		{`{"const": "yes"}`, KindRadios},
		{`{"oneOf": [{"const": "a", "title": "A"}, {"const": "b", "title": "B"}]}`, KindRadios},
		{`{"anyOf": [{"const": 1}, {"const": 2}]}`, KindRadios},
		{`{"type": "array", "items": {"enum": ["a", "b"]}, "uniqueItems": true}`, KindCheckboxes},
		{`{"type": "array", "items": {"type": "string", "enum": ["a", "b"]}}`, KindCheckboxes},
		{`{"type": "array", "items": {"$ref": "#/$defs/zone"}}`, KindCheckboxes},
		{`{"type": "array", "items": {"oneOf": [{"const": "a", "title": "A"}]}}`, KindCheckboxes},
		{`{"$ref": "#/$defs/zone"}`, KindRadios},
		{`{"$ref": "#/$defs/count", "title": "Count", "description": "How many"}`, KindInteger},

		// What the form cannot draw falls back to a JSON field.
		{`{}`, KindJSON},
		{`true`, KindJSON},
		{`false`, KindJSON},
		{`{"type": "object", "properties": {"a": {"type": "string"}}}`, KindJSON},
		{`{"type": "array", "items": {"type": "string"}}`, KindJSON},
		{`{"type": "array"}`, KindJSON},
		{`{"type": "array", "items": {"type": "object"}}`, KindJSON},
		{`{"type": "array", "prefixItems": [{"enum": ["a"]}], "items": {"enum": ["a"]}}`, KindJSON},
		{`{"type": "array", "items": {"enum": ["a"]}, "contains": {"const": "a"}}`, KindJSON},
		{`{"type": "array", "items": {"enum": [["a"], ["b"]]}}`, KindJSON},
		{`{"type": ["string", "integer"]}`, KindJSON},
		{`{"oneOf": [{"type": "string"}, {"type": "integer"}]}`, KindJSON},
		{`{"anyOf": [{"type": "string"}, {"type": "integer"}]}`, KindJSON},
		{`{"allOf": [{"type": "string"}, {"minLength": 2}]}`, KindJSON},
		{`{"type": "string", "not": {"const": "x"}}`, KindJSON},
		{`{"type": "string", "if": {"minLength": 3}, "then": {"pattern": "^a"}}`, KindJSON},
		{`{"type": "boolean", "oneOf": [{"const": true}]}`, KindJSON},
		{`{"oneOf": [{"const": "a"}, {"type": "string"}]}`, KindJSON},
		{`{"oneOf": [{"const": "a", "minLength": 1}]}`, KindJSON},
		{`{"oneOf": [{"const": "a"}], "allOf": [{}]}`, KindJSON},
		{`{"enum": ["a", "b"], "not": {"const": "a"}}`, KindJSON},
		{`{"enum": [{"a": 1}, {"b": 2}]}`, KindJSON},
		{`{"enum": ["1", 1]}`, KindJSON},  // both would post "1"
		{`{"enum": ["", "a"]}`, KindJSON}, // "" is a select's "nothing chosen"
		{`{"enum": []}`, KindJSON},
		{`{"$ref": "#/$defs/count", "maximum": 3}`, KindJSON}, // a $ref that also constrains
		{`{"type": "null"}`, KindJSON},
	} {
		if got := field(t, tc.prop).Kind; got != tc.want {
			t.Errorf("%s: kind %q, want %q", tc.prop, got, tc.want)
		}
	}
}

func TestFieldDetails(t *testing.T) {
	for _, tc := range []struct {
		prop string
		want Field
	}{
		{`{"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 10}`,
			Field{Kind: KindInteger, Min: "1", Max: "9", Step: "1"}},
		{`{"type": "integer", "minimum": 0.5, "maximum": 9.5, "exclusiveMaximum": 9}`,
			Field{Kind: KindInteger, Min: "1", Max: "8", Step: "1"}},
		{`{"type": "integer", "minimum": -7.5, "exclusiveMinimum": -9}`,
			Field{Kind: KindInteger, Min: "-7", Step: "1"}},
		{`{"type": "integer", "minimum": 0, "multipleOf": 4}`,
			Field{Kind: KindInteger, Min: "0", Step: "4"}},
		{`{"type": "integer", "minimum": 1, "multipleOf": 4}`, // a browser would step 1, 5, 9
			Field{Kind: KindInteger, Min: "1", Step: "1"}},
		{`{"type": "number", "exclusiveMinimum": 0, "maximum": 2.5, "multipleOf": 0.25}`,
			Field{Kind: KindNumber, Min: "0", Max: "2.5", Step: "0.25"}},
		{`{"type": "number", "minimum": 1000000, "default": 2500000}`,
			Field{Kind: KindNumber, Min: "1000000", Step: "any", Default: "2500000"}},
		{`{"type": "string", "minLength": 2, "maxLength": 10, "pattern": "^[a-z]+$", "format": "date", "default": "x"}`,
			Field{Kind: KindText, MinLength: 2, MaxLength: 10, Pattern: "^[a-z]+$", Format: "date", Default: "x"}},
		{`{"type": "string", "format": "textarea"}`,
			Field{Kind: KindTextarea, Format: "textarea"}},
		{`{"type": "string", "default": null}`,
			Field{Kind: KindText}},
		{`{"type": "boolean", "default": true}`,
			Field{Kind: KindCheckbox, Default: "true"}},
		{`{"type": "object", "default": {"b": [1, 2.5], "a": "x"}}`,
			Field{Kind: KindJSON, Default: `{"a":"x","b":[1,2.5]}`}},
		{`{"default": "text"}`,
			Field{Kind: KindJSON, Default: `"text"`}},
		{`{"title": "Zone", "description": "Where", "oneOf": [{"const": "eu", "title": "Europe"}, {"const": 2}], "default": 2}`,
			Field{Kind: KindRadios, Label: "Zone", Help: "Where", Default: "2", Choices: []Choice{
				{Value: "eu", Label: "Europe", value: "eu"}, {Value: "2", Label: "2", Default: true, value: int64(2)}}}},
		{`{"enum": [true, null, 1.5]}`,
			Field{Kind: KindRadios, Choices: []Choice{
				{Value: "true", Label: "true", value: true}, {Value: "null", Label: "null", value: nil}, {Value: "1.5", Label: "1.5", value: 1.5}}}},
		{`{"type": "array", "items": {"enum": ["a", "b", "c"]}, "default": ["c", "a"]}`,
			Field{Kind: KindCheckboxes, Choices: []Choice{
				{Value: "a", Label: "a", Default: true, value: "a"}, {Value: "b", Label: "b", value: "b"}, {Value: "c", Label: "c", Default: true, value: "c"}}}},
		{`{"$ref": "#/$defs/count", "title": "Count", "description": "How many", "default": 3}`,
			Field{Kind: KindInteger, Label: "Count", Help: "How many", Default: "3", Min: "1", Step: "1"}},
	} {
		got := field(t, tc.prop)
		want := tc.want
		want.Name = "f"
		if want.Label == "" {
			want.Label = "f"
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.prop, got, want)
		}
	}
}

func TestFieldOrder(t *testing.T) {
	s := mustCompile(t, `{"required": ["zeta", "alpha", "ghost"],
		"properties": {"beta": {}, "alpha": {}, "zeta": {}, "gamma": {}}}`)
	var names []string
	for _, f := range s.Fields() {
		names = append(names, f.Name)
		if f.Required != (f.Name == "zeta" || f.Name == "alpha" || f.Name == "ghost") {
			t.Errorf("%s: Required = %v", f.Name, f.Required)
		}
	}
	// Required first in their order (a name without a schema is still a
	// field, for any JSON), then the rest by name.
	if got := strings.Join(names, " "); got != "zeta alpha ghost beta gamma" {
		t.Errorf("order = %s", got)
	}
}

// TestFieldDraft4 reads draft 4's boolean exclusiveMinimum: the compiled
// schema, not the text, gives the bounds.
func TestFieldDraft4(t *testing.T) {
	s := mustCompile(t, `{"$schema": "http://json-schema.org/draft-04/schema#",
		"properties": {"n": {"type": "integer", "minimum": 1, "exclusiveMinimum": true, "maximum": 5}}}`)
	f := s.Fields()[0]
	if f.Min != "2" || f.Max != "5" {
		t.Errorf("Min, Max = %q, %q; want 2, 5", f.Min, f.Max)
	}
	want := []FieldError{{"n", "/n", "must be greater than 1"}}
	if got := s.Validate(map[string]any{"n": int64(1)}); !reflect.DeepEqual(got, want) {
		t.Errorf("Validate = %v, want %v", got, want)
	}
}
