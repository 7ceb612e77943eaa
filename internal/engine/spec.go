package engine

import (
	"crypto/sha256"
	"sync"

	"github.com/sirocco-project/sirocco/internal/dsl"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

// specCache keeps parsed workflow definitions by the hash of their text,
// so that each step of an execution does not re-parse its YAML.
type specCache struct {
	mu sync.Mutex
	m  map[[32]byte]*dsl.Workflow
}

// maxCachedSpecs bounds the cache; it is cleared when full, which is
// simpler than LRU and costs only re-parsing.
const maxCachedSpecs = 1024

func (c *specCache) get(definition string) (*dsl.Workflow, error) {
	key := sha256.Sum256([]byte(definition))
	c.mu.Lock()
	wf, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return wf, nil
	}
	doc, err := dsl.Parse([]byte(definition))
	if err != nil {
		return nil, err
	}
	if len(doc.Workflows) != 1 {
		return nil, fault.Errorf(fault.EINTERNAL, "stored definition holds %d workflows", len(doc.Workflows))
	}
	wf = doc.Workflows[0]
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCachedSpecs {
		c.m = make(map[[32]byte]*dsl.Workflow)
	}
	c.m[key] = wf
	c.mu.Unlock()
	return wf, nil
}

// workflowCache keeps workflow definitions by the identifier and namespace
// they were looked up with, so that starting an execution does not read
// the definition from the database each time. Any write of a workflow
// clears it; gen makes a lookup that raced with such a write leave its
// (possibly stale) answer out of the cache.
type workflowCache struct {
	mu  sync.Mutex
	gen uint64
	m   map[string]*Workflow
}

func workflowKey(idOrName, namespace string) string { return idOrName + "\x00" + namespace }

// lookup returns the cached workflow (a copy) and the generation to pass
// to store when it is missing.
func (c *workflowCache) lookup(key string) (*Workflow, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if wf, ok := c.m[key]; ok {
		cp := *wf
		return &cp, c.gen
	}
	return nil, c.gen
}

func (c *workflowCache) store(key string, wf *Workflow, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return // a workflow changed since the lookup began
	}
	if c.m == nil || len(c.m) >= maxCachedSpecs {
		c.m = make(map[string]*Workflow)
	}
	cp := *wf
	c.m[key] = &cp
}

func (c *workflowCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.m = nil
}

// encode returns v as JSON text; values come from decoded JSON, YAML or
// expressions, so an encoding failure (NaN, say) is reported, not hidden.
func encode(v any) (string, error) {
	b, err := jsonvalue.Encode(v)
	if err != nil {
		return "", fault.Errorf(fault.EINVALID, "cannot encode value as JSON: %v", err)
	}
	return string(b), nil
}

// encodeOrNull encodes values the engine built itself from JSON-safe
// parts, which cannot fail to encode; were one to, it stores null.
func encodeOrNull(v any) string {
	s, err := encode(v)
	if err != nil {
		return "null"
	}
	return s
}

// decode parses stored JSON text; an empty string is null.
func decode(s string) (any, error) {
	if s == "" {
		return nil, nil
	}
	return jsonvalue.Decode([]byte(s))
}

// decodeObject parses stored JSON text that holds an object into a Go map,
// for the engine's own use of its keys (a data context's variables,
// params, a runtime context): the members' values keep their order, the
// map forgets its own. Anything else (null included) is an empty map.
func decodeObject(s string) map[string]any {
	m, ok, _ := jsonvalue.DecodeMap([]byte(s))
	if !ok {
		return map[string]any{}
	}
	return m
}

// decodeOrdered parses stored JSON text that holds an object a user sees
// (what a task published, an output), keeping its keys' order. Anything
// else is an empty object.
func decodeOrdered(s string) *jsonvalue.Object {
	v, err := decode(s)
	if err != nil {
		return jsonvalue.NewObject(0)
	}
	return objectOf(v)
}

// objectOf returns v as an ordered object: an empty one when v is none.
func objectOf(v any) *jsonvalue.Object {
	if o, ok := jsonvalue.AsObject(v); ok {
		return o
	}
	return jsonvalue.NewObject(0)
}

// merge returns a new map with the keys of each map in turn, later ones winning.
func merge(maps ...map[string]any) map[string]any {
	out := make(map[string]any)
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func strPtr(s string) *string { return &s }
