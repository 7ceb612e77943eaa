package jsonvalue

import "testing"

func TestKind(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want string
	}{
		{nil, "null"}, {"x", "a string"}, {true, "a boolean"}, {int64(1), "a number"}, {1.5, "a number"},
		{int(2), "a number"}, {uint64(3), "a number"}, {[]any{1}, "a list"}, {map[string]any{}, "an object"},
		{struct{}{}, "a value of an unexpected type"},
	} {
		if got := Kind(tc.v); got != tc.want {
			t.Errorf("Kind(%#v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}
