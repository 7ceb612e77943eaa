package quorum

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/sirocco-project/sirocco/internal/fault"
)

func TestParseApprovers(t *testing.T) {
	many := make([]any, MaxApprovers+1)
	for i := range many {
		many[i] = "user:u"
	}
	tests := []struct {
		name    string
		in      []any
		want    []string
		wantErr string // part of the message; "" for no error
	}{
		{"nil", nil, []string{}, ""},
		{"users and groups", []any{"user:alice", "group:finance"}, []string{"user:alice", "group:finance"}, ""},
		{"duplicates kept once", []any{"group:ops", "user:bob", "group:ops"}, []string{"group:ops", "user:bob"}, ""},
		{"name with colon", []any{"user:ldap:bob"}, []string{"user:ldap:bob"}, ""},
		{"number", []any{"user:a", 3.0}, nil, "approvers[1]: want a string like user:<name> or group:<name>, got a number"},
		{"object", []any{map[string]any{"user": "a"}}, nil, "approvers[0]: want a string like user:<name> or group:<name>, got an object"},
		{"no kind", []any{"alice"}, nil, `approvers[0]: "alice": want user:<name> or group:<name>`},
		{"unknown kind", []any{"user:a", "role:admin"}, nil, `approvers[1]: "role:admin": want user:<name> or group:<name>`},
		{"upper-case kind", []any{"USER:a"}, nil, `approvers[0]: "USER:a": want user:<name> or group:<name>`},
		{"empty name", []any{"group:"}, nil, `approvers[0]: "group:": the name is empty`},
		{"space", []any{"user: bob"}, nil, `approvers[0]: "user: bob": the name has a space or control character`},
		{"control", []any{"user:bob\x00"}, nil, `the name has a space or control character`},
		{"too many", many, nil, "approvers: 201 entries, at most 200"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseApprovers(tt.in)
			checkErr(t, err, tt.wantErr)
			if tt.wantErr == "" && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseApprovers(%v) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseRequired(t *testing.T) {
	many := make([]any, MaxRules+1)
	for i := range many {
		many[i] = map[string]any{"count": 1}
	}
	obj := func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name    string
		in      any
		want    []Rule
		wantErr string
	}{
		{"absent", nil, []Rule{{Count: 1}}, ""},
		{"int", 2, []Rule{{Count: 2}}, ""},
		{"int64", int64(3), []Rule{{Count: 3}}, ""},
		{"float64", 2.0, []Rule{{Count: 2}}, ""},
		{"json.Number", json.Number("4"), []Rule{{Count: 4}}, ""},
		{"rules", []any{obj("group", "finance", "count", 2), obj("group", "security"), obj("count", int64(1)), obj("user", "cfo")},
			[]Rule{{Group: "finance", Count: 2}, {Group: "security", Count: 1}, {Count: 1}, {User: "cfo", Count: 1}}, ""},

		{"fraction", 2.5, nil, "required: want a whole number or a list of rules, got the number 2.5"},
		{"zero", 0, nil, "required: want 1 to 1000 people, got 0"},
		{"negative", -1, nil, "required: want 1 to 1000 people, got -1"},
		{"too many people", 1001, nil, "required: want 1 to 1000 people, got 1001"},
		{"string", "2", nil, `required: want a whole number or a list of rules, got the string "2"`},
		{"bool", true, nil, "required: want a whole number or a list of rules, got true"},
		{"bare rule", obj("group", "finance"), nil, "required: want a number or a list of rules; put this rule in a list"},
		{"empty list", []any{}, nil, "required: the list of rules is empty"},
		{"too many rules", many, nil, "required: 51 rules, at most 50"},
		{"rule not object", []any{obj("count", 1), 2}, nil, "required[1]: want a rule like {group: <name>, count: N}, got a number"},
		{"unknown key", []any{obj("group", "a", "cnt", 2)}, nil, `required[0]: unknown key "cnt"`},
		{"group not string", []any{obj("group", 7.0)}, nil, "required[0].group: want a name, got the number 7"},
		{"group empty", []any{obj("group", "")}, nil, "required[0].group: the name is empty"},
		{"user spaced", []any{obj("user", "a b")}, nil, "required[0].user: the name has a space"},
		{"group and user", []any{obj("group", "a", "user", "b")}, nil, "required[0]: a rule names a group or a user, not both"},
		{"count fraction", []any{obj("count", 1), obj("group", "a", "count", 1.5)}, nil, "required[1].count: want a whole number, got the number 1.5"},
		{"count string", []any{obj("group", "a", "count", "2")}, nil, `required[0].count: want a whole number, got the string "2"`},
		{"count zero", []any{obj("group", "a", "count", 0)}, nil, "required[0].count: want 1 to 1000, got 0"},
		{"count huge", []any{obj("count", 1e300)}, nil, "required[0].count: want a whole number, got the number 1e+300"},
		{"user count", []any{obj("user", "cfo", "count", 2)}, nil, "required[0].count: a user rule counts one person, got 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRequired(tt.in)
			checkErr(t, err, tt.wantErr)
			if tt.wantErr == "" && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseRequired(%v) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
}

// checkErr checks err is nil when want is "", and otherwise an EINVALID
// error whose message contains want.
func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want == "":
	case err == nil:
		t.Fatalf("no error, want one containing %q", want)
	case fault.Code(err) != fault.EINVALID:
		t.Errorf("error %q has code %q, want %q", err, fault.Code(err), fault.EINVALID)
	case !strings.Contains(err.Error(), want):
		t.Errorf("error %q, want it to contain %q", err, want)
	}
}

// TestInputErrorPath: each refusal says where the bad value is, so that
// a workflow's author is pointed at its line and column.
func TestInputErrorPath(t *testing.T) {
	tests := []struct {
		name     string
		parse    func() error
		wantPath []any
	}{
		{"approver entry", func() error { _, err := ParseApprovers([]any{"user:a", "boss"}); return err }, []any{"approvers", 1}},
		{"approver type", func() error { _, err := ParseApprovers([]any{3.0}); return err }, []any{"approvers", 0}},
		{"required number", func() error { _, err := ParseRequired(0.5); return err }, []any{"required"}},
		{"required object", func() error { _, err := ParseRequired(map[string]any{"count": 1}); return err }, []any{"required"}},
		{"rule type", func() error { _, err := ParseRequired([]any{map[string]any{"count": 1}, "x"}); return err }, []any{"required", 1}},
		{"rule count", func() error {
			_, err := ParseRequired([]any{map[string]any{"group": "g", "count": 0}})
			return err
		}, []any{"required", 0, "count"}},
		{"rule group", func() error { _, err := ParseRequired([]any{map[string]any{"group": 5.0}}); return err }, []any{"required", 0, "group"}},
		{"rule key", func() error { _, err := ParseRequired([]any{map[string]any{"team": "x"}}); return err }, []any{"required", 0, "team"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.parse()
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v does not wrap an *InputError", err)
			}
			if !reflect.DeepEqual(ie.Path, tt.wantPath) {
				t.Errorf("path = %#v, want %#v", ie.Path, tt.wantPath)
			}
			if fault.Code(err) != fault.EINVALID || fault.Message(err) != ie.Message {
				t.Errorf("code %s message %q; want EINVALID with the InputError's message %q", fault.Code(err), fault.Message(err), ie.Message)
			}
		})
	}
}
