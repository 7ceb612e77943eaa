package engine

import "testing"

// TestSameOutput: a callback repeats the recorded result when its output
// is the same JSON value, whatever order the recorded text writes its
// keys in (rows written by a later encoder that keeps insertion order
// must still match); what Python tells apart in a result (1 and 1.0) is
// another result.
func TestSameOutput(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		recorded, delivered string
		same                bool
	}{
		{`{"result": {"a": 1, "b": [1, 2]}}`, `{"result": {"a": 1, "b": [1, 2]}}`, true},
		{`{"result": {"b": [1, 2], "a": 1}}`, `{"result": {"a": 1, "b": [1, 2]}}`, true},
		{`{"result":{"b":{"y":"\u00e9","x":null},"a":1}}`, `{"result": {"a": 1, "b": {"x": null, "y": "\u00e9"}}}`, true},
		{`{"result": 1}`, `{"result": 1.0}`, false},
		{`{"result": {"a": 1}}`, `{"result": {"a": "1"}}`, false},
		{`{"result": [1, 2]}`, `{"result": [2, 1]}`, false},
		{`{"result": null}`, `{"result": {}}`, false},
		{`not json`, `{"result": null}`, false},
	} {
		if got := sameOutput(tt.recorded, tt.delivered); got != tt.same {
			t.Errorf("sameOutput(%s, %s) = %v, want %v", tt.recorded, tt.delivered, got, tt.same)
		}
	}
}
