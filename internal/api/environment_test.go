package api_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// TestEnvironments: /v2/environments answers with Mistral 15's shapes
// (variables a JSON-typed string, no updated_at in a create's answer,
// null until an update) and its errors: 400 naming the field, 404 for an
// unknown name, 409 for a name taken (observed on Mistral 15.0.0).
func TestEnvironments(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	created := s.must(http.MethodPost, "/v2/environments",
		`{"name": "env_demo", "description": "demo", "variables": "{\"region\": \"eu-9\", \"n\": 7}", "scope": "private"}`, 201)
	keys := func(m map[string]any) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	if got, want := keys(created), []string{"created_at", "description", "id", "name", "project_id", "scope", "variables"}; !reflect.DeepEqual(got, want) {
		t.Errorf("create answered keys %v, want Mistral's %v", got, want)
	}
	var vars map[string]any
	if err := json.Unmarshal([]byte(created["variables"].(string)), &vars); err != nil || !reflect.DeepEqual(vars, map[string]any{"region": "eu-9", "n": 7.0}) {
		t.Errorf("variables %v (%v), want the object as a JSON string", created["variables"], err)
	}
	got := s.must(http.MethodGet, "/v2/environments/env_demo", "", 200)
	if got["id"] != created["id"] || got["updated_at"] != nil || got["description"] != "demo" || got["project_id"] != "<default-project>" {
		t.Errorf("get: %v", got)
	}
	// An object is accepted as well as a string; no description is null.
	s.must(http.MethodPost, "/v2/environments", `{"name": "env_b", "variables": {"x": [1, 2]}}`, 201)
	list := s.must(http.MethodGet, "/v2/environments", "", 200)["environments"].([]any)
	if len(list) != 2 || list[0].(map[string]any)["name"] != "env_demo" || list[1].(map[string]any)["description"] != nil {
		t.Errorf("list: %v", list)
	}
	// As environment-list asks: the fields it shows, and id.
	page := s.must(http.MethodGet, "/v2/environments?limit=1&sort_keys=created_at&sort_dirs=asc&fields=name,description,scope,created_at,updated_at", "", 200)
	first := page["environments"].([]any)[0].(map[string]any)
	if got, want := keys(first), []string{"created_at", "description", "id", "name", "scope", "updated_at"}; !reflect.DeepEqual(got, want) {
		t.Errorf("list with fields: keys %v, want %v", got, want)
	}
	if next, _ := page["next"].(string); !strings.Contains(next, "marker="+created["id"].(string)) {
		t.Errorf("a full page's next: %q", next)
	}

	// Update: what the body gives changes, the rest stays.
	up := s.must(http.MethodPut, "/v2/environments", `{"name": "env_b", "description": "new"}`, 200)
	if up["description"] != "new" || up["variables"] != `{"x": [1, 2]}` || up["updated_at"] == nil {
		t.Errorf("update of the description: %v", up)
	}
	up = s.must(http.MethodPut, "/v2/environments", `{"name": "env_b", "variables": "{\"z\": 3}", "scope": "public"}`, 200)
	if up["description"] != "new" || up["variables"] != `{"z": 3}` || up["scope"] != "public" {
		t.Errorf("update of the variables: %v", up)
	}

	for _, c := range []struct {
		method, path, body string
		status             int
		want               string
	}{
		{"POST", "/v2/environments", `{"name": "env_demo", "variables": {"a": 2}}`, 409, `Duplicate entry for Environment ['name', 'project_id']: env_demo, None`},
		{"POST", "/v2/environments", `{"name": "e3", "variables": "[1,2]"}`, 400, `JsonType field value must be a dictionary [actual=[1, 2]]`},
		{"POST", "/v2/environments", `{"name": "e4", "variables": "not json"}`, 400, `Invalid input for field/attribute variables`},
		{"POST", "/v2/environments", `{"variables": {"x": 1}}`, 400, `Name of the environment is not provided.`},
		{"POST", "/v2/environments", `{"name": "a/b"}`, 400, `Invalid input for field/attribute name`},
		{"POST", "/v2/environments", `{"name": 5}`, 400, `Invalid input for field/attribute name`},
		{"POST", "/v2/environments", `{"name": "e6", "foo": 1}`, 400, `Unknown attribute for argument env: foo`},
		{"POST", "/v2/environments", `{"name": "e9", "id": "abc"}`, 400, `Only: ['name', 'description', 'variables', 'scope'] are allowed as definition keys.`},
		{"POST", "/v2/environments", `{"name": "e7", "scope": "bogus"}`, 400, `Invalid input for field/attribute scope. Value: 'bogus'. Value should be one of: public, private`},
		{"POST", "/v2/environments", `garbage`, 400, `Request is not in valid JSON format`},
		{"POST", "/v2/environments", `{"name": "big", "variables": {"v": "` + strings.Repeat("x", 1<<21) + `"}}`, 413, `Request body is too large`},
		{"GET", "/v2/environments/nope", ``, 404, `Environment not found [name=nope]`},
		{"DELETE", "/v2/environments/nope", ``, 404, `Environment not found [name=nope]`},
		{"PUT", "/v2/environments", `{"name": "nope", "variables": {"x": 1}}`, 404, `Environment not found [name=nope]`},
		{"PUT", "/v2/environments", `{"variables": {"x": 1}}`, 400, `Name of the environment is not provided.`},
		{"GET", "/v2/environments?nope=1", ``, 400, `nope`},
	} {
		status, body := s.do(c.method, c.path, "application/json", c.body)
		if status != c.status || !strings.Contains(body, c.want) || !strings.Contains(body, `"faultcode"`) {
			t.Errorf("%s %s %.60s: %d %.300s, want %d with %q", c.method, c.path, c.body, status, body, c.status, c.want)
		}
	}

	s.must(http.MethodDelete, "/v2/environments/env_demo", "", 204)
	s.must(http.MethodGet, "/v2/environments/env_demo", "", 404)
}

// TestExecutionEnvByName: an execution started over the API with
// params.env naming a stored environment shows, and its env() sees, the
// variables (Mistral's transcript: params "{\"env\": {\"region\": …}}");
// an unknown name is Mistral's 400.
func TestExecutionEnvByName(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.must(http.MethodPost, "/v2/workflows", `---
version: '2.0'
env_api_wf:
  output:
    said: <% $.said %>
  tasks:
    greet:
      action: std.echo output="in <% env().region %>"
      publish:
        said: <% task().result %>
`, 201)
	s.must(http.MethodPost, "/v2/environments", `{"name": "env_demo", "variables": "{\"region\": \"eu-9\", \"n\": 7}"}`, 201)
	ex := s.must(http.MethodPost, "/v2/executions", `{"workflow_name": "env_api_wf", "params": "{\"env\": \"env_demo\"}"}`, 201)
	var params map[string]any
	if err := json.Unmarshal([]byte(ex["params"].(string)), &params); err != nil || !reflect.DeepEqual(params["env"], map[string]any{"region": "eu-9", "n": 7.0}) {
		t.Errorf("params %v, want env resolved to the variables", ex["params"])
	}
	done := s.waitState("/v2/executions/"+ex["id"].(string), "SUCCESS")
	if done["output"] != `{"said": "in eu-9"}` {
		t.Errorf("output %v", done["output"])
	}
	status, body := s.do(http.MethodPost, "/v2/executions", "application/json", `{"workflow_name": "env_api_wf", "params": {"env": "nope"}}`)
	if status != 400 || !strings.Contains(body, `"Environment is not found: nope"`) {
		t.Errorf("unknown env name: %d %s", status, body)
	}
}
