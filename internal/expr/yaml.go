package expr

import (
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// fnYAMLParse is Mistral's yaml_parse: PyYAML's safe_load, which reads
// YAML 1.1 — plain yes/no/on/off are booleans, 0o17 and 017 octal — where
// yaml.v3 reads YAML 1.2. The document is decoded to nodes and the plain
// scalars resolved here the 1.1 way. Timestamps stay strings.
func fnYAMLParse(e *evaluator, a []any) (any, error) {
	if err := arity("yaml_parse", a, 1, 1); err != nil {
		return nil, err
	}
	s, err := wantString("yaml_parse", a[0])
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := safeYAML(s, &doc); err != nil {
		return nil, errorf("yaml_parse(): %v", err)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	budget := maxListLen
	v, err := yamlValue(doc.Content[0], &budget, 0)
	if err != nil {
		return nil, err
	}
	if v, err = Normalize(v); err != nil {
		return nil, errorf("yaml_parse(): %v", err)
	}
	return v, nil
}

// safeYAML decodes s, turning a panic inside yaml.v3 into an error.
func safeYAML(s string, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errorf("%v", r)
		}
	}()
	return yaml.Unmarshal([]byte(s), n)
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
		out := map[string]any{}
		var merges []map[string]any
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, vn := n.Content[i], n.Content[i+1]
			v, err := yamlValue(vn, budget, depth+1)
			if err != nil {
				return nil, err
			}
			if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
				// << merges a mapping (or a list of them) under the keys given here.
				switch m := v.(type) {
				case map[string]any:
					merges = append(merges, m)
				case []any:
					for _, x := range m {
						if xm, ok := x.(map[string]any); ok {
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
			out[ks] = v
		}
		for _, m := range merges {
			for k, v := range m {
				if _, ok := out[k]; !ok {
					out[k] = v
				}
			}
		}
		return out, nil
	case yaml.ScalarNode:
		return yamlScalar(n)
	}
	return nil, nil
}

var (
	yamlInt   = regexp.MustCompile(`^[-+]?(0b[01_]+|0x[0-9a-fA-F_]+|0o?[0-7_]+|0|[1-9][0-9_]*)$`)
	yamlFloat = regexp.MustCompile(`^[-+]?([0-9][0-9_]*)?\.[0-9_]*([eE][-+]?[0-9]+)?$`)
)

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
	switch s {
	case "", "~", "null", "Null", "NULL":
		return nil, nil
	case "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON":
		return true, nil
	case "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF":
		return false, nil
	case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN":
		return nil, errorf("yaml_parse(): %s is not a JSON number", s)
	}
	if yamlInt.MatchString(s) {
		t := strings.ReplaceAll(s, "_", "")
		sign := int64(1)
		switch t[0] {
		case '-':
			sign, t = -1, t[1:]
		case '+':
			t = t[1:]
		}
		base := 10
		switch {
		case strings.HasPrefix(t, "0b"):
			base, t = 2, t[2:]
		case strings.HasPrefix(t, "0x"):
			base, t = 16, t[2:]
		case strings.HasPrefix(t, "0o"):
			base, t = 8, t[2:]
		case len(t) > 1 && t[0] == '0':
			base, t = 8, t[1:]
		}
		if v, err := strconv.ParseInt(t, base, 64); err == nil {
			return sign * v, nil
		}
		return s, nil // too large for 64 bits: kept as written
	}
	if yamlFloat.MatchString(s) && strings.ContainsAny(s, "0123456789") {
		if v, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64); err == nil {
			return v, nil
		}
	}
	return s, nil
}
