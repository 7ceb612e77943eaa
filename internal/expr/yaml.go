package expr

import (
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sirocco-project/sirocco/internal/jsonvalue"
	"github.com/sirocco-project/sirocco/internal/yamlscan"
)

// fnYAMLParse is Mistral's yaml_parse: PyYAML's safe_load, which reads
// YAML 1.1 — plain yes/no/on/off are booleans, 0o17 and 017 octal — where
// yaml.v3 reads YAML 1.2. The document is decoded to nodes and the plain
// scalars resolved here the 1.1 way, with PyYAML's own resolver patterns
// (those yaml_dump uses to decide what to quote). Timestamps stay strings.
func fnYAMLParse(e *evaluator, a []any) (any, error) {
	if err := arity("yaml_parse", a, 1, 1); err != nil {
		return nil, err
	}
	s, err := wantString("yaml_parse", a[0])
	if err != nil {
		return nil, err
	}
	src := []byte(s)
	// Count from the text first: yaml.v3's tree of an oversized document
	// would cost some 400 bytes a node before yamlNodes could refuse it.
	if at, over := yamlscan.Over(src, maxYAMLNodes); over {
		return nil, errorf("yaml_parse(): line %d, column %d: the document has more than %d YAML nodes (the limit)", at.Line, at.Column, maxYAMLNodes)
	}
	var doc yaml.Node
	if err := safeYAML(src, &doc); err != nil {
		return nil, errorf("yaml_parse(): %v", err)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	if n := yamlNodes(&doc, maxYAMLNodes); n != nil { // a second line, should the scan read src differently
		return nil, errorf("yaml_parse(): line %d, column %d: the document has more than %d YAML nodes (the limit)", n.Line, n.Column, maxYAMLNodes)
	}
	budget := maxListLen
	v, err := yamlValue(doc.Content[0], &budget, 0)
	if err != nil {
		return nil, err
	}
	if v, err = jsonvalue.Normalize(v); err != nil {
		return nil, errorf("yaml_parse(): %v", err)
	}
	if err := jsonvalue.CheckValueDepth(v); err != nil {
		return nil, errorf("yaml_parse(): %v", err)
	}
	return v, nil
}

// maxYAMLNodes bounds a yaml_parse document as written, as dsl's
// MaxDocumentNodes bounds definitions.
const maxYAMLNodes = 200_000

// yamlNodes returns the node at which a walk of doc passes limit nodes,
// or nil (aliases are not followed; yamlValue's budget bounds them).
func yamlNodes(doc *yaml.Node, limit int) *yaml.Node {
	count := 0
	stack := []*yaml.Node{doc}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if count++; count > limit {
			return n
		}
		for i := len(n.Content) - 1; i >= 0; i-- {
			stack = append(stack, n.Content[i])
		}
	}
	return nil
}

// safeYAML decodes s, turning a panic inside yaml.v3 into an error.
func safeYAML(s []byte, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errorf("%v", r)
		}
	}()
	return yaml.Unmarshal(s, n)
}

// yamlValue converts a node; budget bounds the values produced so that
// aliases cannot expand into billions of them.
func yamlValue(n *yaml.Node, budget *int, depth int) (any, error) {
	if *budget--; *budget < 0 {
		return nil, errorf("yaml_parse(): document too large")
	}
	if depth > maxNesting {
		return nil, errorf("yaml_parse(): document nested too deeply")
	}
	switch n.Kind {
	case yaml.AliasNode:
		return yamlValue(n.Alias, budget, depth+1)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := yamlValue(c, budget, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		own := jsonvalue.NewObject(len(n.Content) / 2)
		var merges []*jsonvalue.Object
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, vn := n.Content[i], n.Content[i+1]
			v, err := yamlValue(vn, budget, depth+1)
			if err != nil {
				return nil, err
			}
			if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
				// << merges a mapping (or a list of them) under the keys given here.
				switch m := v.(type) {
				case *jsonvalue.Object:
					merges = append(merges, m)
				case []any:
					for _, x := range m {
						if xm, ok := x.(*jsonvalue.Object); ok {
							merges = append(merges, xm)
						}
					}
				}
				continue
			}
			key, err := yamlValue(k, budget, depth+1)
			if err != nil {
				return nil, err
			}
			ks, ok := key.(string)
			if !ok {
				ks = Str(key) // JSON keys are strings, as json.dumps makes them
			}
			own.Set(ks, v)
		}
		if len(merges) == 0 {
			return own, nil
		}
		// As PyYAML: merged keys come first, the last mapping of a merge
		// list first of all; the keys given here win, then earlier merges.
		out := jsonvalue.NewObject(own.Len())
		for i := len(merges) - 1; i >= 0; i-- {
			for _, m := range merges[i].Members() {
				out.Set(m.Key, m.Value)
			}
		}
		for _, m := range own.Members() {
			out.Set(m.Key, m.Value)
		}
		return out, nil
	case yaml.ScalarNode:
		return yamlScalar(n)
	}
	return nil, nil
}

// yamlScalar resolves a scalar as PyYAML's safe loader does.
func yamlScalar(n *yaml.Node) (any, error) {
	s := n.Value
	if n.Style&yaml.TaggedStyle != 0 {
		// An explicit tag: yaml.v3 has already applied the standard ones.
		switch n.Tag {
		case "!!null", "!!bool", "!!int", "!!float":
			var v any
			if err := n.Decode(&v); err != nil {
				return nil, errorf("yaml_parse(): %v", err)
			}
			return v, nil
		}
		return s, nil
	}
	if n.Style != 0 {
		return s, nil // quoted and block scalars are strings
	}
	switch {
	case yamlResolveNull.MatchString(s):
		return nil, nil
	case yamlResolveBool.MatchString(s):
		switch strings.ToLower(s) {
		case "yes", "true", "on":
			return true, nil
		}
		return false, nil
	case yamlResolveInt.MatchString(s):
		return yamlInt(s), nil
	case yamlResolveFloat.MatchString(s):
		return yamlFloat(s)
	}
	return s, nil // timestamps, and everything else, are strings
}

// yamlInt is PyYAML's construct_yaml_int: underscores ignored, 0b, 0x and
// 0 prefixes, and base 60 (1:30 is 90). An integer too large for 64 bits
// is kept as written.
func yamlInt(s string) any {
	t := strings.ReplaceAll(s, "_", "")
	sign := int64(1)
	switch t[0] {
	case '-':
		sign, t = -1, t[1:]
	case '+':
		t = t[1:]
	}
	var v int64
	var err error
	switch {
	case t == "0":
		return int64(0)
	case strings.HasPrefix(t, "0b"):
		v, err = strconv.ParseInt(t[2:], 2, 64)
	case strings.HasPrefix(t, "0x"):
		v, err = strconv.ParseInt(t[2:], 16, 64)
	case t[0] == '0':
		v, err = strconv.ParseInt(t[1:], 8, 64)
	case strings.Contains(t, ":"):
		for _, d := range strings.Split(t, ":") {
			n, _ := strconv.ParseInt(d, 10, 64)
			if v > (math.MaxInt64-n)/60 {
				return s
			}
			v = v*60 + n
		}
	default:
		v, err = strconv.ParseInt(t, 10, 64)
	}
	if err != nil {
		return s
	}
	return sign * v
}

// yamlFloat is PyYAML's construct_yaml_float; JSON has no inf or nan.
func yamlFloat(s string) (any, error) {
	t := strings.ToLower(strings.ReplaceAll(s, "_", ""))
	if strings.Contains(t, "inf") || strings.Contains(t, "nan") {
		return nil, errorf("yaml_parse(): %s is not a JSON number", s)
	}
	sign := 1.0
	switch t[0] {
	case '-':
		sign, t = -1, t[1:]
	case '+':
		t = t[1:]
	}
	if strings.Contains(t, ":") {
		parts := strings.Split(t, ":")
		v := 0.0
		for i, d := range parts {
			var f float64
			if i == len(parts)-1 {
				f, _ = strconv.ParseFloat(d, 64)
			} else {
				n, _ := strconv.ParseInt(d, 10, 64)
				f = float64(n)
			}
			v = v*60 + f
		}
		return sign * v, nil
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsInf(v, 0) {
		return nil, errorf("yaml_parse(): %s is not a JSON number", s)
	}
	return sign * v, nil
}
