package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestValidateWarnsOfTypeChanges: workflow-validate (and workbook-validate)
// answer a valid definition with "warnings" naming each string whose
// value became a string under the interpolation rule, and with Mistral's
// plain {"valid": true} when there is none.
func TestValidateWarnsOfTypeChanges(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	const changed = "version: '2.0'\nwv:\n  output:\n    n: \" <% 3 %>\"\n  tasks:\n    t:\n      action: std.noop\n"
	v := s.must(http.MethodPost, "/v2/workflows/validate", changed, 200)
	w, _ := v["warnings"].([]any)
	if v["valid"] != true || len(w) != 1 {
		t.Fatalf("validate = %v, want valid with one warning", v)
	}
	if msg, _ := w[0].(string); !strings.HasPrefix(msg, `line 4, column 8: " <% 3 %>" is one expression with whitespace around it`) {
		t.Errorf("warning = %q", msg)
	}
	const plain = "version: '2.0'\nwv:\n  output:\n    n: <% 3 %>\n  tasks:\n    t:\n      action: std.noop\n"
	if v := s.must(http.MethodPost, "/v2/workflows/validate", plain, 200); v["valid"] != true || v["warnings"] != nil {
		t.Errorf("validate without a changed string = %v, want {valid: true} alone", v)
	}
	const wb = "version: '2.0'\nname: wbv\nworkflows:\n  wv:\n    output:\n      n: \"{{ 3 }} \"\n    tasks:\n      t:\n        action: std.noop\n"
	if v := s.must(http.MethodPost, "/v2/workbooks/validate", wb, 200); v["valid"] != true || len(v["warnings"].([]any)) != 1 {
		t.Errorf("workbook validate = %v, want valid with one warning", v)
	}
}

// TestKeyOrderInAPIFields: JSON-typed fields show objects in the order they
// were written — an action's result as the callback sent it, what a task
// published, the workflow's input and output as the definition orders
// them — and a callback repeated with its keys reordered is still the same
// result (compared in canonical form), which leaves the stored text as it
// was.
func TestKeyOrderInAPIFields(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	const wf = `version: '2.0'
key_order_api:
  input:
    - zin: 1
    - ain: 2
  output:
    zz: <% $.res %>
    aa: <% $.p %>
  tasks:
    t:
      action: std.async_noop
      publish:
        res: <% task().result %>
        p: {zeta: 1, alpha: 2}
`
	s.must(http.MethodPost, "/v2/workflows", wf, 201)
	ex := s.must(http.MethodPost, "/v2/executions", `{"workflow_name": "key_order_api", "input": {"ain": 2, "zin": 1}}`, 201)
	exID := ex["id"].(string)
	var aID string
	deadline := time.Now().Add(10 * time.Second)
	for aID == "" {
		list := s.must(http.MethodGet, "/v2/action_executions?state=RUNNING&name=std.async_noop", "", 200)
		for _, it := range list["action_executions"].([]any) {
			if a := it.(map[string]any); a["workflow_name"] == "key_order_api" {
				aID = a["id"].(string)
			}
		}
		if aID == "" && time.Now().After(deadline) {
			t.Fatal("no pending action")
		}
		time.Sleep(5 * time.Millisecond)
	}
	const result = `{"zeta": 1, "alpha": {"y": 1, "b": [2, {"d": 1, "c": 2}]}}`
	done := s.must(http.MethodPut, "/v2/action_executions/"+aID, `{"state": "SUCCESS", "output": `+result+`}`, 200)
	if got, want := done["output"], `{"result": `+result+`}`; got != want {
		t.Errorf("action output = %v, want %s", got, want)
	}
	again := s.must(http.MethodPut, "/v2/action_executions/"+aID, `{"state": "SUCCESS", "output": {"alpha": {"b": [2, {"c": 2, "d": 1}], "y": 1}, "zeta": 1}}`, 200)
	if got, want := again["output"], `{"result": `+result+`}`; got != want {
		t.Errorf("repeated callback, keys reordered: output = %v, want the first one's %s", got, want)
	}
	ex = s.waitState("/v2/executions/"+exID, "SUCCESS")
	if got, want := ex["input"], `{"zin": 1, "ain": 2}`; got != want {
		t.Errorf("execution input = %v, want %s (the order the workflow declares)", got, want)
	}
	if got, want := ex["output"], `{"zz": `+result+`, "aa": {"zeta": 1, "alpha": 2}}`; got != want {
		t.Errorf("execution output = %v, want %s", got, want)
	}
	tasks := s.must(http.MethodGet, "/v2/executions/"+exID+"/tasks", "", 200)["tasks"].([]any)
	task := s.must(http.MethodGet, "/v2/tasks/"+tasks[0].(map[string]any)["id"].(string), "", 200)
	if got, want := task["result"], result; got != want {
		t.Errorf("task result = %v, want %s", got, want)
	}
	if got, want := task["published"], `{"res": `+result+`, "p": {"zeta": 1, "alpha": 2}}`; got != want {
		t.Errorf("task published = %v, want %s", got, want)
	}
}
