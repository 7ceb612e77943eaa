package schemaform

import (
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/sirocco-project/sirocco/internal/fault"
)

// FuzzCompile feeds schemas to Compile: it never panics, refuses with a
// located EINVALID error, and what it accepts can be drawn, filled with
// its defaults and read back without panicking.
func FuzzCompile(f *testing.F) {
	for _, seed := range []string{
		readFile(f, "vm_request.json"),
		formSchema,
		`{}`, `null`, `true`, `[]`, `"x"`,
		`{"$ref": "#"}`,
		`{"$ref": "file:///etc/passwd"}`,
		`{"$schema": "http://json-schema.org/draft-04/schema#", "properties": {"a": {"minimum": 1, "exclusiveMinimum": true}}}`,
		`{"$defs": {"a": {"anyOf": [{"$ref": "#/$defs/b"}, {"$ref": "#/$defs/b"}]}, "b": {"type": "integer"}}, "properties": {"x": {"$ref": "#/$defs/a"}}}`,
		`{"properties": {"a": {"oneOf": [{"const": 1, "title": "one"}, {"const": "1"}]}}}`,
		`{"properties": {"a": {"type": "array", "items": {"enum": ["a", 1, null]}, "default": ["a"]}}}`,
		`{"properties": {"a": {"type": "string", "pattern": "(a+)+$", "format": "textarea", "default": 1}}}`,
		`{"properties": {"a": {"type": "integer", "minimum": 1e308, "exclusiveMaximum": -1e308, "multipleOf": 1e-300}}}`,
		`{"required": ["a", "a"], "properties": {"a": {"$ref": "#/properties/b"}, "b": {"$ref": "#/properties/c"}, "c": {}}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dec := json.NewDecoder(strings.NewReader(string(data)))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) != nil {
			return
		}
		s, err := Compile(v)
		if err != nil {
			var se *SchemaError
			if fault.Code(err) != fault.EINVALID || !errors.As(err, &se) {
				t.Fatalf("Compile error %v is not a located EINVALID", err)
			}
			return
		}
		if b, _ := json.Marshal(v); len(b) > MaxSchemaBytes {
			t.Fatalf("accepted a schema of %d bytes", len(b))
		}
		s.Fields()
		s.Validate(nil)
		answer, errs := s.FromForm(s.Initial())
		if errs == nil {
			if again := s.Validate(answer); again != nil {
				t.Fatalf("FromForm accepted %v, Validate refuses it: %v", answer, again)
			}
		}
	})
}

// FuzzFromForm posts arbitrary forms: FromForm never panics, and whatever
// it accepts Validate accepts too, also after a trip through JSON (the
// answer is stored and sent as JSON), and holds only the schema's fields.
func FuzzFromForm(f *testing.F) {
	s := mustCompile(f, readFile(f, "vm_request.json"))
	loose := mustCompile(f, formSchema)
	f.Add(vmForm().Encode())
	f.Add(s.Initial().Encode())
	f.Add("cores=lots&zone=&tags=prod&tags=nope&extra_disks=%5B%7B")
	f.Add("cores=1e3&memory_gb=.5&gpu=on&size=20&extra_disks=%5B%5D")
	f.Add("n=-0&x=-0.0&ok=true&level=3&mode=null&picks=a&more=1&data=%7B%22a%22%3A1e400%7D")
	f.Add("text=%FF&long=a%0D%0Ab&data=%7B%22a%22%3A%5B%5B%5B%5D%5D%5D%7D")
	f.Fuzz(func(t *testing.T, query string) {
		values, _ := url.ParseQuery(query) // what parsed, as a server would
		for _, sch := range []*Schema{s, loose} {
			answer, errs := sch.FromForm(values)
			if errs != nil {
				if answer != nil {
					t.Fatalf("an answer with errors: %v", answer)
				}
				for _, e := range errs {
					if e.Message == "" {
						t.Fatalf("an error without a message: %v", errs)
					}
				}
				continue
			}
			if again := sch.Validate(answer); again != nil {
				t.Fatalf("FromForm accepted %v, Validate refuses it: %v", answer, again)
			}
			names := map[string]bool{}
			for _, f := range sch.Fields() {
				names[f.Name] = true
			}
			for k := range answer {
				if !names[k] {
					t.Fatalf("answer has %q, not a field", k)
				}
			}
			b, err := json.Marshal(answer)
			if err != nil {
				t.Fatalf("answer %v is not JSON: %v", answer, err)
			}
			dec := json.NewDecoder(strings.NewReader(string(b)))
			dec.UseNumber()
			var back any
			if err := dec.Decode(&back); err != nil {
				t.Fatal(err)
			}
			if again := sch.Validate(back); again != nil {
				t.Fatalf("%s refused after a JSON trip: %v", b, again)
			}
			if sch.Echo(values) == nil {
				t.Fatal("Echo returned nil")
			}
		}
	})
}

// TestFuzzSeedsSane keeps the seeds meaningful: the VM form seed is
// accepted, so FuzzFromForm checks the accept path from its first run.
func TestFuzzSeedsSane(t *testing.T) {
	s := mustCompile(t, readFile(t, "vm_request.json"))
	values, err := url.ParseQuery(vmForm().Encode())
	if err != nil {
		t.Fatal(err)
	}
	if _, errs := s.FromForm(values); errs != nil {
		t.Fatal(errs)
	}
	if !reflect.DeepEqual(s.Echo(values)["tags"], []string{"gpu", "prod"}) {
		t.Error("Echo lost the tags")
	}
}
