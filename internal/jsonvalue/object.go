package jsonvalue

import (
	"iter"
	"slices"
	"strings"
)

// Object is a JSON object that keeps its members in insertion order, as
// Python's dict does: Mistral shows keys in the order they were written
// (json_dump, keys(), outputs), so Sirocco must know that order wherever a
// value lives. Decode returns *Object for every object.
//
// Members live in one slice, which costs less to build than a Go map and
// is searched linearly while small; past indexFrom members an index by key
// is kept too. An Object is not safe for concurrent writes; values shared
// between goroutines (cached definitions) are only read.
//
// Comparisons and digests do not depend on the order: Canonical writes
// keys sorted, so Equal holds for the same members in any order.
type Object struct {
	members []Member
	index   map[string]int // key → position in members; nil below indexFrom members
}

// Member is one key and its value.
type Member struct {
	Key   string
	Value any
}

// indexFrom is the size from which an Object keeps an index: below it a
// linear search over the keys is faster than hashing.
const indexFrom = 12

// NewObject returns an empty object with room for n members.
func NewObject(n int) *Object {
	if n == 0 {
		return &Object{} // empty objects are alike whichever way they were made
	}
	return &Object{members: make([]Member, 0, n)}
}

// ObjectOf returns an object of the given key/value pairs, in order; a key
// given twice keeps its first position and its last value.
func ObjectOf(kv ...any) *Object {
	o := NewObject(len(kv) / 2)
	for i := 0; i+1 < len(kv); i += 2 {
		o.Set(kv[i].(string), kv[i+1])
	}
	return o
}

// FromMap returns m as an object with its keys sorted: a Go map carries no
// order, and sorted is the one order that does not change between runs.
func FromMap(m map[string]any) *Object {
	o := NewObject(len(m))
	for _, k := range SortedKeys(m) {
		o.members = append(o.members, Member{k, m[k]})
	}
	o.reindex()
	return o
}

// newObjectOf returns an object of a copy of ms, which may repeat a key:
// the key keeps its first place and its last value, as in Python.
func newObjectOf(ms []Member) *Object {
	o := &Object{members: make([]Member, 0, len(ms))}
	if len(ms) < indexFrom {
		for _, m := range ms {
			o.Set(m.Key, m.Value)
		}
		return o
	}
	o.index = make(map[string]int, len(ms))
	for _, m := range ms {
		if i, ok := o.index[m.Key]; ok {
			o.members[i].Value = m.Value
			continue
		}
		o.index[m.Key] = len(o.members)
		o.members = append(o.members, m)
	}
	if len(o.members) < indexFrom {
		o.reindex() // repeated keys left it small
	}
	return o
}

// Len is the number of members; a nil *Object has none.
func (o *Object) Len() int {
	if o == nil {
		return 0
	}
	return len(o.members)
}

// find returns the position of key, or -1.
func (o *Object) find(key string) int {
	if o == nil {
		return -1
	}
	if o.index != nil {
		if i, ok := o.index[key]; ok {
			return i
		}
		return -1
	}
	for i := range o.members {
		if o.members[i].Key == key {
			return i
		}
	}
	return -1
}

// Get returns the value of key and whether it is present.
func (o *Object) Get(key string) (any, bool) {
	if i := o.find(key); i >= 0 {
		return o.members[i].Value, true
	}
	return nil, false
}

// Value returns the value of key, nil when absent.
func (o *Object) Value(key string) any {
	v, _ := o.Get(key)
	return v
}

// Has reports whether key is present.
func (o *Object) Has(key string) bool { return o.find(key) >= 0 }

// Set gives key the value v: in place when present, else at the end.
func (o *Object) Set(key string, v any) {
	if i := o.find(key); i >= 0 {
		o.members[i].Value = v
		return
	}
	o.members = append(o.members, Member{key, v})
	if o.index != nil {
		o.index[key] = len(o.members) - 1
	} else if len(o.members) >= indexFrom {
		o.reindex()
	}
}

// Delete removes key, keeping the order of the others.
func (o *Object) Delete(key string) {
	i := o.find(key)
	if i < 0 {
		return
	}
	o.members = slices.Delete(o.members, i, i+1)
	if len(o.members) == 0 {
		o.members = nil
	}
	o.reindex()
}

// reindex builds the index when the object is large enough for one.
func (o *Object) reindex() {
	if len(o.members) < indexFrom {
		o.index = nil
		return
	}
	o.index = make(map[string]int, len(o.members))
	for i, m := range o.members {
		o.index[m.Key] = i
	}
}

// Keys returns the keys in order.
func (o *Object) Keys() []string {
	keys := make([]string, o.Len())
	for i := range keys {
		keys[i] = o.members[i].Key
	}
	return keys
}

// Members returns the members in order. The slice is the object's own:
// callers must not change it.
func (o *Object) Members() []Member {
	if o == nil {
		return nil
	}
	return o.members
}

// All iterates over the members in order.
func (o *Object) All() iter.Seq2[string, any] {
	return func(yield func(string, any) bool) {
		if o == nil {
			return
		}
		for _, m := range o.members {
			if !yield(m.Key, m.Value) {
				return
			}
		}
	}
}

// Clone returns a shallow copy: the same values, its own order and index.
func (o *Object) Clone() *Object {
	c := &Object{}
	if o.Len() > 0 {
		c.members = slices.Clone(o.members)
	}
	c.reindex()
	return c
}

// Map returns the members as a Go map (which forgets their order).
func (o *Object) Map() map[string]any {
	m := make(map[string]any, o.Len())
	for _, e := range o.Members() {
		m[e.Key] = e.Value
	}
	return m
}

// sortedMembers returns the members sorted by key, as Canonical writes
// them.
func (o *Object) sortedMembers() []Member {
	ms := slices.Clone(o.members)
	slices.SortFunc(ms, func(a, b Member) int { return strings.Compare(a.Key, b.Key) })
	return ms
}

// AsObject returns v as an *Object: an *Object itself, or a Go map (its
// keys sorted). ok is false for anything else.
func AsObject(v any) (o *Object, ok bool) {
	switch x := v.(type) {
	case *Object:
		return x, x != nil
	case map[string]any:
		return FromMap(x), true
	}
	return nil, false
}

// MarshalJSON writes the object as Encode does, keys in order, so that
// encoding/json keeps the order too.
func (o *Object) MarshalJSON() ([]byte, error) {
	return Encode(o)
}

// Unordered returns v with every *Object turned into a Go map, for code
// that only looks keys up (schemas, policies). It copies what it changes.
func Unordered(v any) any {
	switch x := v.(type) {
	case *Object:
		if x == nil {
			return nil
		}
		m := make(map[string]any, len(x.members))
		for _, e := range x.members {
			m[e.Key] = Unordered(e.Value)
		}
		return m
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = Unordered(e)
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = Unordered(e)
		}
		return out
	}
	return v
}
