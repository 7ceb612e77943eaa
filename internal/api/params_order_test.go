package api_test

import (
	"encoding/json"
	"net/http"
	"testing"
)

// TestParamsInWrittenOrder: an execution's params keep the order the
// client wrote them in, then what the engine adds (namespace), as Mistral
// 15 shows them ({"env": …, "notify": …, "namespace": ""}); they were sorted.
func TestParamsInWrittenOrder(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.must("POST", "/v2/workflows", "version: '2.0'\nwf:\n  tasks:\n    one:\n      action: std.noop\n", http.StatusCreated)
	body, _ := json.Marshal(map[string]any{"workflow_name": "wf", "params": `{"evaluate_env": false, "env": {"zeta": 1, "alpha": 2}}`})
	created := s.must("POST", "/v2/executions", string(body), http.StatusCreated)
	want := `{"evaluate_env": false, "env": {"zeta": 1, "alpha": 2}, "namespace": ""}`
	if got := created["params"]; got != want {
		t.Errorf("params: %v, want %s", got, want)
	}
	if got := s.must("GET", "/v2/executions/"+created["id"].(string), "", http.StatusOK)["params"]; got != want {
		t.Errorf("params read back: %v, want %s", got, want)
	}
}
