// Package conformance runs the conformance corpus — small workflows with the
// results recorded from the real Mistral 15.0.0 — against any server that
// speaks the Mistral v2 REST API, and compares what it did with what was
// recorded. It talks HTTP only, so the same cases check Mistral itself (when
// recording) and Sirocco (in tests).
package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Case is one file of the corpus.
type Case struct {
	// Name is the file name without its extension.
	Name string `yaml:"-"`
	// Path is the file the case was loaded from.
	Path        string         `yaml:"-"`
	Description string         `yaml:"description"`
	Workflow    string         `yaml:"workflow"`
	Input       map[string]any `yaml:"input"`
	Params      map[string]any `yaml:"params"`
	Callbacks   []Callback     `yaml:"callbacks"`
	Expect      *Result        `yaml:"expect"`
	// Differs says why Sirocco deliberately differs from Mistral here; then
	// Expect holds Sirocco's value and Mistral what Mistral gave.
	Differs string  `yaml:"differs"`
	Mistral *Result `yaml:"mistral"`

	// Environments are stored (created, or replaced when they exist)
	// before the start, for params {"env": "<name>"}. Names are unique
	// across the corpus, as workflow names are.
	Environments []Environment `yaml:"environments"`
}

// Environment is a stored environment a case needs.
type Environment struct {
	Name        string         `yaml:"name"`
	Description string         `yaml:"description"`
	Variables   map[string]any `yaml:"variables"`
}

// Callback is one step delivered in order after the start: a result for (or
// a pause/resume of) the first pending action execution of Task, or a state
// change of the execution.
type Callback struct {
	Task   string `yaml:"task"`
	State  string `yaml:"state"`
	Output any    `yaml:"output"`
	// TaskState, when set, makes the runner wait until the task (or
	// WaitTask, when set) has reached that state before delivering: a late
	// callback after a timeout, a branch arriving after a join ran.
	TaskState string `yaml:"task_state"`
	WaitTask  string `yaml:"wait_task"`
	// Execution, when set, is sent to the execution instead
	// (PAUSED, RUNNING, CANCELLED, ERROR, SUCCESS).
	Execution string `yaml:"execution"`
	// StateInfo goes with Execution.
	StateInfo string `yaml:"state_info"`
}

// Result is what an execution came to: the `expect` block.
type Result struct {
	State string `yaml:"state"`
	// StateInfo is compared exactly when the key is present (null included).
	StateInfo    *string `yaml:"state_info"`
	HasStateInfo bool    `yaml:"-"`
	// StateInfoContains are fragments that must appear in this order
	// (used when state_info holds ids).
	StateInfoContains Fragments           `yaml:"state_info_contains"`
	Output            any                 `yaml:"output"`
	HasOutput         bool                `yaml:"-"`
	Tasks             map[string][]string `yaml:"tasks"`
	// TaskOrder is the order in which task names first appeared.
	TaskOrder []string `yaml:"-"`
	// Results holds task(name).result of the last execution of each task;
	// only the names listed are compared.
	Results map[string]any `yaml:"results"`
}

// Fragments is a string or a list of strings in YAML.
type Fragments []string

// UnmarshalYAML accepts a single string as well as a list.
func (f *Fragments) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*f = Fragments{n.Value}
		return nil
	}
	var l []string
	if err := n.Decode(&l); err != nil {
		return err
	}
	*f = l
	return nil
}

// UnmarshalYAML notes whether state_info was given, and keeps numbers,
// maps and lists in the canonical form Compare uses.
func (r *Result) UnmarshalYAML(n *yaml.Node) error {
	type plain Result
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*r = Result(p)
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch n.Content[i].Value {
		case "state_info":
			r.HasStateInfo = true
		case "output":
			r.HasOutput = true
		case "tasks":
			for j := 0; j+1 < len(n.Content[i+1].Content); j += 2 {
				r.TaskOrder = append(r.TaskOrder, n.Content[i+1].Content[j].Value)
			}
		}
	}
	r.Output = Canonical(r.Output)
	for k, v := range r.Results {
		r.Results[k] = Canonical(v)
	}
	return nil
}

// Load reads every *.yaml case in dir, sorted by name. It checks that no
// two cases define a workflow of the same name, so cases can run side by
// side on one server.
func Load(dir string) ([]*Case, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no cases in %s", dir)
	}
	sort.Strings(files)
	owner := map[string]string{}
	var cases []*Case
	for _, f := range files {
		c, err := LoadFile(f)
		if err != nil {
			return nil, err
		}
		names, err := c.WorkflowNames()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		for _, n := range names {
			if o, ok := owner[n]; ok {
				return nil, fmt.Errorf("%s: workflow %q is also defined by case %s", f, n, o)
			}
			owner[n] = c.Name
		}
		for _, env := range c.Environments {
			if o, ok := owner["env "+env.Name]; ok {
				return nil, fmt.Errorf("%s: environment %q is also defined by case %s", f, env.Name, o)
			}
			owner["env "+env.Name] = c.Name
		}
		cases = append(cases, c)
	}
	return cases, nil
}

// LoadFile reads one case.
func LoadFile(path string) (*Case, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c Case
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c.Path = path
	c.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	if c.Workflow == "" {
		return nil, fmt.Errorf("%s: no workflow", path)
	}
	c.Input, _ = Canonical(c.Input).(map[string]any)
	c.Params, _ = Canonical(c.Params).(map[string]any)
	for i := range c.Environments {
		c.Environments[i].Variables, _ = Canonical(c.Environments[i].Variables).(map[string]any)
	}
	for i := range c.Callbacks {
		c.Callbacks[i].Output = Canonical(c.Callbacks[i].Output)
	}
	return &c, nil
}

// WorkflowNames lists the workflows of the case's document, the started one
// first.
func (c *Case) WorkflowNames() ([]string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(c.Workflow), &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("workflow document is not a mapping")
	}
	var names []string
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		switch k := m.Content[i].Value; k {
		case "version", "name", "description", "tags", "actions", "workflows":
		default:
			names = append(names, k)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("workflow document defines no workflow")
	}
	return names, nil
}

// Want is what the case is compared with: Expect.
func (c *Case) Want() *Result { return c.Expect }

// WriteRecorded rewrites the case file with got as its recorded result: in
// `expect`, or in `mistral` when the case differs deliberately. The rest of
// the file is kept as it was (comments and the literal workflow included).
func (c *Case) WriteRecorded(got *Result) error {
	raw, err := os.ReadFile(c.Path)
	if err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return err
	}
	key := "expect"
	if c.Differs != "" {
		key = "mistral"
	}
	root := doc.Content[0]
	val := got.node()
	replaced := false
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == key {
			root.Content[i+1] = val
			replaced = true
		}
	}
	if !replaced {
		root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, val)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	return os.WriteFile(c.Path, buf.Bytes(), 0o644)
}

// node renders r as YAML with a fixed key order.
func (r *Result) node() *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode}
	add := func(k string, v *yaml.Node) {
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k}, v)
	}
	add("state", str(r.State))
	switch {
	case len(r.StateInfoContains) == 1:
		add("state_info_contains", str(r.StateInfoContains[0]))
	case len(r.StateInfoContains) > 1:
		l := &yaml.Node{Kind: yaml.SequenceNode}
		for _, f := range r.StateInfoContains {
			l.Content = append(l.Content, str(f))
		}
		add("state_info_contains", l)
	case r.StateInfo == nil:
		add("state_info", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"})
	default:
		add("state_info", str(*r.StateInfo))
	}
	add("output", valueNode(r.Output, 0))
	tasks := &yaml.Node{Kind: yaml.MappingNode}
	for _, name := range r.TaskOrder {
		l := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, s := range r.Tasks[name] {
			l.Content = append(l.Content, str(s))
		}
		tasks.Content = append(tasks.Content, str(name), l)
	}
	if len(tasks.Content) < 8 {
		tasks.Style = yaml.FlowStyle
	}
	add("tasks", tasks)
	if len(r.Results) > 0 {
		res := &yaml.Node{Kind: yaml.MappingNode}
		for _, name := range r.TaskOrder {
			if v, ok := r.Results[name]; ok {
				res.Content = append(res.Content, str(name), valueNode(v, 1))
			}
		}
		add("results", res)
	}
	return m
}

func str(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if strings.Contains(s, "\n") {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// valueNode renders a canonical JSON value; small containers go on one line.
func valueNode(v any, depth int) *yaml.Node {
	switch x := v.(type) {
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(x)}
	case int64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(x, 10)}
	case float64:
		s := strconv.FormatFloat(x, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eEn") { // keep 5.0 a float when read back
			s += ".0"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: s}
	case string:
		return str(x)
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		for _, e := range x {
			n.Content = append(n.Content, valueNode(e, depth+1))
		}
		flow(n, v)
		return n
	case map[string]any:
		n := &yaml.Node{Kind: yaml.MappingNode}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			n.Content = append(n.Content, str(k), valueNode(x[k], depth+1))
		}
		flow(n, v)
		return n
	}
	return str(fmt.Sprint(v))
}

func flow(n *yaml.Node, v any) {
	b, _ := json.Marshal(v)
	if len(b) <= 70 && !bytes.Contains(b, []byte(`\n`)) {
		n.Style = yaml.FlowStyle
	}
}

var uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
