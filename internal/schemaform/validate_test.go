package schemaform

import (
	"reflect"
	"strings"
	"testing"
)

// TestMessages checks the wording for every keyword: {"v": value}
// against {"properties": {"v": prop}} gives exactly one error at /v.
func TestMessages(t *testing.T) {
	for _, tc := range []struct {
		prop, value, want string
	}{
		{`{"type": "integer"}`, `"x"`, "must be a whole number"},
		{`{"type": "integer"}`, `1.5`, "must be a whole number"},
		{`{"type": "number"}`, `"1"`, "must be a number"},
		{`{"type": "string"}`, `1`, "must be text"},
		{`{"type": "boolean"}`, `"true"`, "must be true or false"},
		{`{"type": "object"}`, `[]`, "must be an object"},
		{`{"type": "array"}`, `{}`, "must be a list"},
		{`{"type": ["string", "integer", "null"]}`, `true`, "must be text, a whole number or null"},
		{`{"minimum": 1}`, `0`, "must be at least 1"},
		{`{"minimum": 0.5}`, `0.25`, "must be at least 0.5"},
		{`{"maximum": 64}`, `65`, "must be at most 64"},
		{`{"exclusiveMinimum": 0}`, `0`, "must be greater than 0"},
		{`{"exclusiveMaximum": 1e6}`, `1000000`, "must be less than 1000000"},
		{`{"multipleOf": 0.1}`, `0.15`, "must be a multiple of 0.1"},
		{`{"multipleOf": 4}`, `6`, "must be a multiple of 4"},
		{`{"minLength": 1}`, `""`, "must not be empty"},
		{`{"minLength": 3}`, `"ab"`, "must be at least 3 characters long"},
		{`{"maxLength": 1}`, `"ab"`, "must be at most 1 character long"},
		{`{"maxLength": 4}`, `"abcdé"`, "must be at most 4 characters long"},
		{`{"pattern": "^CC-[0-9]{4}$"}`, `"CC-12"`, "must match the pattern ^CC-[0-9]{4}$"},
		{`{"enum": ["eu-west", "us-east"]}`, `"mars"`, "must be one of: eu-west, us-east"},
		{`{"enum": ["only"]}`, `"other"`, "must be only"},
		{`{"enum": [1, 2.5, true, null]}`, `3`, "must be one of: 1, 2.5, true, null"},
		{`{"enum": [{"a": 1}, [1]]}`, `3`, "must be one of the allowed values"},
		{`{"const": "yes"}`, `"no"`, "must be yes"},
		{`{"const": true}`, `false`, "must be true"},
		{`{"const": {"a": 1}}`, `{}`, "must be the one allowed value"},
		{`{"format": "email"}`, `"ops"`, "must be an email address"},
		{`{"format": "date"}`, `"2025-02-30"`, "must be a date (YYYY-MM-DD)"},
		{`{"format": "date-time"}`, `"2025-02-01 10:00"`, "must be a date and time (YYYY-MM-DDTHH:MM:SSZ, or with an offset such as +01:00)"},
		{`{"format": "time"}`, `"25:00:00Z"`, "must be a time of day with its offset (HH:MM:SSZ or HH:MM:SS+01:00)"},
		{`{"format": "uri"}`, `"relative/path"`, "must be an absolute URI"},
		{`{"format": "uuid"}`, `"123"`, "must be a UUID"},
		{`{"format": "ipv4"}`, `"1.2.3"`, "must be an IPv4 address"},
		{`{"format": "hostname"}`, `"-bad-"`, "must be a host name"},
		{`{"format": "duration"}`, `"3 days"`, "must be an ISO 8601 duration (such as P3D or PT12H)"},
		{`{"minItems": 2}`, `[1]`, "must have at least 2 items"},
		{`{"maxItems": 1}`, `[1, 2]`, "must have at most 1 item"},
		{`{"uniqueItems": true}`, `["a", "b", "a"]`, "must not repeat an item (items 1 and 3 are the same)"},
		{`{"minProperties": 1}`, `{}`, "must have at least 1 field"},
		{`{"maxProperties": 1}`, `{"a": 1, "b": 2}`, "must have at most 1 field"},
		{`{"contains": {"const": "x"}}`, `["a"]`, "must contain an item of the required form"},
		{`{"contains": {"const": "x"}, "minContains": 2}`, `["x"]`, "must contain at least 2 items of the required form"},
		{`{"contains": {"const": "x"}, "maxContains": 1}`, `["x", "x"]`, "must contain at most 1 item of the required form"},
		{`{"propertyNames": {"pattern": "^[a-z]+$"}}`, `{"A": 1}`, `has a field name that is not allowed: "A"`},
		{`{"not": {"const": "root"}}`, `"root"`, "is not allowed (it has a form the schema excludes)"},
		{`false`, `1`, "is not allowed"},
		{`{"oneOf": [{"type": "string"}, {"type": "integer"}]}`, `true`, "must be text or a whole number"},
		{`{"oneOf": [{"const": 20}, {"const": 50}]}`, `30`, "must be one of: 20, 50"},
		{`{"oneOf": [{"type": "string"}, {"minLength": 1}]}`, `"x"`, "must match exactly one of the allowed forms, not several"},
		{`{"anyOf": [{"type": "integer"}, {"type": "string", "minLength": 3}]}`, `"ab"`, "must be at least 3 characters long"},
		{`{"anyOf": [{"minimum": 5}, {"maximum": 1}]}`, `3`, "does not match any of the allowed forms"},
	} {
		s := mustCompile(t, `{"properties": {"v": `+tc.prop+`}}`)
		got := s.Validate(decode(t, `{"v": `+tc.value+`}`))
		want := []FieldError{{"v", "/v", tc.want}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s with %s:\n got %v\nwant %v", tc.prop, tc.value, got, want)
		}
	}
}

// TestMessagesWhole covers the keywords that speak of several fields or
// of the answer as a whole.
func TestMessagesWhole(t *testing.T) {
	for _, tc := range []struct {
		schema, answer string
		want           []FieldError
	}{
		{`{"required": ["a", "b"]}`, `{}`,
			[]FieldError{{"a", "/a", "is required"}, {"b", "/b", "is required"}}},
		{`{"additionalProperties": false, "properties": {"a": {}}}`, `{"a": 1, "b": 2, "c/d": 3}`,
			[]FieldError{{"b", "/b", "is not an allowed field"}, {"c/d", "/c~1d", "is not an allowed field"}}},
		{`{"dependentRequired": {"gpu": ["gpu_model"]}}`, `{"gpu": true}`,
			[]FieldError{{"gpu_model", "/gpu_model", "is required when gpu is given"}}},
		{`{"$schema": "http://json-schema.org/draft-07/schema#", "dependencies": {"gpu": ["gpu_model"]}}`, `{"gpu": true}`,
			[]FieldError{{"gpu_model", "/gpu_model", "is required when gpu is given"}}},
		{`{"if": {"properties": {"gpu": {"const": true}}, "required": ["gpu"]}, "then": {"required": ["gpu_model"]}}`, `{"gpu": true}`,
			[]FieldError{{"gpu_model", "/gpu_model", "is required"}}},
		{`{"properties": {"disks": {"items": {"required": ["size"], "properties": {"size": {"minimum": 1}}}}}}`,
			`{"disks": [{"size": 0}, {}]}`,
			[]FieldError{{"disks", "/disks/0/size", "must be at least 1"}, {"disks", "/disks/1/size", "is required"}}},
		{`{"minProperties": 1}`, `{}`,
			[]FieldError{{"", "", "must have at least 1 field"}}},
		{`{"properties": {"a": {"minimum": 2}}, "allOf": [{"properties": {"a": {"minimum": 2}}}]}`, `{"a": 1}`,
			[]FieldError{{"a", "/a", "must be at least 2"}}}, // the same error twice is said once
	} {
		s := mustCompile(t, tc.schema)
		if got := s.Validate(decode(t, tc.answer)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s with %s:\n got %v\nwant %v", tc.schema, tc.answer, got, tc.want)
		}
	}
}

func TestValidateInput(t *testing.T) {
	s := mustCompile(t, `{"properties": {"n": {"type": "integer", "maximum": 10}}}`)
	// Any Go number type is a number, as after any JSON decoder.
	for _, v := range []any{int(11), int32(11), uint(11), float32(11), 11.0} {
		want := []FieldError{{"n", "/n", "must be at most 10"}}
		if got := s.Validate(map[string]any{"n": v}); !reflect.DeepEqual(got, want) {
			t.Errorf("Validate(%T) = %v", v, got)
		}
	}
	// What no JSON decoder yields is refused, not panicked on.
	got := s.Validate(map[string]any{"n": []string{"x"}})
	if len(got) != 1 || got[0].Path != "/n" || !strings.Contains(got[0].Message, "not a JSON value") {
		t.Errorf("Validate([]string) = %v", got)
	}
	// An answer nested past MaxJSONDepth is refused.
	var deep any = "x"
	for range MaxJSONDepth + 5 {
		deep = []any{deep}
	}
	got = s.Validate(map[string]any{"other": deep})
	if len(got) != 1 || got[0].Field != "other" || !strings.Contains(got[0].Message, "deeper than 128") {
		t.Errorf("Validate(deep) = %v", got)
	}
}
