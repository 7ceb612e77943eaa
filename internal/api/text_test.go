package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestTextWithNULRefused: text a client sends holding a NUL character
// (JSON's \u0000) is a 400 naming the field, on every store alike; the
// same NUL in a JSON value (an output) is kept.
func TestTextWithNULRefused(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	exID, aID := s.startAsync()
	for _, tt := range []struct{ name, method, path, body, want string }{
		{"description of a start", http.MethodPost, "/v2/executions", `{"workflow_name": "async_wf", "description": "a\u0000b"}`, "description holds a NUL character (U+0000), which Sirocco does not store"},
		{"description of an update", http.MethodPut, "/v2/executions/" + exID, `{"description": "a\u0000b"}`, "description holds a NUL character (U+0000)"},
		{"state_info of an update", http.MethodPut, "/v2/executions/" + exID, `{"state": "ERROR", "state_info": "a\u0000b"}`, "state_info holds a NUL character (U+0000)"},
		{"comment of a callback", http.MethodPut, "/v2/action_executions/" + aID, `{"state": "SUCCESS", "output": 1, "comment": "ok\u0000"}`, "comment holds a NUL character (U+0000)"},
		{"description of an ad-hoc run", http.MethodPost, "/v2/action_executions", `{"name": "std.noop", "description": "\u0000"}`, "description holds a NUL character (U+0000)"},
	} {
		status, body := s.do(tt.method, tt.path, "application/json", tt.body)
		if status != http.StatusBadRequest || !strings.Contains(body, `"faultstring":"`+tt.want) {
			t.Errorf("%s: %d %s; want 400 with faultstring %q", tt.name, status, body, tt.want)
		}
	}
	// Nothing was changed by the refusals; an output holding \u0000 is
	// JSON, and kept as sent.
	if ex := s.must(http.MethodGet, "/v2/executions/"+exID, "", 200); ex["state"] != "RUNNING" || ex["description"] != "" {
		t.Errorf("execution after the refusals: %v", ex)
	}
	done := s.must(http.MethodPut, "/v2/action_executions/"+aID, `{"state": "SUCCESS", "output": "ok\u0000"}`, 200)
	if done["output"] != `{"result": "ok\u0000"}` {
		t.Errorf("output %v, want the \\u0000 escape kept", done["output"])
	}
}
