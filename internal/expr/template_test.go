package expr

import (
	"errors"
	"strings"
	"testing"
)

// Template behaviour that testdata/cases.txt cannot express: carriage
// returns, and the bounds on work and output.
func TestTemplate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want, wantErr string
	}{
		{name: "line breaks become \\n, one trailing break dropped",
			in: "a\r\nb{% if true %}\rc{% endif %}\r\n", want: "a\nbc"},
		{name: "trim_blocks after a CRLF-ended tag",
			in: "{% if true %}\r\nx{% endif %}", want: "x"},
		{name: "Python whitespace: U+001C is stripped by -",
			in: "a\x1c {%- if true %}b{% endif %}", want: "ab"},
		{name: "non-breaking space stripped by lstrip_blocks",
			in: "\u00a0{% if true %}b{% endif %}", want: "b"},
		{name: "nested loops hit the step budget",
			in:      "{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}{% endfor %}{% endfor %}{% endfor %}",
			wantErr: "expression is too expensive to evaluate"},
		{name: "rendered output is bounded",
			in:      "{% set s = 'x' * 1000000 %}{% for i in range(20) %}{{ s }}{% endfor %}",
			wantErr: "rendered template is longer than 10485760 bytes"},
		{name: "statements nest at most maxDepth deep",
			in:      strings.Repeat("{% if true %}", maxDepth+1) + strings.Repeat("{% endif %}", maxDepth+1),
			wantErr: "statements are nested too deeply"},
		{name: "maxDepth nested statements are fine",
			in:   strings.Repeat("{% if true %}", maxDepth) + "x" + strings.Repeat("{% endif %}", maxDepth),
			want: "x"},
	}
	ctx := testContext(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := EvalString(tt.in, ctx)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("EvalString = %q, %v; want an error containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("EvalString = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// A template's syntax errors are reported by Check, as parse errors, even
// in branches that would not run; its runtime errors only by EvalString.
func TestTemplateCheck(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	for _, s := range []string{
		"{% if false %}{{ 1 + }}{% endif %}",
		"{% for x in [1] %}{% endif %}",
		"{% include 'x' %}",
	} {
		if err := Check(s); err == nil {
			t.Errorf("Check(%q) = nil, want a syntax error", s)
		}
		_, err := EvalString(s, ctx)
		var xe *Error
		if !errors.As(err, &xe) || !xe.Parse {
			t.Errorf("EvalString(%q) error = %v, want a parse error", s, err)
		}
	}
	s := "{% for x in 5 %}{% endfor %}"
	if err := Check(s); err != nil {
		t.Errorf("Check(%q) = %v, want nil", s, err)
	}
	_, err := EvalString(s, ctx)
	var xe *Error
	if !errors.As(err, &xe) || xe.Parse || xe.Expr != "for x in 5" {
		t.Errorf("EvalString(%q) error = %#v, want a runtime error naming the for tag", s, err)
	}
}

// An error from a caller's function inside a template is still reachable
// with errors.Is.
func TestTemplateFuncError(t *testing.T) {
	t.Parallel()
	_, err := EvalString("{% if true %}{{ fail() }}{% endif %}", testContext(t))
	if !errors.Is(err, errBoom) {
		t.Fatalf("error = %v, want it to wrap errBoom", err)
	}
}
