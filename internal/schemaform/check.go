package schemaform

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// pathError is a problem at a JSON pointer inside a value.
type pathError struct {
	path string
	msg  string
}

func (e *pathError) Error() string { return e.path + ": " + e.msg }

// normalize copies a decoded JSON value into the shapes the validator and
// this package expect: map[string]any, []any, string, bool, nil, and
// numbers as int64 (integers that fit) or float64 (the rest), the way the
// engine's decoder yields them. Other Go number types and json.Number are
// converted; anything else, NaN and infinities are refused, as is nesting
// past max levels.
func normalize(v any, path string, depth, max int) (any, error) {
	switch x := v.(type) {
	case nil, string, bool, int64:
		return x, nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, &pathError{path, "is not a JSON number"}
		}
		return x, nil
	case map[string]any:
		if depth >= max {
			return nil, &pathError{path, fmt.Sprintf("nests deeper than %d levels", max)}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			n, err := normalize(e, path+"/"+escape(k), depth+1, max)
			if err != nil {
				return nil, err
			}
			out[k] = n
		}
		return out, nil
	case []any:
		if depth >= max {
			return nil, &pathError{path, fmt.Sprintf("nests deeper than %d levels", max)}
		}
		out := make([]any, len(x))
		for i, e := range x {
			n, err := normalize(e, path+"/"+strconv.Itoa(i), depth+1, max)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	case json.Number:
		n, ok := numberValue(string(x))
		if !ok {
			return nil, &pathError{path, "is not a JSON number"}
		}
		return n, nil
	case float32:
		return normalize(float64(x), path, depth, max)
	case int, int8, int16, int32:
		return reflect.ValueOf(x).Int(), nil
	case uint, uint8, uint16, uint32, uint64, uintptr:
		u := reflect.ValueOf(x).Uint()
		if u > math.MaxInt64 {
			return float64(u), nil
		}
		return int64(u), nil
	}
	return nil, &pathError{path, fmt.Sprintf("is not a JSON value (%T)", v)}
}

// numberValue reads a JSON number literal as the engine's decoder does:
// int64 when it is an integer literal that fits, float64 otherwise.
func numberValue(s string) (any, bool) {
	if !strings.ContainsAny(s, ".eE") {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, true
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, false
	}
	return f, true
}

// escape writes one JSON pointer token (RFC 6901).
func escape(tok string) string {
	if !strings.ContainsAny(tok, "~/") {
		return tok
	}
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1")
}

func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(escape(t))
	}
	return b.String()
}

// drafts are the $schema values accepted: the library carries their
// meta-schemas, so naming one loads nothing.
var drafts = map[string]bool{
	"json-schema.org/draft-04/schema":      true,
	"json-schema.org/draft-06/schema":      true,
	"json-schema.org/draft-07/schema":      true,
	"json-schema.org/draft/2019-09/schema": true,
	"json-schema.org/draft/2020-12/schema": true,
}

func knownDraft(s string) bool {
	s = strings.TrimSuffix(s, "#")
	if r, ok := strings.CutPrefix(s, "https://"); ok {
		return drafts[r]
	}
	if r, ok := strings.CutPrefix(s, "http://"); ok {
		return drafts[r]
	}
	return false
}

// Keywords whose values are subschemas, in every supported draft: one
// schema, a list of schemas, or a map of names to schemas. Only these are
// walked, so that data (an enum value, a default, a property named "$ref")
// is never mistaken for a schema.
var (
	oneSchema = []string{"additionalItems", "additionalProperties", "contains", "contentSchema",
		"else", "if", "items", "not", "propertyNames", "then", "unevaluatedItems", "unevaluatedProperties"}
	listSchemas = []string{"allOf", "anyOf", "items", "oneOf", "prefixItems"}
	mapSchemas  = []string{"$defs", "definitions", "dependencies", "dependentSchemas", "patternProperties", "properties"}
)

// checker walks a schema before the library compiles it, for what the
// library allows but an answer schema must not do, each refused with the
// pointer of the keyword at fault.
type checker struct {
	root   map[string]any
	draft4 bool
	props  int
	weight map[string]int // pointer → expanded size; -1 while being walked
}

func check(root map[string]any) error {
	c := &checker{root: root, weight: map[string]int{}}
	if s, ok := root["$schema"].(string); ok {
		if !knownDraft(s) {
			return schemaErr("/$schema", "%q is not one of the accepted drafts (4, 6, 7, 2019-09, 2020-12, named by their json-schema.org URL)", s)
		}
		c.draft4 = strings.Contains(s, "draft-04")
	}
	n, err := c.walk(root, "")
	if err != nil {
		return err
	}
	if n > MaxExpanded {
		return schemaErr("", "has more than %d subschemas once its $refs are expanded", MaxExpanded)
	}
	return nil
}

// walk checks the schema v at ptr and returns its size with every $ref
// expanded, capped just past MaxExpanded.
func (c *checker) walk(v any, ptr string) (int, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return 1, nil // true, false, or something the meta-schema refuses
	}
	switch w := c.weight[ptr]; {
	case w > 0:
		return w, nil
	case w < 0:
		// Unreachable from walk's own descent (pointers only grow); a
		// $ref to ptr is caught by the caller with its own path.
		return 0, schemaErr(ptr, "is part of a reference cycle")
	}
	c.weight[ptr] = -1
	total := 1
	add := func(n int) {
		total += n
		if total > MaxExpanded {
			total = MaxExpanded + 1
		}
	}
	if ptr != "" {
		if _, ok := m["$id"]; ok {
			return 0, schemaErr(ptr+"/$id", "is only allowed at the top of the schema")
		}
		if _, ok := m["id"].(string); ok && c.draft4 {
			return 0, schemaErr(ptr+"/id", "is only allowed at the top of the schema")
		}
		if s, ok := m["$schema"].(string); ok && !knownDraft(s) {
			return 0, schemaErr(ptr+"/$schema", "%q is not one of the accepted drafts", s)
		}
	}
	for _, kw := range []string{"$dynamicRef", "$recursiveRef"} {
		if _, ok := m[kw]; ok {
			return 0, schemaErr(ptr+"/"+kw, "is not supported: use $ref to a part of this schema")
		}
	}
	if ref, ok := m["$ref"].(string); ok {
		target, tptr, err := c.resolve(ref, ptr+"/$ref")
		if err != nil {
			return 0, err
		}
		if c.weight[tptr] < 0 {
			return 0, schemaErr(ptr+"/$ref", "points back to a schema that contains it: recursive schemas are not supported")
		}
		n, err := c.walk(target, tptr)
		if err != nil {
			return 0, err
		}
		add(n)
	}
	for _, kw := range oneSchema {
		if sub, ok := m[kw]; ok {
			if _, isList := sub.([]any); isList {
				continue // "items" as a list, below
			}
			n, err := c.walk(sub, ptr+"/"+kw)
			if err != nil {
				return 0, err
			}
			add(n)
		}
	}
	for _, kw := range listSchemas {
		list, _ := m[kw].([]any)
		for i, sub := range list {
			n, err := c.walk(sub, ptr+"/"+kw+"/"+strconv.Itoa(i))
			if err != nil {
				return 0, err
			}
			add(n)
		}
	}
	for _, kw := range mapSchemas {
		subs, _ := m[kw].(map[string]any)
		if kw == "properties" {
			c.props += len(subs)
			if c.props > MaxProperties {
				return 0, schemaErr(ptr+"/properties", "brings the schema past %d properties", MaxProperties)
			}
		}
		names := make([]string, 0, len(subs))
		for name := range subs {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			sub := subs[name]
			if _, isList := sub.([]any); isList {
				continue // "dependencies": a list of names, not a schema
			}
			n, err := c.walk(sub, ptr+"/"+escape(kw)+"/"+escape(name))
			if err != nil {
				return 0, err
			}
			add(n)
		}
	}
	c.weight[ptr] = total
	return total, nil
}

// resolve finds what a $ref points to. Only "#" and "#/json/pointer" are
// accepted: such a reference can only name a part of this document, so no
// file or URL is ever involved, whatever the library's resolver would do.
func (c *checker) resolve(ref, at string) (any, string, error) {
	frag, ok := strings.CutPrefix(ref, "#")
	if !ok || (frag != "" && !strings.HasPrefix(frag, "/")) {
		return nil, "", schemaErr(at, "%q is not allowed: only references inside this schema, written \"#/…\", are (nothing is loaded from files or URLs)", ref)
	}
	frag, err := url.PathUnescape(frag)
	if err != nil {
		return nil, "", schemaErr(at, "%q is not a valid reference: %v", ref, err)
	}
	var cur any = c.root
	var toks []string
	if frag != "" {
		for _, raw := range strings.Split(frag[1:], "/") {
			tok, ok := unescape(raw)
			if !ok {
				return nil, "", schemaErr(at, "%q is not a valid JSON pointer", ref)
			}
			switch x := cur.(type) {
			case map[string]any:
				cur, ok = x[tok]
			case []any:
				var i int
				i, ok = arrayIndex(tok, len(x))
				if ok {
					cur = x[i]
				}
			default:
				ok = false
			}
			if !ok {
				return nil, "", schemaErr(at, "%q points to nothing in this schema", ref)
			}
			toks = append(toks, tok)
		}
	}
	switch cur.(type) {
	case map[string]any, bool:
	default:
		return nil, "", schemaErr(at, "%q points to something that is not a schema", ref)
	}
	return cur, pointer(toks), nil
}

func unescape(tok string) (string, bool) {
	if !strings.Contains(tok, "~") {
		return tok, true
	}
	var b strings.Builder
	for i := 0; i < len(tok); i++ {
		if tok[i] != '~' {
			b.WriteByte(tok[i])
			continue
		}
		if i+1 == len(tok) {
			return "", false
		}
		switch tok[i+1] {
		case '0':
			b.WriteByte('~')
		case '1':
			b.WriteByte('/')
		default:
			return "", false
		}
		i++
	}
	return b.String(), true
}

func arrayIndex(tok string, n int) (int, bool) {
	if tok == "" || (len(tok) > 1 && tok[0] == '0') {
		return 0, false
	}
	for _, r := range tok {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	i, err := strconv.Atoi(tok)
	return i, err == nil && i < n
}

// lookup returns the raw value at a pointer the library reports (its
// schema locations are "<base>#<pointer>"), or nil.
func lookup(root map[string]any, location string) any {
	_, frag, ok := strings.Cut(location, "#")
	if !ok {
		return nil
	}
	frag, err := url.PathUnescape(frag)
	if err != nil {
		return nil
	}
	var cur any = root
	if frag == "" {
		return cur
	}
	for _, raw := range strings.Split(strings.TrimPrefix(frag, "/"), "/") {
		tok, ok := unescape(raw)
		if !ok {
			return nil
		}
		switch x := cur.(type) {
		case map[string]any:
			cur = x[tok]
		case []any:
			i, ok := arrayIndex(tok, len(x))
			if !ok {
				return nil
			}
			cur = x[i]
		default:
			return nil
		}
	}
	return cur
}
