package api_test

import (
	"net/http"
	"strings"
	"testing"
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
