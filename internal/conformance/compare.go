package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// Canonical turns a value decoded from YAML or from JSON (with UseNumber)
// into the form Compare uses: int64 for integers, float64 for floats (so
// that 5 and 5.0 stay different, as in Python), map[string]any and []any.
func Canonical(v any) any {
	switch x := v.(type) {
	case int:
		return int64(x)
	case int64:
		return x
	case uint64:
		return int64(x)
	case float64:
		return x
	case json.Number:
		s := string(x)
		if !strings.ContainsAny(s, ".eE") {
			if i, err := strconv.ParseInt(s, 10, 64); err == nil {
				return i
			}
		}
		f, _ := strconv.ParseFloat(s, 64)
		return f
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = Canonical(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = Canonical(e)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[fmt.Sprint(k)] = Canonical(e)
		}
		return out
	}
	return v
}

// decodeJSON decodes a JSON document keeping integers and floats apart.
func decodeJSON(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return Canonical(v), nil
}

// EncodeJSON encodes a canonical value, writing integral floats as 5.0 so
// that a Python server reads them back as floats.
func EncodeJSON(v any) string {
	var b bytes.Buffer
	encodeJSON(&b, v)
	return b.String()
}

func encodeJSON(b *bytes.Buffer, v any) {
	switch x := v.(type) {
	case float64:
		s := strconv.FormatFloat(x, 'g', -1, 64)
		if !math.IsInf(x, 0) && !strings.ContainsAny(s, ".eEn") {
			s += ".0"
		}
		b.WriteString(s)
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			encodeJSON(b, e)
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			kb, _ := json.Marshal(k)
			b.Write(kb)
			b.WriteString(": ")
			encodeJSON(b, x[k])
		}
		b.WriteByte('}')
	default:
		e, _ := json.Marshal(x)
		b.Write(e)
	}
}

// Compare lists how got differs from want; nothing means they agree. Only
// what want states is compared: state always, state_info when its key is
// present, state_info_contains fragments in order, output and tasks when
// present, and the results of the tasks want names.
func Compare(want, got *Result) []string {
	if want == nil {
		return []string{"the case has no expect block (record it with -write)"}
	}
	var diffs []string
	if want.State != got.State {
		diffs = append(diffs, fmt.Sprintf("state: got %s, want %s", got.State, want.State))
	}
	gotInfo := ""
	if got.StateInfo != nil {
		gotInfo = *got.StateInfo
	}
	if want.HasStateInfo && !reflect.DeepEqual(want.StateInfo, got.StateInfo) {
		diffs = append(diffs, fmt.Sprintf("state_info: got %s, want %s", quote(got.StateInfo), quote(want.StateInfo)))
	}
	rest := gotInfo
	for _, f := range want.StateInfoContains {
		i := strings.Index(rest, f)
		if i < 0 {
			diffs = append(diffs, fmt.Sprintf("state_info: got %q, want it to contain %q (after the earlier fragments)", gotInfo, f))
			break
		}
		rest = rest[i+len(f):]
	}
	if want.HasOutput {
		if !reflect.DeepEqual(want.Output, got.Output) {
			diffs = append(diffs, fmt.Sprintf("output: got %s, want %s", EncodeJSON(got.Output), EncodeJSON(want.Output)))
		}
	}
	if want.Tasks != nil && !reflect.DeepEqual(want.Tasks, got.Tasks) {
		diffs = append(diffs, fmt.Sprintf("tasks: got %s, want %s", tasksString(got), tasksString(want)))
	}
	names := make([]string, 0, len(want.Results))
	for n := range want.Results {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		g, ok := got.Results[n]
		if !ok {
			diffs = append(diffs, fmt.Sprintf("results.%s: no such task, want %s", n, EncodeJSON(want.Results[n])))
			continue
		}
		if !reflect.DeepEqual(want.Results[n], g) {
			diffs = append(diffs, fmt.Sprintf("results.%s: got %s, want %s", n, EncodeJSON(g), EncodeJSON(want.Results[n])))
		}
	}
	return diffs
}

func quote(s *string) string {
	if s == nil {
		return "null"
	}
	return strconv.Quote(*s)
}

func tasksString(r *Result) string {
	names := make([]string, 0, len(r.Tasks))
	for n := range r.Tasks {
		names = append(names, n)
	}
	sort.Strings(names)
	var parts []string
	for _, n := range names {
		parts = append(parts, n+": "+strings.Join(r.Tasks[n], ","))
	}
	return "{" + strings.Join(parts, "; ") + "}"
}
