package jsonvalue

import (
	"errors"
	"strings"
	"testing"
)

func nested(depth int) string {
	return strings.Repeat(`{"a": [`, depth/2) + strings.Repeat("[", depth%2) + "1" + strings.Repeat("]", depth%2) + strings.Repeat(`]}`, depth/2)
}

func TestDepth(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		doc  string
		deep bool
	}{
		{nested(MaxInputDepth), false},
		{nested(MaxInputDepth + 1), true},
		{`"` + strings.Repeat("[", 500) + `"`, false},                         // brackets in a string are text
		{`["\"` + strings.Repeat("{", 500) + `"]`, false},                     // an escaped quote does not end it
		{strings.Repeat("[]", 500), false},                                    // siblings are not nesting
		{`{"a": "x", "b": ` + nested(MaxInputDepth) + `}`, true},              // one level more
		{strings.Repeat("[", MaxInputDepth+1) + strings.Repeat("]", 0), true}, // unclosed still counts
	} {
		err := CheckDepth([]byte(tt.doc))
		if got := errors.Is(err, ErrTooDeep); got != tt.deep {
			t.Errorf("CheckDepth(%.40s…) = %v, want too deep: %v", tt.doc, err, tt.deep)
		}
		v, err := DecodeInput([]byte(tt.doc))
		if got := errors.Is(err, ErrTooDeep); got != tt.deep {
			t.Errorf("DecodeInput(%.40s…) = %v, want too deep: %v", tt.doc, err, tt.deep)
		}
		if err == nil {
			if got := errors.Is(CheckValueDepth(v), ErrTooDeep); got != tt.deep {
				t.Errorf("CheckValueDepth(%.40s…) too deep: %v, want %v", tt.doc, got, tt.deep)
			}
		}
	}
	deep, err := Decode([]byte(nested(MaxInputDepth + 1)))
	if err != nil {
		t.Fatal(err) // Decode alone has no such limit: stored values nest further
	}
	if !errors.Is(CheckValueDepth(deep), ErrTooDeep) {
		t.Error("CheckValueDepth of a value 129 deep passed")
	}
	if err := CheckValueDepth([]any{[]any{}}); err != nil {
		t.Errorf("CheckValueDepth([[]]): %v", err)
	}
}
