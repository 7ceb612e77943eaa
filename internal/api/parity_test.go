package api_test

import (
	"net/http"
	"strings"
	"testing"
)

const greetActions = `version: '2.0'
greet:
  base: std.echo
  base-input:
    output: "hello <% $.who %>"
  input:
    - who
  tags: [people]
shout:
  base: std.echo
  base-input:
    output: "HEY"
`

// TestActionValidateAndUpdateByID: POST /v2/actions/validate answers
// valid or the error, as workflows do; PUT /v2/actions/<id or name>
// replaces the one action it names.
func TestActionValidateAndUpdateByID(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	if v := s.must(http.MethodPost, "/v2/actions/validate", greetActions, 200); v["valid"] != true {
		t.Errorf("validate a good document: %v", v)
	}
	bad := s.must(http.MethodPost, "/v2/actions/validate", "version: '2.0'\nx:\n  base: std.echo\n  bogus: 1\n", 200)
	if bad["valid"] != false || !strings.Contains(bad["error"].(string), "bogus") {
		t.Errorf("validate a bad document: %v", bad)
	}
	if st, _ := s.do(http.MethodGet, "/v2/actions/greet", "", ""); st != 404 {
		t.Errorf("validate stored something: GET greet = %d", st)
	}

	created := s.must(http.MethodPost, "/v2/actions", greetActions, 201)["actions"].([]any)
	id := created[0].(map[string]any)["id"].(string)
	one := "version: '2.0'\ngreet:\n  description: says hello\n  base: std.echo\n  base-input:\n    output: hi\n"
	for _, ident := range []string{id, "greet"} {
		got := s.must(http.MethodPut, "/v2/actions/"+ident+"?scope=private", one, 200)["actions"].([]any)
		if len(got) != 1 {
			t.Fatalf("PUT /v2/actions/%s: %v", ident, got)
		}
		a := got[0].(map[string]any)
		if a["id"] != id || a["description"] != "says hello" || a["updated_at"] == nil {
			t.Errorf("PUT /v2/actions/%s: %v", ident, a)
		}
	}
	for _, tc := range []struct {
		ident, body string
		status      int
		fault       string
	}{
		{id, greetActions, 400, "More than one actions are not supported for update with identifier"},
		{id, strings.Replace(one, "greet:", "hello:", 1), 400, "keeps the name"},
		{"01a24fb9-63a2-7c6f-8266-40d49f825c91", one, 404, "Action not found"},
		{"std.echo", "version: '2.0'\nstd.echo:\n  base: std.noop\n", 404, "Action not found"},
	} {
		st, raw := s.do(http.MethodPut, "/v2/actions/"+tc.ident, "text/plain", tc.body)
		if st != tc.status || !strings.Contains(raw, tc.fault) {
			t.Errorf("PUT /v2/actions/%s: %d %s, want %d naming %q", tc.ident, st, raw, tc.status, tc.fault)
		}
	}
}

// TestActionList: GET /v2/actions honours filters, sorting, marker,
// limit and fields, as the CLI's action-list --filter/--limit send them.
func TestActionList(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.must(http.MethodPost, "/v2/actions", greetActions, 201)
	names := func(query string) string {
		t.Helper()
		list := s.must(http.MethodGet, "/v2/actions"+query, "", 200)["actions"].([]any)
		out := make([]string, len(list))
		for i, a := range list {
			out[i] = a.(map[string]any)["name"].(string)
		}
		return strings.Join(out, " ")
	}
	cli := "?sort_keys=created_at&sort_dirs=asc&fields=id,name,namespace,is_system,input,description,tags,created_at,updated_at"
	for _, tc := range []struct{ query, want string }{
		{"?name=greet", "greet"},
		{cli + "&name=greet", "greet"},
		{"?is_system=false", "greet shout"},
		{"?is_system=False&sort_keys=name&sort_dirs=desc", "shout greet"},
		{"?name=in:shout,std.noop", "shout std.noop"},
		{"?tags=people", "greet"},
		{"?tags=neq:people&is_system=false", "shout"},
		{"?name=has:ou", "shout"},
		{"?is_system=false&limit=1", "greet"},
		{"?is_system=false&limit=1&marker=greet", "shout"},
		{"?name=nothing", ""},
	} {
		if got := names(tc.query); got != tc.want {
			t.Errorf("GET /v2/actions%s: %q, want %q", tc.query, got, tc.want)
		}
	}
	// The CLI's default sort puts the built-ins (no created_at) first, then
	// the ad-hoc ones; --limit cuts the page and gives a next link.
	page := s.must(http.MethodGet, "/v2/actions"+cli+"&limit=2", "", 200)
	list := page["actions"].([]any)
	first := list[0].(map[string]any)
	if len(list) != 2 || first["is_system"] != true || page["next"] == nil {
		t.Errorf("a page of 2: %v", page)
	}
	if _, ok := first["definition"]; ok {
		t.Errorf("fields not applied: %v", first)
	}
	all := strings.Fields(names(cli))
	if n := len(all); n < 3 || all[n-2] != "greet" || all[n-1] != "shout" {
		t.Errorf("by created_at: %v, want the built-ins then greet, shout", all)
	}
	for _, tc := range []struct{ query, fault string }{
		{"?bogus=1", `Unknown filter field \"bogus\" for actions.`},
		{"?sort_keys=bogus", `Unknown sort key \"bogus\"`},
		{"?sort_dirs=up", "Unknown sort direction"},
		{"?limit=0", "Limit must be positive."},
		{"?marker=nothing", "Marker not found"},
	} {
		st, raw := s.do(http.MethodGet, "/v2/actions"+tc.query, "", "")
		if st/100 != 4 || !strings.Contains(raw, tc.fault) {
			t.Errorf("GET /v2/actions%s: %d %s, want a 4xx naming %s", tc.query, st, raw, tc.fault)
		}
	}
}

// TestActionExecutionDelete: refused as Mistral 15 refuses it by default
// (403); an unknown id is a 404.
func TestActionExecutionDelete(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	_, aID := s.startAsync()
	st, raw := s.do(http.MethodDelete, "/v2/action_executions/"+aID, "", "")
	if st != 403 || !strings.Contains(raw, `"faultstring":"Action execution deletion is not allowed."`) {
		t.Errorf("DELETE an action execution: %d %s", st, raw)
	}
	s.must(http.MethodGet, "/v2/action_executions/"+aID, "", 200)
	if st, raw := s.do(http.MethodDelete, "/v2/action_executions/nope", "", ""); st != 404 || !strings.Contains(raw, "ActionExecution not found") {
		t.Errorf("DELETE an unknown action execution: %d %s", st, raw)
	}
}

// TestNotOffered: event triggers, code sources, dynamic actions and
// members answer 501 on every route and method the CLI uses, naming why.
func TestNotOffered(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	for _, tc := range []struct{ path, reason string }{
		{"/v2/event_triggers", "notification bus"},
		{"/v2/event_triggers/x", "notification bus"},
		{"/v2/code_sources", "runs no Python"},
		{"/v2/code_sources/x?namespace=", "runs no Python"},
		{"/v2/dynamic_actions", "Python classes"},
		{"/v2/dynamic_actions/x", "Python classes"},
		{"/v2/workflows/x/members", "one project"},
		{"/v2/workflows/x/members/y", "one project"},
	} {
		for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
			st, raw := s.do(method, tc.path, "application/json", "{}")
			if st != http.StatusNotImplemented || !strings.Contains(raw, `"faultcode":"Server"`) || !strings.Contains(raw, tc.reason) || !strings.Contains(raw, "not offered") {
				t.Errorf("%s %s: %d %s, want 501 naming %q", method, tc.path, st, raw, tc.reason)
			}
		}
	}
}
