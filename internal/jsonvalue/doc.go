// Package jsonvalue is JSON as Sirocco holds it: documents decoded into
// plain Go values (map[string]any, []any, int64, float64, string, bool,
// nil), encoded the way Mistral's Python encodes them, compared and hashed
// through one canonical form, and the one function that writes a JSON
// string.
//
// Integers and floats stay apart, as in Python: 1 decodes to int64 and
// 1.0 to float64, and each is written back as it came.
package jsonvalue
