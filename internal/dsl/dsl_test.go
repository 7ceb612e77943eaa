package dsl

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sirocco-project/sirocco/internal/expr"
	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden is what a valid fixture's .golden.json records: the parsed
// document plus the values derived from each workflow.
type golden struct {
	Document *Document
	Derived  map[string]derived
}

type derived struct {
	StartTasks  []string
	InputString string
}

func TestValid(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/valid/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no valid fixtures: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := Parse(src)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			g := golden{Document: doc, Derived: map[string]derived{}}
			for _, wf := range doc.Workflows {
				g.Derived[wf.Name] = derived{StartTasks: wf.StartTasks(), InputString: wf.InputString()}
			}
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(g); err != nil {
				t.Fatal(err)
			}
			got := buf.Bytes()
			goldenFile := strings.TrimSuffix(file, ".yaml") + ".golden.json"
			if *update {
				if err := os.WriteFile(goldenFile, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(goldenFile)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("parsed %s differs from %s (run with -update after checking):\ngot:\n%s", file, goldenFile, got)
			}
		})
	}
}

func TestInvalid(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/invalid/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no invalid fixtures: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := Parse(src)
			if err == nil {
				t.Fatalf("Parse succeeded, want an error; got %d workflows", len(doc.Workflows))
			}
			var de *Error
			if !errors.As(err, &de) {
				t.Fatalf("error %v is a %T, want *dsl.Error", err, err)
			}
			if de.Line < 1 || de.Column < 1 {
				t.Errorf("error %q has no position", err)
			}
			errFile := strings.TrimSuffix(file, ".yaml") + ".err"
			if *update {
				if err := os.WriteFile(errFile, []byte(err.Error()+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, rerr := os.ReadFile(errFile)
			if rerr != nil {
				t.Fatalf("%v (run with -update to create it)", rerr)
			}
			if got := err.Error(); got != strings.TrimRight(string(want), "\n") {
				t.Errorf("error\n got: %s\nwant: %s", got, strings.TrimRight(string(want), "\n"))
			}
		})
	}
}

// TestSeed pins the example from the async-actions guide with typed values.
func TestSeed(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("testdata/valid/seed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	task := doc.Workflows[0].Tasks["one_plus_two"]
	if task.Action != "mistral_http" {
		t.Errorf("Action = %q, want mistral_http", task.Action)
	}
	if want := jsonvalue.ObjectOf("url", "http://my.webservice.com"); !reflect.DeepEqual(task.InlineInput, want) {
		t.Errorf("InlineInput = %#v, want %#v", task.InlineInput, want)
	}
	want := jsonvalue.ObjectOf("params", jsonvalue.ObjectOf("a", int64(1), "b", int64(2)))
	if !reflect.DeepEqual(task.Input, want) {
		t.Errorf("Input = %#v, want %#v", task.Input, want)
	}
}

func TestSourceOfEachWorkflow(t *testing.T) {
	t.Parallel()
	src := "---\n# header\nversion: '2.0'\n\nfirst:\n  tasks:\n    a: {}\n\n# about second\nsecond:\n  # inside\n  tasks:\n    b: {}\n\n\n"
	doc, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"---\nversion: '2.0'\n\nfirst:\n  tasks:\n    a: {}\n",
		"---\nversion: '2.0'\n\nsecond:\n  # inside\n  tasks:\n    b: {}\n",
	}
	for i, wf := range doc.Workflows {
		if wf.Source != want[i] {
			t.Errorf("%s.Source =\n%q\nwant\n%q", wf.Name, wf.Source, want[i])
		}
	}
}

// TestSourceLineBreaks checks documents whose lines end in the other breaks
// yaml.v3 counts (CR, CRLF, NEL, LS, PS): each workflow's Source holds its own
// lines only and parses back to the same tasks and values. A fuzzed document
// with a lone CR once sent Source past the end of its lines.
func TestSourceLineBreaks(t *testing.T) {
	t.Parallel()
	for _, br := range []string{"\r", "\r\n", "\u0085", "\u2028", "\u2029"} {
		src := strings.Join([]string{"version: '2.0'", "first:", "  tasks:", "    a:",
			"      action: std.echo", `      input: {output: "x` + "\u2028" + `y"}`, "second:", "  tasks:", "    b: {}", ""}, br)
		doc, err := Parse([]byte(src))
		if err != nil {
			t.Fatalf("break %q: %v", br, err)
		}
		if len(doc.Workflows) != 2 {
			t.Fatalf("break %q: %d workflows, want 2", br, len(doc.Workflows))
		}
		for _, wf := range doc.Workflows {
			again, err := Parse([]byte(wf.Source))
			if err != nil {
				t.Fatalf("break %q: Source of %s does not parse: %v\n%q", br, wf.Name, err, wf.Source)
			}
			if n := len(again.Workflows); n != 1 || again.Workflows[0].Name != wf.Name {
				t.Fatalf("break %q: Source of %s holds %d workflows\n%q", br, wf.Name, n, wf.Source)
			}
			for name, task := range wf.Tasks {
				got := again.Workflows[0].Tasks[name]
				if got == nil || got.Action != task.Action || !reflect.DeepEqual(got.Input, task.Input) {
					t.Errorf("break %q: task %s.%s differs after re-parse from its Source\n%q", br, wf.Name, name, wf.Source)
				}
			}
		}
	}
}

// TestTranscriptDefinition checks that Source reproduces the definition
// Mistral stored for the workflow of the reference transcript.
func TestTranscriptDefinition(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("testdata/valid/golden_wf.yaml")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	want := "---\nversion: '2.0'\n\ngolden_wf:\n  input:\n    - name: World\n  output:\n    greeting: <% $.greeting %>\n    cb: <% $.cb_result %>\n  tasks:\n    hello:\n      action: std.echo output=\"Hello, <% $.name %>\"\n      publish:\n        greeting: <% task().result %>\n      on-success:\n        - call_hook\n    call_hook:\n      action: std.mistral_http url=\"http://127.0.0.1:18991/hook\" method=\"POST\"\n      timeout: 600\n      publish:\n        cb_result: <% task().result %>\n"
	wf := doc.Workflows[0]
	if wf.Source != want {
		t.Errorf("Source =\n%q\nwant\n%q", wf.Source, want)
	}
	if got := wf.InputString(); got != `name="World"` {
		t.Errorf("InputString = %q, want name=\"World\"", got)
	}
}

func TestInlineValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want any
	}{
		{`"quoted value"`, "quoted value"},
		{`'single'`, "single"},
		{`"<% $.x %>"`, "<% $.x %>"},
		{`<% $.x %>`, "<% $.x %>"},
		{`http://my.webservice.com`, "http://my.webservice.com"},
		{`POST`, "POST"},
		{`10`, int64(10)},
		{`-3`, int64(-3)},
		{`1.5`, 1.5},
		{`1e3`, 1000.0},
		{`true`, true},
		{`false`, false},
		{`null`, nil},
		{`[1, "a"]`, []any{int64(1), "a"}},
		{`{"b": {"c": 2}, "a": 1}`, jsonvalue.ObjectOf("b", jsonvalue.ObjectOf("c", int64(2)), "a", int64(1))},
		{`[1,`, "[1,"},
		{`01`, "01"},
		{`trueish`, "trueish"},
		{`a/<% $.id %>`, "a/<% $.id %>"},
	}
	for _, tt := range tests {
		if got := parseInlineValue(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseInlineValue(%s) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

func TestSplitCommand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		name   string
		params map[string]any
	}{
		{`fail`, "fail", nil},
		{`fail msg="boom <% $.x %>"`, "fail", map[string]any{"msg": "boom <% $.x %>"}},
		{`fail(msg="a, b")`, "fail", map[string]any{"msg": "a, b"}},
		{`fail(msg="a", code=2)`, "fail", map[string]any{"msg": "a", "code": int64(2)}},
		{`std.http url=http://x items=[1, 2] e={{ _.a b }}`, "std.http",
			map[string]any{"url": "http://x", "items": []any{int64(1), int64(2)}, "e": "{{ _.a b }}"}},
		{`<% $.name %> a=1`, "<% $.name %>", map[string]any{"a": int64(1)}},
	}
	for _, tt := range tests {
		name, _, params, err := splitCommand(tt.in)
		if err != nil {
			t.Errorf("splitCommand(%s): %v", tt.in, err)
			continue
		}
		got := map[string]any{}
		for _, p := range params {
			got[p.Key] = p.Value
		}
		if tt.params == nil {
			tt.params = map[string]any{}
		}
		if name != tt.name || !reflect.DeepEqual(got, tt.params) {
			t.Errorf("splitCommand(%s) = %q %#v, want %q %#v", tt.in, name, got, tt.name, tt.params)
		}
	}
}

func TestIsCommand(t *testing.T) {
	t.Parallel()
	doc, err := Parse([]byte("version: '2.0'\nwf:\n  tasks:\n    a:\n      on-success: fail\n      on-error: pause\n    fail: {}\n"))
	if err != nil {
		t.Fatal(err)
	}
	wf := doc.Workflows[0]
	a := wf.Tasks["a"]
	if a.OnSuccess[0].IsCommand() || wf.IsCommand(a.OnSuccess[0]) {
		t.Errorf("on-success 'fail' is a command, want the task 'fail' (a real task wins)")
	}
	if !a.OnError[0].IsCommand() || !wf.IsCommand(a.OnError[0]) {
		t.Errorf("on-error 'pause' is not a command, want the engine command")
	}
}

func TestInputString(t *testing.T) {
	t.Parallel()
	wf := &Workflow{Input: []Param{
		{Name: "name", Default: "World", HasDefault: true},
		{Name: "count", Default: int64(3), HasDefault: true},
		{Name: "flag", Default: true, HasDefault: true},
		{Name: "plain"},
		{Name: "none", HasDefault: true},
	}}
	want := `name="World", count="3", flag="true", plain, none="null"`
	if got := wf.InputString(); got != want {
		t.Errorf("InputString() = %s, want %s", got, want)
	}
}

// TestExpressionErrorPosition checks that an expression rejected by
// expr.Check is reported at its own scalar, whatever the checker says.
func TestExpressionErrorPosition(t *testing.T) {
	t.Parallel()
	const bad = "<% $.x + %>"
	checkErr := expr.Check(bad)
	if checkErr == nil {
		t.Skipf("expr.Check accepts %q", bad)
	}
	tests := []struct {
		src       string
		line, col int
	}{
		{"version: '2.0'\nwf:\n  tasks:\n    a:\n      publish:\n        x: " + bad + "\n", 6, 12},
		{"version: '2.0'\nwf:\n  tasks:\n    a:\n      action: std.echo output=" + bad + "\n", 5, 31},
		{"version: '2.0'\nwf:\n  tasks:\n    a:\n      on-success:\n        - b: " + bad + "\n    b: {}\n", 6, 14},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.src))
		var de *Error
		if !errors.As(err, &de) {
			t.Errorf("Parse(%q) error = %v, want a *dsl.Error", tt.src, err)
			continue
		}
		if de.Line != tt.line || de.Column != tt.col || !strings.Contains(de.Msg, checkErr.Error()) {
			t.Errorf("Parse(%q) error = %v, want line %d, column %d mentioning %q", tt.src, err, tt.line, tt.col, checkErr)
		}
	}
}

func TestAliasBomb(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("version: '2.0'\nwf:\n  vars:\n    a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		b.WriteString("    a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	b.WriteString("  tasks:\n    t: {}\n")
	_, err := Parse([]byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "excessive aliasing") {
		t.Errorf("Parse(alias bomb) error = %v, want excessive aliasing", err)
	}
}

// TestParseActions: ad-hoc action documents, valid and not.
func TestParseActions(t *testing.T) {
	t.Parallel()
	acts, err := ParseActions([]byte(`---
version: '2.0'
greet:
  description: Say hello
  base: std.echo output="Hello, <% $.name %>"
  input:
    - name
    - punct: "!"
  output: <% $ + $.punct %>
notify:
  base: std.mistral_http
  base-input:
    url: http://127.0.0.1:8990/notify
    method: POST
    json: {who: <% $.who %>}
  input: [who]
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(acts) != 2 || acts[0].Name != "greet" || acts[1].Name != "notify" {
		t.Fatalf("actions = %+v", acts)
	}
	g := acts[0]
	if g.Base != "std.echo" || g.BaseInput.Value("output") != "Hello, <% $.name %>" || g.Output != "<% $ + $.punct %>" || g.InputString() != `name, punct="!"` || g.Description != "Say hello" {
		t.Errorf("greet = %+v (input %q)", g, g.InputString())
	}
	if !strings.HasPrefix(g.Source, "---\nversion: '2.0'\n\ngreet:") || strings.Contains(g.Source, "notify") {
		t.Errorf("greet source = %q", g.Source)
	}
	if n := acts[1]; n.Base != "std.mistral_http" || n.BaseInput.Value("method") != "POST" {
		t.Errorf("notify = %+v", n)
	}
	for _, tc := range []struct{ src, want string }{
		{"version: '2.0'\na:\n  input: [x]\n", "line 2, column 1: action 'a': missing required property 'base'"},
		{"version: '2.0'\na:\n  base: std.noop\n  basis: 1\n", "line 4, column 3: unknown property 'basis' in action 'a'"},
		{"version: '2.0'\na:\n  base: a\n", "'base' must not be the action itself"},
		{"version: '2.0'\na:\n  base: std.echo\n  output: <% $. %>\n", "line 4"},
		{"a:\n  base: std.noop\n", "missing required property 'version'"},
	} {
		_, err := ParseActions([]byte(tc.src))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseActions(%q) = %v, want an error containing %q", tc.src, err, tc.want)
		}
	}
}

// TestParseWorkbook: a workbook's members get prefixed names and sources
// that parse on their own; errors are positioned in the workbook.
func TestParseWorkbook(t *testing.T) {
	t.Parallel()
	wb, err := ParseWorkbook([]byte(`---
version: '2.0'
name: shop
description: Orders
tags: [demo]

actions:
  greet:
    base: std.echo output="Hello, <% $.name %>"
    input: [name]
  'quoted': {base: std.noop}

workflows:
  order:
    input: [who]
    tasks:
      hello:
        action: greet name=<% $.who %>
        on-success: ship
      ship:
        workflow: deliver
  deliver: {tasks: {go: {action: std.noop}}}
# trailing comment
`))
	if err != nil {
		t.Fatal(err)
	}
	if wb.Name != "shop" || wb.Description != "Orders" || len(wb.Tags) != 1 || len(wb.Actions) != 2 || len(wb.Workflows) != 2 {
		t.Fatalf("workbook = %+v", wb)
	}
	for _, a := range wb.Actions {
		acts, err := ParseActions([]byte(a.Source))
		if err != nil || len(acts) != 1 || acts[0].Name != a.Name || !strings.HasPrefix(a.Name, "shop.") {
			t.Errorf("action %s: source %q parses to %v, %v", a.Name, a.Source, acts, err)
		}
	}
	for _, wf := range wb.Workflows {
		doc, err := Parse([]byte(wf.Source))
		if err != nil || len(doc.Workflows) != 1 || doc.Workflows[0].Name != wf.Name || !strings.HasPrefix(wf.Name, "shop.") {
			t.Errorf("workflow %s: source %q parses to %v, %v", wf.Name, wf.Source, doc, err)
		}
		if strings.Contains(wf.Source, "trailing comment") {
			t.Errorf("workflow %s source keeps the workbook's trailing comment: %q", wf.Name, wf.Source)
		}
	}
	if got := wb.Workflows[0].Tasks["hello"].Action; got != "greet" {
		t.Errorf("hello's action = %q (names inside a workbook stay as written)", got)
	}
	for _, tc := range []struct{ src, want string }{
		{"version: '2.0'\nworkflows: {}\n", "missing required property 'name'"},
		{"version: '2.0'\nname: a.b\n", "without spaces or dots"},
		{"version: '2.0'\nname: wb\nworkflows:\n  w:\n    tasks:\n      t:\n        actionx: std.noop\n", "line 7, column 9: unknown property 'actionx'"},
		{"version: '2.0'\nname: wb\nactions:\n  a:\n    input: [x]\n", "line 4, column 3: action 'a': missing required property 'base'"},
		{"version: '2.0'\nname: wb\nextra: 1\n", "unknown property 'extra' in the workbook"},
	} {
		if _, err := ParseWorkbook([]byte(tc.src)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseWorkbook(%q) = %v, want an error containing %q", tc.src, err, tc.want)
		}
	}
}

func TestTypeWarnings(t *testing.T) {
	t.Parallel()
	src := "version: '2.0'\nwf:\n  output:\n    a: \" <% $.n %>\"\n    b: <% $.n %>\n    c: \"n=<% $.n %>\"\n    d: |\n      {{ _.n }}\n  tasks:\n    t:\n      action: std.noop\n"
	got := TypeWarnings([]byte(src))
	if len(got) != 2 {
		t.Fatalf("TypeWarnings = %q, want two warnings (a and d)", got)
	}
	for i, want := range []string{"line 4, column 8: \" <% $.n %>\"", `line 7, column 8: "{{ _.n }}\n"`} {
		if !strings.HasPrefix(got[i], want) {
			t.Errorf("warning %d = %q, want it to start with %q", i, got[i], want)
		}
	}
}
