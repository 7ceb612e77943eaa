package expr

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestEval(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	in := map[string]any{
		"<% $.name %>": "<% $.name %>", // keys are not evaluated
		"list":         []any{"<% 1 + 1 %>", "n=<% $.nums %>", int64(5), 2.5, nil, true},
		"nested":       map[string]any{"deep": []any{map[string]any{"x": "<% $.obj.b %>"}}},
		"plain":        "text",
		"strs":         []string{"<% 2 * 3 %>"}, // non-canonical containers are normalized
	}
	got, err := Eval(in, ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"<% $.name %>": "bob", "list": [2, "n=[1, 2, 3]", 5, 2.5, null, true], "nested": {"deep": [{"x": [1, 2]}]}, "plain": "text", "strs": [6]}`
	if g := mustJSON(t, got); g != want {
		t.Errorf("Eval = %s\nwant   %s", g, want)
	}
	if in["plain"] != "text" || in["list"].([]any)[0] != "<% 1 + 1 %>" {
		t.Error("Eval modified its input")
	}
	for _, scalar := range []any{nil, true, int64(3), 1.5} {
		if got, err := Eval(scalar, ctx); err != nil || got != scalar {
			t.Errorf("Eval(%#v) = %#v, %v", scalar, got, err)
		}
	}
	if _, err := Eval([]any{"ok", "<% fail() %>"}, ctx); err == nil {
		t.Error("Eval did not report the error of a nested expression")
	}
}

func TestEvalStringTyped(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	tests := []struct {
		in   string
		want any
	}{
		{"<% 1 %>", int64(1)},
		{"  <% 1 %>\n", "  1\n"}, // text around one expression: a string, as Mistral
		{"<% 2.5 * 2 %>", 5.0},
		{"<% true %>", true},
		{"<% null %>", nil},
		{"{{ 3 }}", int64(3)},
		{"<% 1 %> ", "1 "},
		{"x<% 1 %>", "x1"},
		{"<% 1 %><% 2 %>", "12"},
		{"{{ 1 }} and {{ 2 }}", "1 and 2"},
		{"<% 5.0 %>!", "5.0!"},
		{"", ""},
		{"<%", "<%"},
		{"{{ {'a': {'b': 1}} }}", map[string]any{"a": map[string]any{"b": int64(1)}}},
	}
	for _, tt := range tests {
		got, err := EvalString(tt.in, ctx)
		if err != nil {
			t.Errorf("EvalString(%q): %v", tt.in, err)
			continue
		}
		if mustJSON(t, got) != mustJSON(t, tt.want) {
			t.Errorf("EvalString(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

func TestEvalStringNilContext(t *testing.T) {
	t.Parallel()
	got, err := EvalString("<% $.x %>-<% 1 + 1 %>", nil)
	if err != nil || got != "None-2" {
		t.Errorf("EvalString with nil ctx = %#v, %v; want \"None-2\"", got, err)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	ctx := &Context{
		Data: map[string]any{"a": int64(1)},
		Funcs: FuncMap{
			"fail":  func(...any) (any, error) { return nil, errBoom },
			"panic": func(...any) (any, error) { panic("kaboom") },
		},
	}
	tests := []struct {
		in    string
		want  string // the whole Error() text
		parse bool
	}{
		{"<% nosuch() %>", `Can not evaluate YAQL expression [expression=nosuch(), error=unknown function "nosuch", data={'a': 1}]`, false},
		{"x <% 1 + 'a' %>", `Can not evaluate YAQL expression [expression=1 + 'a', error=unsupported operand types for +: 'int' and 'str', data={'a': 1}]`, false},
		{"{{ 1 + 'a' }}", `Can not evaluate Jinja expression [expression=1 + 'a', error=unsupported operand types for +: 'int' and 'str', data={'a': 1}]`, false},
		{"<%  fail()  %>", `Can not evaluate YAQL expression [expression=fail(), error=boom, data={'a': 1}]`, false},
		{"<% 1 + %>", `Can not parse YAQL expression [expression=1 +, error=unexpected end of expression at position 3]`, true},
		{"{{ ) }}", `Can not parse Jinja expression [expression=), error=unexpected ")" at position 0]`, true},
	}
	for _, tt := range tests {
		_, err := EvalString(tt.in, ctx)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("EvalString(%q) error = %v, want an *Error", tt.in, err)
			continue
		}
		if e.Error() != tt.want {
			t.Errorf("EvalString(%q) error\n got %s\nwant %s", tt.in, e.Error(), tt.want)
		}
		if e.Parse != tt.parse {
			t.Errorf("EvalString(%q) Parse = %v, want %v", tt.in, e.Parse, tt.parse)
		}
	}
	_, err := EvalString("<% fail() %>", ctx)
	if !errors.Is(err, errBoom) {
		t.Errorf("error of a Func is not unwrappable: %v", err)
	}
	_, err = EvalString("<% panic() %>", ctx)
	var e *Error
	if !errors.As(err, &e) || !strings.Contains(e.Msg, "kaboom") {
		t.Errorf("panic in a Func: err = %v, want an *Error mentioning it", err)
	}
}

func TestFuncsOverrideBuiltins(t *testing.T) {
	t.Parallel()
	ctx := &Context{Funcs: FuncMap{
		"len":    func(...any) (any, error) { return "mine", nil },
		"switch": func(args ...any) (any, error) { return int64(len(args)), nil },
	}}
	for in, want := range map[string]any{
		"<% len([1]) %>":     "mine",
		"<% [1].len() %>":    "mine",
		"<% switch(1, 2) %>": int64(2),
	} {
		if got, err := EvalString(in, ctx); err != nil || got != want {
			t.Errorf("EvalString(%q) = %#v, %v; want %#v", in, got, err, want)
		}
	}
}

// TestKeywordArguments: keyword arguments take the position of the
// parameter they name, in YAQL (`k => v`) and Jinja (`k=v`) alike.
func TestKeywordArguments(t *testing.T) {
	t.Parallel()
	ctx := &Context{
		Funcs: FuncMap{
			"f":    func(args ...any) (any, error) { return args, nil },
			"bare": func(args ...any) (any, error) { return args, nil },
		},
		Params: map[string][]string{"f": {"a", "b", "c"}},
	}
	for _, tc := range []struct {
		in      string
		want    any
		wantErr string
	}{
		{in: "<% f(1, c => 3) %>", want: []any{int64(1), nil, int64(3)}},
		{in: "<% f(c => 3, a => 1) %>", want: []any{int64(1), nil, int64(3)}},
		{in: "<% f('b' => 2) %>", want: []any{nil, int64(2)}},
		{in: "{{ f(1, c=3) }}", want: []any{int64(1), nil, int64(3)}},
		{in: "{{ f(b='x') }}", want: []any{nil, "x"}},
		{in: "<% json_dump(data => 1) %>", want: "1"},
		{in: "<% f(d => 1) %>", wantErr: "f() has no parameter 'd' (parameters: a, b, c)"},
		{in: "<% f(1, a => 2) %>", wantErr: "f() got two values for 'a'"},
		{in: "<% f(b => 1, b => 2) %>", wantErr: "f() got two values for 'b'"},
		{in: "<% f(b => 1, 2) %>", wantErr: "f(): a positional argument follows a keyword argument"},
		{in: "<% bare(a => 1) %>", wantErr: "bare() does not take key => value arguments"},
		{in: "<% f(1 => 2) %>", wantErr: "f(): a keyword argument needs a name"},
	} {
		got, err := EvalString(tc.in, ctx)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("EvalString(%q) = %#v, %v; want error %q", tc.in, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("EvalString(%q) = %#v, %v; want %#v", tc.in, got, err, tc.want)
		}
	}
}

func TestContains(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{
		"":                      false,
		"plain":                 false,
		"<% $ %>":               true,
		"a {{ _ }} b":           true,
		"{% if x %}{% endif %}": true,
		"<% unterminated":       false,
		"50% {off}":             false,
		"{ {not} }":             false,
	}
	for in, want := range tests {
		if got := Contains(in); got != want {
			t.Errorf("Contains(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		wantErr string // "" for success
	}{
		{"plain", ""},
		{"<% $.x + task(t1).result %>", ""},
		{"<% fail() %>", ""}, // Check does not evaluate
		{"{{ _.x | length }} and {{ 1 }}", ""},
		{"<% 1 %> {{ 2 }}", "Mixing expression types in a single line is not allowed [expression=<% 1 %> {{ 2 }}]"},
		{"{{ 2 }} <% 1 %>", "Mixing expression types in a single line is not allowed"},
		{"<% 1 + %>", "Can not parse YAQL expression [expression=1 +"},
		{"ok <% 1 %> bad <% ( %>", "Can not parse YAQL expression [expression=("},
		{"{{ 1 + }}", "Can not parse Jinja expression"},
		{"{% for x in y %}", "Unexpected end of template. Jinja was looking for the following tags: 'endfor' or 'else'"},
		{"{% for x in y %}{{ x }}{% endfor %}", ""},
		{"{% macro m() %}{% endmacro %}", "Jinja statement 'macro' is not supported"},
		{"{% if false %}{{ 1 + }}{% endif %}", "Can not parse Jinja expression [expression=1 +"},
		{"{# unclosed {{ 1 }}", "Missing end of comment tag"},
	}
	for _, tt := range tests {
		err := Check(tt.in)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("Check(%q) = %v, want nil", tt.in, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("Check(%q) = %v, want an error containing %q", tt.in, err, tt.wantErr)
		}
	}
}

func TestLambdaSeesItemNotData(t *testing.T) {
	t.Parallel()
	ctx := &Context{Data: map[string]any{"xs": []any{map[string]any{"v": int64(1)}, map[string]any{"v": int64(2)}}, "v": int64(100)}}
	got, err := EvalString("<% $.xs.select($.v + 1) %>", ctx)
	if err != nil || mustJSON(t, got) != "[2, 3]" {
		t.Errorf("select = %v, %v; want [2, 3]", got, err)
	}
	// After the lambda, $ is the data again.
	got, err = EvalString("<% $.xs.where($.v > 1).len() + $.v %>", ctx)
	if err != nil || got != int64(101) {
		t.Errorf("= %v, %v; want 101", got, err)
	}
}

func TestUUID(t *testing.T) {
	t.Parallel()
	a, err := EvalString("<% uuid() %>", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := EvalString("<% uuid() %>", nil)
	s, _ := a.(string)
	if len(s) != 36 || s[14] != '4' || strings.Count(s, "-") != 4 || a == b {
		t.Errorf("uuid() = %q then %q", a, b)
	}
}
