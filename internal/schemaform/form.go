package schemaform

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// HTML's valid integer and valid floating-point number: what an
// <input type="number"> posts.
var (
	integerText = regexp.MustCompile(`^-?[0-9]+$`)
	numberText  = regexp.MustCompile(`^-?([0-9]+(\.[0-9]+)?|\.[0-9]+)([eE][-+]?[0-9]+)?$`)
)

// FromForm reads a posted form back into an answer and validates it. Each
// field is read by its kind: integers and numbers parsed (a number that
// is not one is an error, not a guess), a checkbox is true when posted
// ("true" or "on") and false when not, checkboxes give the list of the
// chosen values in the schema's order, select and radios give back the
// enum's typed value, and json fields are parsed as JSON (nested at most
// MaxJSONDepth levels), or taken as a string when AsTextField names them.
// An empty text, number, select or json field is left out of the answer,
// so that a required one is reported as such. A
// text area's CRLF line ends (as browsers post them) become LF. Names that
// are not fields (the CSRF token, a comment) are ignored.
//
// On errors the answer is nil; Echo gives what to show again.
func (s *Schema) FromForm(values url.Values) (map[string]any, []FieldError) {
	answer := map[string]any{}
	var errs []FieldError
	unread := map[string]bool{}
	for i := range s.fields {
		f := &s.fields[i]
		v, msg := readField(f, values[f.Name], slices.Contains(values[AsTextField], f.Name))
		if msg != "" {
			errs = append(errs, FieldError{Field: f.Name, Path: pointer([]string{f.Name}), Message: msg})
			unread[f.Name] = true
			continue
		}
		if v != absent {
			answer[f.Name] = v
		}
	}
	// What could not be read is already reported; its "is required" would
	// only repeat it.
	for _, e := range s.Validate(answer) {
		if !unread[e.Field] {
			errs = append(errs, e)
		}
	}
	if len(errs) > 0 {
		return nil, tidy(errs)
	}
	return answer, nil
}

// NotJSON is a json field's message for text that is not JSON, in the
// dashboard's plain words for any free JSON field.
const NotJSON = `is not valid JSON — to send text, put it in double quotes: "approved"`

// AsTextField is the form field naming the json fields whose text is
// taken as it is, as a JSON string: the "send as text" choice offered
// with NotJSON.
const AsTextField = "_as_text"

// absent marks a field left out of the answer.
var absent = &struct{ byte }{}

func readField(f *Field, posted []string, asText bool) (any, string) {
	first := ""
	if len(posted) > 0 {
		first = posted[0]
	}
	for _, p := range posted {
		if !utf8.ValidString(p) {
			return nil, "is not valid UTF-8 text"
		}
	}
	switch f.Kind {
	case KindText:
		if first == "" {
			return absent, ""
		}
		return first, ""
	case KindTextarea:
		if first == "" {
			return absent, ""
		}
		return strings.ReplaceAll(first, "\r\n", "\n"), ""
	case KindInteger:
		t := strings.TrimSpace(first)
		if t == "" {
			return absent, ""
		}
		if !integerText.MatchString(t) {
			return nil, "must be a whole number"
		}
		return number(t)
	case KindNumber:
		t := strings.TrimSpace(first)
		if t == "" {
			return absent, ""
		}
		if !numberText.MatchString(t) {
			return nil, "must be a number"
		}
		return number(t)
	case KindCheckbox:
		for _, p := range posted {
			if p == "true" || p == "on" {
				return true, ""
			}
		}
		return false, ""
	case KindSelect, KindRadios:
		if first == "" {
			return absent, ""
		}
		if c := choice(f, first); c != nil {
			return c.value, ""
		}
		return nil, choiceMessage(f)
	case KindCheckboxes:
		chosen := map[string]bool{}
		for _, p := range posted {
			if p == "" {
				continue
			}
			if choice(f, p) == nil {
				return nil, choiceMessage(f)
			}
			chosen[p] = true
		}
		if len(chosen) == 0 && !f.Required {
			return absent, ""
		}
		list := []any{}
		for _, c := range f.Choices {
			if chosen[c.Value] {
				list = append(list, c.value)
			}
		}
		return list, ""
	}
	// KindJSON
	t := strings.TrimSpace(first)
	if t == "" {
		return absent, ""
	}
	if asText {
		return t, ""
	}
	v, err := decodeJSON(t)
	switch {
	case errors.Is(err, errTooDeep):
		return nil, "is not valid JSON (" + err.Error() + ")"
	case err != nil:
		// The parser's detail helps no one who meant text.
		return nil, NotJSON
	}
	return v, ""
}

func number(t string) (any, string) {
	v, ok := numberValue(t)
	if !ok {
		return nil, "is out of range"
	}
	return v, ""
}

func choice(f *Field, value string) *Choice {
	for i := range f.Choices {
		if f.Choices[i].Value == value {
			return &f.Choices[i]
		}
	}
	return nil
}

func choiceMessage(f *Field) string {
	values := make([]any, len(f.Choices))
	for i, c := range f.Choices {
		values[i] = c.Value
	}
	return oneOf(values)
}

// errTooDeep is JSON nested past MaxJSONDepth.
var errTooDeep = fmt.Errorf("nested deeper than %d levels", MaxJSONDepth)

// decodeJSON parses a json field: one JSON value, nested at most
// MaxJSONDepth levels, numbers as int64 or float64.
func decodeJSON(t string) (any, error) {
	if jsonDepth(t) > MaxJSONDepth {
		return nil, errTooDeep
	}
	dec := json.NewDecoder(strings.NewReader(t))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, errors.New(strings.TrimPrefix(err.Error(), "json: "))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("more than one value")
	}
	n, err := normalize(v, "", 0, MaxJSONDepth+1)
	if err != nil {
		var pe *pathError
		if errors.As(err, &pe) {
			return nil, errors.New(strings.TrimPrefix(pe.path+" "+pe.msg, " "))
		}
		return nil, err
	}
	return n, nil
}

// jsonDepth is the deepest nesting of arrays and objects in t, counted
// without decoding so that a deep value costs one pass.
func jsonDepth(t string) int {
	depth, max := 0, 0
	inString, escaped := false, false
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			depth++
			if depth > max {
				max = depth
			}
		case c == ']' || c == '}':
			depth--
		}
	}
	return max
}

// Echo returns what was posted for the schema's fields, unchanged, so
// that a form shown again after an error keeps what was typed. Other
// names are dropped.
func (s *Schema) Echo(values url.Values) url.Values {
	out := url.Values{}
	for _, f := range s.fields {
		if vs, ok := values[f.Name]; ok {
			out[f.Name] = append([]string(nil), vs...)
		}
	}
	return out
}

// Initial returns the values of a form shown for the first time: each
// field's default, in the shape Echo returns, so that a page reads one or
// the other the same way (a checkbox is checked when its value is "true",
// a choice when its Value is among its field's values).
func (s *Schema) Initial() url.Values {
	out := url.Values{}
	for _, f := range s.fields {
		switch f.Kind {
		case KindCheckboxes:
			for _, c := range f.Choices {
				if c.Default {
					out.Add(f.Name, c.Value)
				}
			}
		case KindCheckbox:
			if f.Default == "true" {
				out.Set(f.Name, "true")
			}
		default:
			if f.Default != "" {
				out.Set(f.Name, f.Default)
			}
		}
	}
	return out
}
