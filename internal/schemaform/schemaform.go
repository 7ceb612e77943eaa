// Package schemaform turns the JSON Schema of an approval's answer into a
// form and back. One compiled schema serves every channel: the dashboard
// draws its fields from Fields, reads a post back with FromForm, and the
// API and the Go client check a JSON body with Validate, so the same rules
// and the same messages apply wherever an answer comes from.
//
// Schemas are JSON Schema drafts 4, 6, 7, 2019-09 and 2020-12 ($schema
// names one; without it, 2020-12). Validation is by
// github.com/santhosh-tekuri/jsonschema/v6 with format assertions on.
// Nothing is ever loaded: $ref may only point inside the schema itself
// ("#" or "#/…"), and $schema may only name one of those drafts, whose
// meta-schemas the library carries.
package schemaform

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/sirocco-project/sirocco/internal/fault"
)

// Bounds on a schema. A schema comes from a workflow definition, but the
// answers it checks come from people and are checked on every vote, so
// what a schema may cost is fixed here.
const (
	// MaxSchemaBytes bounds a schema's compact JSON encoding.
	MaxSchemaBytes = 64 << 10
	// MaxProperties bounds the entries of all "properties" keywords.
	MaxProperties = 1000
	// MaxSchemaDepth bounds the nesting of objects and arrays in a schema.
	MaxSchemaDepth = 32
	// MaxExpanded bounds the number of subschemas once every $ref is
	// replaced by what it points to. Validation visits each at most once
	// per value of the answer, so this keeps a schema whose $refs fan out
	// (each level pointing twice at the next) from costing 2^levels.
	MaxExpanded = 20000
	// MaxJSONDepth bounds the nesting of an answer, and so of a json
	// field's value in a form.
	MaxJSONDepth = 128
)

// baseURL names the schema inside the compiler; it is never fetched.
const baseURL = "mem:///answer-schema.json"

// Schema is a compiled answer schema. It is immutable and safe for
// concurrent use.
type Schema struct {
	compiled *jsonschema.Schema
	fields   []Field
}

// SchemaError is what Compile refuses, with the JSON pointer of the
// offending part of the schema ("" for the whole schema) so that a caller
// holding the source can point at a line and column.
type SchemaError struct {
	Path    string
	Message string
}

func (e *SchemaError) Error() string {
	if e.Path == "" {
		return "schema: " + e.Message
	}
	return "schema " + e.Path + ": " + e.Message
}

func schemaErr(path, format string, args ...any) error {
	e := &SchemaError{Path: path, Message: fmt.Sprintf(format, args...)}
	return fault.Wrap(e, fault.EINVALID, e.Error())
}

// Compile checks and compiles an answer schema given as a decoded JSON
// value (maps, slices, strings, booleans, nil, and numbers as int64,
// float64 or any other Go number type or json.Number).
//
// nil (no schema given) means "no fields": the answer must be {} or
// absent. A schema {} also has no fields, but as JSON Schema says, it
// accepts any object; "additionalProperties": false refuses the rest.
//
// Errors are fault.EINVALID and wrap a *SchemaError (errors.As) that
// carries the JSON pointer of the problem.
func Compile(schema any) (*Schema, error) {
	if schema == nil {
		schema = map[string]any{"type": "object", "additionalProperties": false}
	}
	doc, err := normalize(schema, "", 0, MaxSchemaDepth)
	if err != nil {
		var pe *pathError
		if errors.As(err, &pe) {
			return nil, schemaErr(pe.path, "%s", pe.msg)
		}
		return nil, schemaErr("", "%v", err)
	}
	root, ok := doc.(map[string]any)
	if !ok {
		return nil, schemaErr("", "must be an object (the answer is an object, so its schema is one too)")
	}
	enc, err := json.Marshal(root)
	if err != nil {
		return nil, schemaErr("", "%v", err)
	}
	if len(enc) > MaxSchemaBytes {
		return nil, schemaErr("", "is %d bytes of JSON, more than the %d allowed", len(enc), MaxSchemaBytes)
	}
	if t, ok := root["type"]; ok && !isObjectType(t) {
		return nil, schemaErr("/type", `must be "object": the answer is an object`)
	}
	if err := check(root); err != nil {
		return nil, err
	}
	compiled, err := compile(root)
	if err != nil {
		return nil, err
	}
	return &Schema{compiled: compiled, fields: deriveFields(root, compiled)}, nil
}

// compile is the library's part of Compile, on a schema check accepted.
func compile(root map[string]any) (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.UseLoader(refuseLoader{})
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(baseURL, root); err != nil {
		return nil, schemaErr("", "%v", err)
	}
	compiled, err := c.Compile(baseURL)
	if err != nil {
		return nil, compileError(err)
	}
	return compiled, nil
}

func isObjectType(t any) bool {
	switch t := t.(type) {
	case string:
		return t == "object"
	case []any:
		return len(t) == 1 && t[0] == "object"
	}
	return false
}

// refuseLoader is the compiler's only way out, and it refuses: no file or
// URL is ever read. check refuses such references first with a better
// message; this is the second lock.
type refuseLoader struct{}

func (refuseLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("loading %q: schemas are never loaded from files or URLs", url)
}

// compileError words an error of the library's compiler, most often the
// schema failing its draft's meta-schema.
func compileError(err error) error {
	var sve *jsonschema.SchemaValidationError
	if errors.As(err, &sve) {
		var ve *jsonschema.ValidationError
		if errors.As(sve.Err, &ve) {
			if errs := flatten(ve); len(errs) > 0 {
				sort.Slice(errs, func(i, j int) bool { return errs[i].Path < errs[j].Path })
				return schemaErr(errs[0].Path, "%s", errs[0].Message)
			}
		}
	}
	msg := strings.ReplaceAll(err.Error(), baseURL+"#", "")
	msg = strings.ReplaceAll(msg, baseURL, "the schema")
	return schemaErr("", "%s", msg)
}

// ratString writes a bound from the schema as a form and a message show it.
func ratString(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	f, _ := r.Float64()
	return formatFloat(f)
}
