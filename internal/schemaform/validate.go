package schemaform

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"

	"github.com/sirocco-project/sirocco/internal/fault"
)

// FieldError is one reason an answer is refused.
type FieldError struct {
	Field   string // the top-level property concerned, "" for the answer as a whole
	Path    string // JSON pointer of the value at fault ("/cores", "/disks/0"), "" for the answer
	Message string // plain English, to follow the field's name: "must be at least 1"
}

func (e FieldError) String() string {
	if e.Path == "" {
		return "the answer " + e.Message
	}
	return strings.TrimPrefix(e.Path, "/") + ": " + e.Message
}

// AnswerError is an answer refused, with each reason.
type AnswerError struct {
	Errors []FieldError
}

func (e *AnswerError) Error() string {
	parts := make([]string, len(e.Errors))
	for i, fe := range e.Errors {
		parts[i] = fe.String()
	}
	return "invalid answer: " + strings.Join(parts, "; ")
}

// Err returns nil for no errors, else a fault.EINVALID error whose message
// names each failing field and which wraps an *AnswerError (errors.As) for
// callers that show errors field by field.
func Err(errs []FieldError) error {
	if len(errs) == 0 {
		return nil
	}
	e := &AnswerError{Errors: errs}
	return fault.Wrap(e, fault.EINVALID, e.Error())
}

// Validate checks an answer (a decoded JSON object; nil, an absent
// answer, is taken as {}) and returns every reason it is refused, ordered
// by path; none when it is valid.
func (s *Schema) Validate(answer any) []FieldError {
	if answer == nil {
		answer = map[string]any{}
	}
	v, err := normalize(answer, "", 0, MaxJSONDepth)
	if err != nil {
		var pe *pathError
		if errors.As(err, &pe) {
			return []FieldError{fieldError(pe.path, pe.msg)}
		}
		return []FieldError{{Message: err.Error()}}
	}
	if _, ok := v.(map[string]any); !ok {
		return []FieldError{{Message: "must be an object"}}
	}
	err = s.compiled.Validate(v)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []FieldError{{Message: "could not be checked: " + err.Error()}}
	}
	return tidy(flatten(ve))
}

// fieldError builds a FieldError from a JSON pointer.
func fieldError(path, msg string) FieldError {
	field := ""
	if path != "" {
		first, _, _ := strings.Cut(path[1:], "/")
		field, _ = unescape(first)
	}
	return FieldError{Field: field, Path: path, Message: msg}
}

// tidy drops duplicates and orders errors by path, then message.
func tidy(errs []FieldError) []FieldError {
	sort.SliceStable(errs, func(i, j int) bool {
		if errs[i].Path != errs[j].Path {
			return errs[i].Path < errs[j].Path
		}
		return errs[i].Message < errs[j].Message
	})
	out := errs[:0]
	for i, e := range errs {
		if i > 0 && e == errs[i-1] {
			continue
		}
		out = append(out, e)
	}
	return out
}

// flatten turns the library's tree of errors into messages at the values
// at fault. Inner nodes (the schema, a group of keywords, a $ref, allOf)
// only gather their causes; anyOf and oneOf are worded as a whole.
func flatten(e *jsonschema.ValidationError) []FieldError {
	at := func(tokens ...string) string {
		return pointer(append(append([]string(nil), e.InstanceLocation...), tokens...))
	}
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		var out []FieldError
		for _, name := range k.Missing {
			out = append(out, fieldError(at(name), "is required"))
		}
		return out
	case *kind.DependentRequired:
		return missing(at, k.Missing, k.Prop)
	case *kind.Dependency:
		if len(k.Missing) > 0 {
			return missing(at, k.Missing, k.Prop)
		}
	case *kind.AdditionalProperties:
		var out []FieldError
		for _, name := range k.Properties {
			out = append(out, fieldError(at(name), "is not an allowed field"))
		}
		return out
	case *kind.AnyOf:
		return alternatives(e)
	case *kind.OneOf:
		if len(k.Subschemas) > 1 {
			return []FieldError{fieldError(at(), "must match exactly one of the allowed forms, not several")}
		}
		return alternatives(e)
	}
	if msg, ok := message(e.ErrorKind); ok {
		return []FieldError{fieldError(at(), msg)}
	}
	if len(e.Causes) == 0 {
		return []FieldError{fieldError(at(), "is not valid")}
	}
	var out []FieldError
	for _, c := range e.Causes {
		out = append(out, flatten(c)...)
	}
	return out
}

func missing(at func(...string) string, names []string, because string) []FieldError {
	var out []FieldError
	for _, name := range names {
		out = append(out, fieldError(at(name), fmt.Sprintf("is required when %s is given", because)))
	}
	return out
}

// alternatives words an anyOf or oneOf that nothing matched. A branch
// that failed only on the value's type, or only on its const or enum, is
// the wrong shape or value; if every branch is one of those, the message
// lists what is allowed ("must be one of: 20, 50", "must be text or a
// whole number"). If exactly one branch failed otherwise, its own errors
// are the useful ones.
func alternatives(e *jsonschema.ValidationError) []FieldError {
	loc := pointer(e.InstanceLocation)
	var types []string
	var values []any
	var other []*jsonschema.ValidationError
	for _, c := range e.Causes {
		if len(c.Causes) == 0 && pointer(c.InstanceLocation) == loc {
			switch k := c.ErrorKind.(type) {
			case *kind.Type:
				types = append(types, k.Want...)
				continue
			case *kind.Const:
				values = append(values, k.Want)
				continue
			case *kind.Enum:
				values = append(values, k.Want...)
				continue
			}
		}
		other = append(other, c)
	}
	switch {
	case len(other) == 1:
		return flatten(other[0])
	case len(other) > 0:
	case len(values) > 0 && len(types) == 0:
		return []FieldError{fieldError(loc, oneOf(values))}
	case len(types) > 0 && len(values) == 0:
		return []FieldError{fieldError(loc, "must be "+typeList(types))}
	}
	return []FieldError{fieldError(loc, "does not match any of the allowed forms")}
}

// message words one failed keyword; ok is false for the kinds that only
// gather others.
func message(k jsonschema.ErrorKind) (string, bool) {
	switch k := k.(type) {
	case *kind.Type:
		return "must be " + typeList(k.Want), true
	case *kind.Enum:
		return oneOf(k.Want), true
	case *kind.Const:
		if scalar(k.Want) {
			return "must be " + display(k.Want), true
		}
		return "must be the one allowed value", true
	case *kind.Format:
		return formatMessage(k), true
	case *kind.Minimum:
		return "must be at least " + ratString(k.Want), true
	case *kind.Maximum:
		return "must be at most " + ratString(k.Want), true
	case *kind.ExclusiveMinimum:
		return "must be greater than " + ratString(k.Want), true
	case *kind.ExclusiveMaximum:
		return "must be less than " + ratString(k.Want), true
	case *kind.MultipleOf:
		return "must be a multiple of " + ratString(k.Want), true
	case *kind.MinLength:
		if k.Want == 1 {
			return "must not be empty", true
		}
		return fmt.Sprintf("must be at least %s long", plural(k.Want, "character")), true
	case *kind.MaxLength:
		return fmt.Sprintf("must be at most %s long", plural(k.Want, "character")), true
	case *kind.Pattern:
		return "must match the pattern " + k.Want, true
	case *kind.MinItems:
		return "must have at least " + plural(k.Want, "item"), true
	case *kind.MaxItems:
		return "must have at most " + plural(k.Want, "item"), true
	case *kind.UniqueItems:
		return fmt.Sprintf("must not repeat an item (items %d and %d are the same)", k.Duplicates[0]+1, k.Duplicates[1]+1), true
	case *kind.MinProperties:
		return "must have at least " + plural(k.Want, "field"), true
	case *kind.MaxProperties:
		return "must have at most " + plural(k.Want, "field"), true
	case *kind.AdditionalItems:
		return fmt.Sprintf("has %s too many", plural(k.Count, "item")), true
	case *kind.Contains:
		return "must contain an item of the required form", true
	case *kind.MinContains:
		return fmt.Sprintf("must contain at least %s of the required form", plural(k.Want, "item")), true
	case *kind.MaxContains:
		return fmt.Sprintf("must contain at most %s of the required form", plural(k.Want, "item")), true
	case *kind.PropertyNames:
		return fmt.Sprintf("has a field name that is not allowed: %q", k.Property), true
	case *kind.FalseSchema:
		return "is not allowed", true
	case *kind.Not:
		return "is not allowed (it has a form the schema excludes)", true
	case *kind.ContentEncoding:
		return "must be " + k.Want + " encoded", true
	case *kind.ContentMediaType:
		return "must be of media type " + k.Want, true
	case *kind.RefCycle:
		return "could not be checked: the schema refers to itself", true
	case *kind.InvalidJsonValue:
		return "is not a JSON value", true
	}
	return "", false
}

var typeNames = map[string]string{
	"string":  "text",
	"integer": "a whole number",
	"number":  "a number",
	"boolean": "true or false",
	"object":  "an object",
	"array":   "a list",
	"null":    "null",
}

// typeRank orders types in messages, whatever order the schema gave.
var typeRank = map[string]int{"string": 1, "integer": 2, "number": 3, "boolean": 4, "object": 5, "array": 6, "null": 7}

// typeList writes types for people: "text or a whole number".
func typeList(types []string) string {
	types = append([]string(nil), types...)
	sort.SliceStable(types, func(i, j int) bool { return typeRank[types[i]] < typeRank[types[j]] })
	if slices.Contains(types, "number") {
		types = slices.DeleteFunc(types, func(t string) bool { return t == "integer" })
	}
	var words []string
	seen := map[string]bool{}
	for _, t := range types {
		w, ok := typeNames[t]
		if !ok {
			w = t
		}
		if !seen[w] {
			seen[w] = true
			words = append(words, w)
		}
	}
	switch len(words) {
	case 0:
		return "of another type"
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// maxListed bounds the values an enum message lists.
const maxListed = 20

func oneOf(values []any) string {
	for _, v := range values {
		if !scalar(v) {
			return "must be one of the allowed values"
		}
	}
	if len(values) == 1 {
		return "must be " + display(values[0])
	}
	shown := values
	if len(shown) > maxListed {
		shown = shown[:maxListed]
	}
	words := make([]string, len(shown))
	for i, v := range shown {
		words[i] = display(v)
	}
	msg := "must be one of: " + strings.Join(words, ", ")
	if len(values) > maxListed {
		msg += fmt.Sprintf(", … (%d in all)", len(values))
	}
	return msg
}

func scalar(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return false
	}
	return true
}

// display writes a value in a message: a string as is, the rest as JSON.
func display(v any) string {
	return formText(v)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func formatMessage(k *kind.Format) string {
	switch k.Want {
	case "email", "idn-email":
		return "must be an email address"
	case "date":
		return "must be a date (YYYY-MM-DD)"
	case "time":
		return "must be a time of day with its offset (HH:MM:SSZ or HH:MM:SS+01:00)"
	case "date-time":
		return "must be a date and time (YYYY-MM-DDTHH:MM:SSZ, or with an offset such as +01:00)"
	case "duration":
		return "must be an ISO 8601 duration (such as P3D or PT12H)"
	case "uri", "iri":
		return "must be an absolute URI"
	case "uri-reference", "iri-reference":
		return "must be a URI reference"
	case "uuid":
		return "must be a UUID"
	case "ipv4":
		return "must be an IPv4 address"
	case "ipv6":
		return "must be an IPv6 address"
	case "hostname", "idn-hostname":
		return "must be a host name"
	case "regex":
		if k.Err != nil {
			return "must be a regular expression in Go's RE2 syntax (" + k.Err.Error() + ")"
		}
		return "must be a regular expression in Go's RE2 syntax"
	}
	return "must be a valid " + k.Want
}
