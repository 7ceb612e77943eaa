package schemaform

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sirocco-project/sirocco/internal/fault"
)

// schemaError asserts err is Compile's refusal and returns its parts.
func schemaError(t *testing.T, err error) *SchemaError {
	t.Helper()
	if err == nil {
		t.Fatal("Compile accepted the schema")
	}
	if fault.Code(err) != fault.EINVALID {
		t.Errorf("code = %q, want %q (%v)", fault.Code(err), fault.EINVALID, err)
	}
	var se *SchemaError
	if !errors.As(err, &se) {
		t.Fatalf("%v does not wrap a *SchemaError", err)
	}
	if fault.Message(err) != se.Error() {
		t.Errorf("message %q != %q", fault.Message(err), se.Error())
	}
	return se
}

func TestCompileRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, schema string
		path, msg    string // msg: a part of the message
	}{
		// Nothing is ever loaded: not a file, not a URL, not even a
		// meta-schema the library carries.
		{"ref file", `{"properties": {"a": {"$ref": "file:///etc/passwd"}}}`, "/properties/a/$ref", "only references inside this schema"},
		{"ref http", `{"properties": {"a": {"$ref": "http://127.0.0.1:1/x"}}}`, "/properties/a/$ref", "only references inside this schema"},
		{"ref meta-schema", `{"$ref": "https://json-schema.org/draft/2020-12/schema"}`, "/$ref", "only references inside this schema"},
		{"ref relative", `{"$ref": "other.json#/a"}`, "/$ref", "only references inside this schema"},
		{"ref anchor", `{"$defs": {"a": {"$anchor": "a"}}, "$ref": "#a"}`, "/$ref", "only references inside this schema"},
		{"schema file", `{"$schema": "file:///etc/passwd"}`, "/$schema", "not one of the accepted drafts"},
		{"schema http", `{"$schema": "http://127.0.0.1:1/x"}`, "/$schema", "not one of the accepted drafts"},
		{"schema latest", `{"$schema": "https://json-schema.org/schema"}`, "/$schema", "not one of the accepted drafts"},
		{"schema nested", `{"$defs": {"a": {"$schema": "http://127.0.0.1:1/x"}}}`, "/$defs/a/$schema", "not one of the accepted drafts"},
		{"dynamicRef", `{"properties": {"a": {"$dynamicRef": "#meta"}}}`, "/properties/a/$dynamicRef", "not supported"},
		{"recursiveRef", `{"$schema": "https://json-schema.org/draft/2019-09/schema", "properties": {"a": {"$recursiveRef": "#"}}}`, "/properties/a/$recursiveRef", "not supported"},
		{"nested $id", `{"properties": {"a": {"$id": "https://example.com/a", "type": "string"}}}`, "/properties/a/$id", "only allowed at the top"},
		{"nested draft-04 id", `{"$schema": "http://json-schema.org/draft-04/schema#", "properties": {"a": {"id": "a.json"}}}`, "/properties/a/id", "only allowed at the top"},
		{"ref to nothing", `{"properties": {"a": {"$ref": "#/$defs/missing"}}}`, "/properties/a/$ref", "points to nothing"},
		{"ref to data", `{"properties": {"a": {"enum": ["x"]}, "b": {"$ref": "#/properties/a/enum/0"}}}`, "/properties/b/$ref", "not a schema"},
		{"ref bad pointer", `{"$ref": "#/a~2b"}`, "/$ref", "not a valid JSON pointer"},
		{"ref to itself", `{"$ref": "#"}`, "/$ref", "recursive schemas are not supported"},
		{"ref cycle", `{"$defs": {"node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/node"}}}}, "properties": {"list": {"$ref": "#/$defs/node"}}}`,
			"/$defs/node/properties/next/$ref", "recursive schemas are not supported"},
		{"ref cycle of two", `{"$defs": {"a": {"items": {"$ref": "#/$defs/b"}}, "b": {"not": {"$ref": "#/$defs/a"}}}}`,
			"/$defs/b/not/$ref", "recursive schemas are not supported"},

		// An answer is an object.
		{"type array", `{"type": "array"}`, "/type", `must be "object"`},
		{"type list", `{"type": ["object", "null"]}`, "/type", `must be "object"`},
		{"not an object", `"string"`, "", "must be an object"},
		{"boolean", `true`, "", "must be an object"},
		{"list", `[]`, "", "must be an object"},

		// The draft's meta-schema, worded and placed.
		{"minimum not a number", `{"properties": {"cores": {"type": "integer", "minimum": "1"}}}`, "/properties/cores/minimum", "must be a number"},
		{"unknown type", `{"properties": {"a": {"type": "strin"}}}`, "/properties/a/type", "must be one of: array, boolean, integer, null, number, object, string"},
		{"required not a list", `{"required": "a"}`, "/required", "must be a list"},
		{"bad regex", `{"properties": {"a": {"type": "string", "pattern": "(?=x)"}}}`, "/properties/a/pattern", "must be a regular expression in Go's RE2 syntax"},
		{"draft-04 meta-schema", `{"$schema": "http://json-schema.org/draft-04/schema#", "properties": {"a": {"exclusiveMinimum": 3}}}`,
			"/properties/a/exclusiveMinimum", "must be true or false"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile(decode(t, tc.schema))
			se := schemaError(t, err)
			if se.Path != tc.path || !strings.Contains(se.Message, tc.msg) {
				t.Errorf("got path %q message %q\nwant path %q message containing %q", se.Path, se.Message, tc.path, tc.msg)
			}
		})
	}
}

func TestCompileAccepts(t *testing.T) {
	for _, schema := range []string{
		// Every supported draft, named as people write them.
		`{"$schema": "http://json-schema.org/draft-04/schema#", "properties": {"a": {"minimum": 1, "exclusiveMinimum": true}}}`,
		`{"$schema": "http://json-schema.org/draft-06/schema#"}`,
		`{"$schema": "http://json-schema.org/draft-07/schema#"}`,
		`{"$schema": "https://json-schema.org/draft/2019-09/schema"}`,
		`{"$schema": "https://json-schema.org/draft/2020-12/schema"}`,
		// $id at the top, references inside.
		`{"$id": "https://example.com/vm.json", "$defs": {"zone": {"enum": ["a", "b"]}}, "properties": {"z": {"$ref": "#/$defs/zone"}}}`,
		`{"definitions": {"a b": {"type": "string"}, "c/d": {"type": "integer"}}, "properties": {"x": {"$ref": "#/definitions/a%20b"}, "y": {"$ref": "#/definitions/c~1d"}}}`,
		// The same definition referred to many times is no cycle.
		`{"$defs": {"n": {"type": "integer"}}, "properties": {"a": {"$ref": "#/$defs/n"}, "b": {"$ref": "#/$defs/n"}, "c": {"items": {"$ref": "#/$defs/n"}}}}`,
		// A property named like a keyword is data, not a reference.
		`{"properties": {"$ref": {"type": "string"}, "$schema": {"enum": ["file:///etc/passwd"]}}}`,
		`{"type": ["object"]}`,
	} {
		if _, err := Compile(decode(t, schema)); err != nil {
			t.Errorf("Compile(%s): %v", schema, err)
		}
	}
}

// TestNothingIsLoaded serves a valid schema over HTTP and from a file and
// refers to both: Compile refuses, and the server sees no request. The
// library's own resolver is locked too (refuseLoader), checked here
// without Compile's first check.
func TestNothingIsLoaded(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"type": "integer"}`)
	}))
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "s.json")
	if err := os.WriteFile(file, []byte(`{"type": "integer"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{srv.URL + "/s.json", "file://" + file, "file:///etc/passwd", "http://127.0.0.1:1/x"} {
		for _, doc := range []map[string]any{
			{"properties": map[string]any{"a": map[string]any{"$ref": target}}},
			{"$schema": target},
		} {
			if _, err := Compile(doc); err == nil {
				t.Errorf("Compile(%v) accepted", doc)
			}
			_, err := compile(doc)
			if err == nil || !strings.Contains(err.Error(), "never loaded") {
				t.Errorf("compile(%v) = %v, want the loader's refusal", doc, err)
			}
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the server was asked %d times", n)
	}
}

func TestCompileBounds(t *testing.T) {
	t.Run("bytes", func(t *testing.T) {
		enum := make([]any, 0, 7000)
		for i := range 7000 {
			enum = append(enum, fmt.Sprintf("choice-%d", i))
		}
		se := schemaError(t, errOf(Compile(map[string]any{"properties": map[string]any{"a": map[string]any{"enum": enum}}})))
		if se.Path != "" || !strings.Contains(se.Message, "more than the 65536 allowed") {
			t.Errorf("got %v", se)
		}
	})
	t.Run("properties", func(t *testing.T) {
		props := map[string]any{}
		for i := range MaxProperties/2 + 1 {
			props[fmt.Sprint(i)] = true
		}
		// Two objects of 501 properties: each is fine, together too many.
		se := schemaError(t, errOf(Compile(map[string]any{
			"properties": props,
			"$defs":      map[string]any{"other": map[string]any{"properties": props}},
		})))
		if se.Path != "/properties" || !strings.Contains(se.Message, "past 1000 properties") {
			t.Errorf("got %v", se)
		}
		delete(props, "0")
		if _, err := Compile(map[string]any{"properties": props, "$defs": map[string]any{"other": map[string]any{"properties": props}}}); err != nil {
			t.Errorf("1000 properties: %v", err)
		}
	})
	t.Run("depth", func(t *testing.T) {
		var deep any = map[string]any{}
		for range 40 {
			deep = map[string]any{"not": deep}
		}
		se := schemaError(t, errOf(Compile(deep)))
		if !strings.HasPrefix(se.Path, "/not/not/") || strings.Count(se.Path, "/") != MaxSchemaDepth || !strings.Contains(se.Message, "deeper than 32") {
			t.Errorf("got %v", se)
		}
	})
	t.Run("fan-out", func(t *testing.T) {
		// Each level refers twice to the next: 2^levels subschemas once
		// expanded, from a schema of a few hundred bytes.
		fan := func(levels int) map[string]any {
			defs := map[string]any{fmt.Sprintf("d%d", levels): map[string]any{"type": "integer"}}
			for i := range levels {
				next := map[string]any{"$ref": fmt.Sprintf("#/$defs/d%d", i+1)}
				defs[fmt.Sprintf("d%d", i)] = map[string]any{"anyOf": []any{next, next}}
			}
			return map[string]any{"$defs": defs, "properties": map[string]any{"a": map[string]any{"$ref": "#/$defs/d0"}}}
		}
		se := schemaError(t, errOf(Compile(fan(30))))
		if se.Path != "" || !strings.Contains(se.Message, "more than 20000 subschemas") {
			t.Errorf("got %v", se)
		}
		if _, err := Compile(fan(10)); err != nil {
			t.Errorf("1024 subschemas: %v", err)
		}
	})
	t.Run("not JSON", func(t *testing.T) {
		for _, tc := range []struct {
			v    any
			path string
		}{
			{map[string]any{"properties": map[string]any{"a": map[string]any{"default": math.NaN()}}}, "/properties/a/default"},
			{map[string]any{"properties": map[string]any{"a": map[string]any{"default": math.Inf(1)}}}, "/properties/a/default"},
			{map[string]any{"properties": map[string]string{"a": "b"}}, "/properties"},
			{map[string]any{"enum": []any{struct{}{}}}, "/enum/0"},
		} {
			se := schemaError(t, errOf(Compile(tc.v)))
			if se.Path != tc.path {
				t.Errorf("Compile(%v): path %q, want %q (%s)", tc.v, se.Path, tc.path, se.Message)
			}
		}
	})
	t.Run("Go numbers", func(t *testing.T) {
		s, err := Compile(map[string]any{"properties": map[string]any{
			"a": map[string]any{"type": "integer", "minimum": 1, "maximum": uint8(9), "default": json.Number("3")},
			"b": map[string]any{"type": "number", "minimum": float32(0.5)},
		}})
		if err != nil {
			t.Fatal(err)
		}
		f := s.Fields()
		if f[0].Min != "1" || f[0].Max != "9" || f[0].Default != "3" || f[1].Min != "0.5" {
			t.Errorf("fields = %+v", f)
		}
	})
}

func errOf(_ *Schema, err error) error { return err }
