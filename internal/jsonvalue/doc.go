// Package jsonvalue is JSON as Sirocco holds it: documents decoded into
// plain Go values (*Object, []any, int64, float64, string, bool, nil),
// encoded the way Mistral's Python encodes them, compared and hashed
// through one canonical form, and the one function that writes a JSON
// string.
//
// Integers and floats stay apart, as in Python: 1 decodes to int64 and
// 1.0 to float64, and each is written back as it came. Objects keep the
// order of their keys, as Python's dicts do; the canonical form sorts
// them, so order never makes two values differ. Go maps are accepted
// wherever a value is, their keys taken sorted.
package jsonvalue
