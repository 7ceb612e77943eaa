package web

import "testing"

// TestDefaultInputInDeclaredOrder: the start form lists a workflow's
// inputs in the order it declares them (they were sorted), with their
// defaults as written.
func TestDefaultInputInDeclaredOrder(t *testing.T) {
	t.Parallel()
	got := defaultInput(`{"input": ["zeta", {"name": "café"}, {"count": 3}, {"opts": {"z": 1, "a": [2.5]}}], "output": []}`)
	want := "{\n  \"zeta\": null,\n  \"name\": \"café\",\n  \"count\": 3,\n  \"opts\": {\n    \"z\": 1,\n    \"a\": [\n      2.5\n    ]\n  }\n}"
	if got != want {
		t.Errorf("defaultInput = %q, want %q", got, want)
	}
	if got := defaultInput(`{"input": [], "output": []}`); got != "{}" {
		t.Errorf("defaultInput of no inputs = %q, want {}", got)
	}
}
