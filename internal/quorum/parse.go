package quorum

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

// ParseApprovers checks an approvers list from a workflow's input: each
// entry is "user:<name>" or "group:<name>". Entries listed twice are kept
// once. A bad entry is an EINVALID *fault.Error naming it.
func ParseApprovers(list []any) ([]string, error) {
	if len(list) > MaxApprovers {
		return nil, inputErr([]any{"approvers"}, "approvers: %d entries, at most %d (name a group instead)", len(list), MaxApprovers)
	}
	out := make([]string, 0, len(list))
	seen := make(map[string]bool, len(list))
	for i, v := range list {
		s, ok := v.(string)
		if !ok {
			return nil, inputErr([]any{"approvers", i}, "approvers[%d]: want a string like user:<name> or group:<name>, got %s", i, jsonvalue.Kind(v))
		}
		if _, _, err := cutEntry(s); err != nil {
			return nil, inputErr([]any{"approvers", i}, "approvers[%d]: %q: %s", i, s, err.Message)
		}
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out, nil
}

// InputError locates what ParseApprovers or ParseRequired refuses, so
// that a caller holding the definition the input came from can point at
// the line and column of the bad value. The refusals are fault.EINVALID
// errors wrapping one (errors.As); their message says the same in words.
type InputError struct {
	// Path leads from the input's top to the bad value: the parameter's
	// name ("approvers", "required"), then list indexes (int) and keys
	// (string), e.g. ["required", 1, "count"].
	Path    []any
	Message string
}

func (e *InputError) Error() string { return e.Message }

// inputErr is an EINVALID refusal of the value at path.
func inputErr(path []any, format string, args ...any) error {
	e := &InputError{Path: path, Message: fmt.Sprintf(format, args...)}
	return fault.Wrap(e, fault.EINVALID, e.Message)
}

// cutEntry splits an approvers entry into its kind ("user" or "group")
// and name.
func cutEntry(s string) (kind, name string, err *fault.Error) {
	kind, name, ok := strings.Cut(s, ":")
	if !ok || kind != "user" && kind != "group" {
		return "", "", fault.Errorf(fault.EINVALID, "want user:<name> or group:<name>")
	}
	if err := checkName(name); err != nil {
		return "", "", err
	}
	return kind, name, nil
}

// checkName checks a user or group name: not empty, no spaces or control
// characters (which would only hide a typo).
func checkName(name string) *fault.Error {
	if name == "" {
		return fault.Errorf(fault.EINVALID, "the name is empty")
	}
	if i := strings.IndexFunc(name, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }); i >= 0 {
		return fault.Errorf(fault.EINVALID, "the name has a space or control character")
	}
	return nil
}

// ParseRequired reads the required input of an approval: nothing (one
// person), a whole number N (N distinct people), or a list of rules, each
// {group: <name>, count: N}, {user: <name>} or {count: N}, that must all
// hold. count defaults to 1. A bad value is an EINVALID *fault.Error
// naming the entry.
func ParseRequired(v any) ([]Rule, error) {
	switch v := jsonvalue.Unordered(v).(type) {
	case nil:
		return []Rule{{Count: 1}}, nil
	case []any:
		return parseRules(v)
	case map[string]any:
		return nil, inputErr([]any{"required"}, "required: want a number or a list of rules; put this rule in a list: [{...}]")
	}
	n, ok := jsonvalue.Int(v)
	if !ok {
		return nil, inputErr([]any{"required"}, "required: want a whole number or a list of rules, got %s", describe(v))
	}
	if n < 1 || n > MaxCount {
		return nil, inputErr([]any{"required"}, "required: want 1 to %d people, got %d", MaxCount, n)
	}
	return []Rule{{Count: int(n)}}, nil
}

func parseRules(list []any) ([]Rule, error) {
	if len(list) == 0 {
		return nil, inputErr([]any{"required"}, "required: the list of rules is empty; give at least one rule, or leave required out for one person")
	}
	if len(list) > MaxRules {
		return nil, inputErr([]any{"required"}, "required: %d rules, at most %d", len(list), MaxRules)
	}
	rules := make([]Rule, 0, len(list))
	for i, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, inputErr([]any{"required", i}, "required[%d]: want a rule like {group: <name>, count: N}, got %s", i, describe(item))
		}
		r, err := parseRule(i, m)
		if err != nil {
			return nil, err
		}
		rules = append(rules, r)
	}
	return rules, nil
}

func parseRule(i int, m map[string]any) (Rule, error) {
	r := Rule{Count: 1}
	for k := range m {
		if k != "group" && k != "user" && k != "count" {
			return r, inputErr([]any{"required", i, k}, "required[%d]: unknown key %q (a rule has group, user and count)", i, k)
		}
	}
	for _, key := range []string{"group", "user"} {
		v, ok := m[key]
		if !ok {
			continue
		}
		s, ok := v.(string)
		if !ok {
			return r, inputErr([]any{"required", i, key}, "required[%d].%s: want a name, got %s", i, key, describe(v))
		}
		if err := checkName(s); err != nil {
			return r, inputErr([]any{"required", i, key}, "required[%d].%s: %s", i, key, err.Message)
		}
		if key == "group" {
			r.Group = s
		} else {
			r.User = s
		}
	}
	if r.Group != "" && r.User != "" {
		return r, inputErr([]any{"required", i}, "required[%d]: a rule names a group or a user, not both", i)
	}
	if v, ok := m["count"]; ok {
		n, ok := jsonvalue.Int(v)
		if !ok {
			return r, inputErr([]any{"required", i, "count"}, "required[%d].count: want a whole number, got %s", i, describe(v))
		}
		if n < 1 || n > MaxCount {
			return r, inputErr([]any{"required", i, "count"}, "required[%d].count: want 1 to %d, got %d", i, MaxCount, n)
		}
		r.Count = int(n)
	}
	if r.User != "" && r.Count != 1 {
		return r, inputErr([]any{"required", i, "count"}, "required[%d].count: a user rule counts one person, got %d", i, r.Count)
	}
	return r, nil
}

// describe names a value in an error: its JSON type, and the value when
// short.
func describe(v any) string {
	switch v := v.(type) {
	case string:
		if len(v) > 40 {
			return "a string"
		}
		return "the string " + quote(v)
	case float64:
		return "the number " + strconv.FormatFloat(v, 'g', -1, 64)
	case bool:
		if v {
			return "true"
		}
		return "false"
	}
	return jsonvalue.Kind(v)
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
