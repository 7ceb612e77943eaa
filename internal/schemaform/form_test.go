package schemaform

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
)

const formSchema = `{
	"required": ["picks"],
	"properties": {
		"n": {"type": "integer", "maximum": 64},
		"x": {"type": "number"},
		"ok": {"type": "boolean"},
		"level": {"enum": [1, 2, 3]},
		"mode": {"oneOf": [{"const": "fast", "title": "Fast"}, {"const": null, "title": "None"}, {"const": 2.5}]},
		"picks": {"type": "array", "items": {"enum": ["a", "b", "c"]}},
		"more": {"type": "array", "items": {"enum": [1, 2]}},
		"text": {"type": "string"},
		"long": {"type": "string", "format": "textarea"},
		"data": {"type": "object"}
	}
}`

// TestFromForm reads each kind of field back, one field at a time on top
// of a valid base form.
func TestFromForm(t *testing.T) {
	s := mustCompile(t, formSchema)
	base := func() url.Values { return url.Values{"picks": {"a"}} }
	for _, tc := range []struct {
		name   string
		set    url.Values
		field  string
		want   any    // the field's value in the answer; absent when nil and wantErr == ""
		absent bool   // the field is left out
		err    string // the field's error instead
	}{
		{"integer", url.Values{"n": {" 42 "}}, "n", int64(42), false, ""},
		{"negative integer", url.Values{"n": {"-3"}}, "n", int64(-3), false, ""},
		{"integer empty", url.Values{"n": {""}}, "n", nil, true, ""},
		{"integer spaces", url.Values{"n": {"  "}}, "n", nil, true, ""},
		{"integer not a number", url.Values{"n": {"lots"}}, "n", nil, false, "must be a whole number"},
		{"integer with a fraction", url.Values{"n": {"8.0"}}, "n", nil, false, "must be a whole number"},
		{"integer in exponent form", url.Values{"n": {"1e3"}}, "n", nil, false, "must be a whole number"},
		{"integer past int64", url.Values{"n": {"99999999999999999999"}}, "n", nil, false, "must be at most 64"},
		{"number", url.Values{"x": {"2.5"}}, "x", 2.5, false, ""},
		{"number whole", url.Values{"x": {"3"}}, "x", int64(3), false, ""},
		{"number leading dot", url.Values{"x": {".5"}}, "x", 0.5, false, ""},
		{"number exponent", url.Values{"x": {"-1.5E3"}}, "x", -1500.0, false, ""},
		{"number NaN", url.Values{"x": {"NaN"}}, "x", nil, false, "must be a number"},
		{"number Inf", url.Values{"x": {"Infinity"}}, "x", nil, false, "must be a number"},
		{"number hex", url.Values{"x": {"0x10"}}, "x", nil, false, "must be a number"},
		{"number underscore", url.Values{"x": {"1_000"}}, "x", nil, false, "must be a number"},
		{"number too large", url.Values{"x": {"1e400"}}, "x", nil, false, "is out of range"},
		{"checkbox on", url.Values{"ok": {"on"}}, "ok", true, false, ""},
		{"checkbox true", url.Values{"ok": {"true"}}, "ok", true, false, ""},
		{"checkbox hidden false then checked", url.Values{"ok": {"false", "true"}}, "ok", true, false, ""},
		{"checkbox absent", url.Values{}, "ok", false, false, ""},
		{"checkbox other", url.Values{"ok": {"yes"}}, "ok", false, false, ""},
		{"select typed", url.Values{"level": {"2"}}, "level", int64(2), false, ""},
		{"select nothing", url.Values{"level": {""}}, "level", nil, true, ""},
		{"select unknown", url.Values{"level": {"4"}}, "level", nil, false, "must be one of: 1, 2, 3"},
		{"labelled choice", url.Values{"mode": {"fast"}}, "mode", "fast", false, ""},
		{"labelled null", url.Values{"mode": {"null"}}, "mode", nil, false, ""},
		{"labelled number", url.Values{"mode": {"2.5"}}, "mode", 2.5, false, ""},
		{"checkboxes in schema order", url.Values{"picks": {"c", "a", "c", ""}}, "picks", []any{"a", "c"}, false, ""},
		{"checkboxes none, required", url.Values{"picks": nil}, "picks", []any{}, false, ""},
		{"checkboxes unknown", url.Values{"picks": {"a", "z"}}, "picks", nil, false, "must be one of: a, b, c"},
		{"checkboxes typed", url.Values{"more": {"2"}}, "more", []any{int64(2)}, false, ""},
		{"checkboxes none, optional", url.Values{"more": nil}, "more", nil, true, ""},
		{"text", url.Values{"text": {" as typed "}}, "text", " as typed ", false, ""},
		{"text empty", url.Values{"text": {""}}, "text", nil, true, ""},
		{"text not UTF-8", url.Values{"text": {"\xff"}}, "text", nil, false, "is not valid UTF-8 text"},
		{"textarea line ends", url.Values{"long": {"a\r\nb\r\n"}}, "long", "a\nb\n", false, ""},
		{"json", url.Values{"data": {` {"a": [1, 2.5, "x", null, true]} `}}, "data", map[string]any{"a": []any{int64(1), 2.5, "x", nil, true}}, false, ""},
		{"json empty", url.Values{"data": {" "}}, "data", nil, true, ""},
		{"json wrong type", url.Values{"data": {`[1]`}}, "data", nil, false, "must be an object"},
		{"json broken", url.Values{"data": {`{"a": }`}}, "data", nil, false, NotJSON},
		{"json two values", url.Values{"data": {`{} {}`}}, "data", nil, false, NotJSON},
		{"json text", url.Values{"data": {`approved`}}, "data", nil, false, NotJSON},
		// Sent as text, it is a string, which this field's schema refuses.
		{"json sent as text", url.Values{"data": {` approved `}, AsTextField: {"data"}}, "data", nil, false, "must be an object"},
		{"json sent as text names another field", url.Values{"data": {`approved`}, AsTextField: {"long"}}, "data", nil, false, NotJSON},
		{"json too deep", url.Values{"data": {`{"a":` + strings.Repeat("[", MaxJSONDepth) + strings.Repeat("]", MaxJSONDepth) + `}`}}, "data", nil, false,
			"is not valid JSON (nested deeper than 128 levels)"},
		{"json brackets in strings do not count", url.Values{"data": {`{"a": "` + strings.Repeat("[", 500) + `"}`}}, "data",
			map[string]any{"a": strings.Repeat("[", 500)}, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			form := base()
			for k, v := range tc.set {
				form[k] = v
			}
			answer, errs := s.FromForm(form)
			if tc.err != "" {
				want := []FieldError{{tc.field, "/" + tc.field, tc.err}}
				if answer != nil || !reflect.DeepEqual(errs, want) {
					t.Errorf("got %v, %v; want errors %v", answer, errs, want)
				}
				return
			}
			if errs != nil {
				t.Fatalf("errors: %v", errs)
			}
			got, present := answer[tc.field]
			if present == tc.absent || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s = %#v (present %v), want %#v (present %v)", tc.field, got, present, tc.want, !tc.absent)
			}
		})
	}
}

func TestFromFormRequired(t *testing.T) {
	s := mustCompile(t, `{"required": ["n", "t", "z", "ok"], "properties": {
		"n": {"type": "integer"}, "t": {"type": "string"}, "z": {"enum": ["a", "b"]}, "ok": {"type": "boolean", "const": true}}}`)
	_, errs := s.FromForm(url.Values{"n": {""}, "t": {""}})
	want := []FieldError{
		{"n", "/n", "is required"},
		{"ok", "/ok", "must be true"}, // an unchecked box is false, never missing
		{"t", "/t", "is required"},
		{"z", "/z", "is required"},
	}
	if !reflect.DeepEqual(errs, want) {
		t.Errorf("errors = %v\nwant %v", errs, want)
	}
	// A field that cannot be read is reported once, not also as missing.
	_, errs = s.FromForm(url.Values{"n": {"x"}, "t": {"a"}, "z": {"a"}, "ok": {"on"}})
	if want := []FieldError{{"n", "/n", "must be a whole number"}}; !reflect.DeepEqual(errs, want) {
		t.Errorf("errors = %v, want %v", errs, want)
	}
}

func TestEchoAndInitial(t *testing.T) {
	s := mustCompile(t, formSchema)
	posted := url.Values{"n": {"lots"}, "picks": {"a", "z"}, "data": {"{broken"}, "csrf_token": {"t"}, "comment": {"c"}}
	echo := s.Echo(posted)
	want := url.Values{"n": {"lots"}, "picks": {"a", "z"}, "data": {"{broken"}}
	if !reflect.DeepEqual(echo, want) {
		t.Errorf("Echo = %v, want %v", echo, want)
	}
	echo["n"][0] = "changed"
	if posted.Get("n") != "lots" {
		t.Error("Echo shares its slices with the posted values")
	}

	s = mustCompile(t, `{"properties": {
		"a": {"type": "string", "default": "hello"},
		"b": {"type": "boolean", "default": true},
		"c": {"type": "boolean", "default": false},
		"d": {"type": "array", "items": {"enum": [1, 2, 3]}, "default": [3, 1]},
		"e": {"type": "object", "default": {"k": 1}},
		"f": {"enum": ["x", "y"], "default": "y"},
		"g": {"type": "integer"}}}`)
	init := s.Initial()
	wantInit := url.Values{"a": {"hello"}, "b": {"true"}, "d": {"1", "3"}, "e": {`{"k":1}`}, "f": {"y"}}
	if !reflect.DeepEqual(init, wantInit) {
		t.Errorf("Initial = %v, want %v", init, wantInit)
	}
	// The defaults, posted back unchanged, are the defaults.
	answer, errs := s.FromForm(init)
	wantAnswer := map[string]any{"a": "hello", "b": true, "c": false, "d": []any{int64(1), int64(3)}, "e": map[string]any{"k": int64(1)}, "f": "y"}
	if errs != nil || !reflect.DeepEqual(answer, wantAnswer) {
		t.Errorf("FromForm(Initial) = %v, %v; want %v", answer, errs, wantAnswer)
	}
}
