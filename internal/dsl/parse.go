package dsl

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/sirocco-project/sirocco/internal/jsonvalue"
	"gopkg.in/yaml.v3"
)

// Parse parses and validates a workflow-definition document: `version:
// '2.0'` plus one or more named workflows. The error, if any, is an *Error.
func Parse(src []byte) (*Document, error) {
	return parseDocument(src, nil)
}

func parseDocument(src []byte, check InputCheck) (*Document, error) {
	p, root, entries, err := parseTop(src, "the definition must be a mapping of 'version' and workflows")
	if err != nil {
		return nil, err
	}
	p.check = check
	doc := &Document{}
	var versionSeen bool
	for i, e := range entries {
		if e.Key == "version" {
			v, err := parseVersion(e.Value)
			if err != nil {
				return nil, err
			}
			doc.Version, versionSeen = v, true
			continue
		}
		wf, err := p.workflow(e)
		if err != nil {
			return nil, err
		}
		wf.Source = p.source(e, entries, i)
		doc.Workflows = append(doc.Workflows, wf)
	}
	if !versionSeen {
		return nil, errAt(root, "missing required property 'version' (must be '2.0')")
	}
	if len(doc.Workflows) == 0 {
		return nil, errAt(root, "the definition holds no workflow (expected at least one workflow next to 'version')")
	}
	return doc, nil
}

// parseTop loads a document whose top is a mapping (what says what it
// must be otherwise) and returns its entries.
func parseTop(src []byte, what string) (*parser, *yaml.Node, []pair, error) {
	if err := checkNodes(src); err != nil {
		return nil, nil, nil, err
	}
	p := newParser(src)
	root, err := p.load()
	if err != nil {
		return nil, nil, nil, err
	}
	if deref(root).Kind != yaml.MappingNode {
		return nil, nil, nil, errAt(root, "%s, got %s", what, kindName(root))
	}
	entries, err := p.pairs(deref(root))
	if err != nil {
		return nil, nil, nil, err
	}
	return p, root, entries, nil
}

func parseVersion(n *yaml.Node) (string, error) {
	d := deref(n)
	if d != nil && d.Kind == yaml.ScalarNode {
		switch d.ShortTag() {
		case "!!str":
			if d.Value == "2.0" {
				return "2.0", nil
			}
		case "!!float", "!!int":
			if v, err := scalarValue(d); err == nil && (v == float64(2) || v == int64(2)) {
				return "2.0", nil
			}
		}
		return "", errAt(n, "unsupported version '%s' (must be '2.0')", d.Value)
	}
	return "", errAt(n, "'version' must be '2.0', got %s", kindName(n))
}

// source returns the stored text of the workflow at entries[i]: the lines
// from its key through the line before the next top-level key, without
// trailing blank lines, unindented comments and document markers.
func (p *parser) source(e pair, entries []pair, i int) string {
	start := e.KeyNode.Line
	if start < 1 || start > len(p.lines) {
		return ""
	}
	end := len(p.lines)
	for _, next := range entries[i+1:] {
		if !next.fromMerg && next.KeyNode.Line > start {
			end = min(next.KeyNode.Line-1, end)
			break
		}
	}
	for end > start {
		l := p.lines[end-1]
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(l, "#") || t == "..." || t == "---" {
			end--
			continue
		}
		break
	}
	// The original breaks are kept so that a quoted value holding a line or
	// paragraph separator reads the same when stored.
	return "---\nversion: '2.0'\n\n" + p.linesText(start, end)
}

var (
	workflowKeys = []string{"type", "description", "tags", "input", "output", "output-on-error", "vars", "task-defaults", "tasks"}
	taskKeys     = []string{"name", "description", "action", "workflow", "input", "publish", "publish-on-error",
		"with-items", "keep-result", "target", "safe-rerun", "tags", "retry", "wait-before", "wait-after",
		"timeout", "pause-before", "concurrency", "fail-on", "on-success", "on-error", "on-complete", "join", "requires", "waits-for"}
	taskDefaultKeys = []string{"retry", "wait-before", "wait-after", "timeout", "pause-before", "concurrency",
		"fail-on", "safe-rerun", "on-complete", "on-success", "on-error", "requires"}
	directOnly  = map[string]bool{"on-success": true, "on-error": true, "on-complete": true, "join": true}
	reverseOnly = map[string]bool{"requires": true}
)

// checkKeys rejects keys outside allowed, naming the key and what is allowed.
func checkKeys(entries []pair, allowed []string, what string) error {
	for _, e := range entries {
		if !slices.Contains(allowed, e.Key) {
			return errAt(e.KeyNode, "unknown property '%s' in %s (allowed: %s)", e.Key, what, strings.Join(allowed, ", "))
		}
	}
	return nil
}

func lookup(entries []pair, key string) (pair, bool) {
	for _, e := range entries {
		if e.Key == key {
			return e, true
		}
	}
	return pair{}, false
}

var uuidHexRe = regexp.MustCompile(`^[0-9a-f]{32}$`)

// looksLikeUUID mirrors oslo's is_uuid_like: workflows are looked up by
// name or id, so a name that parses as a UUID would be ambiguous.
func looksLikeUUID(s string) bool {
	s = strings.ToLower(s)
	s = strings.TrimPrefix(s, "urn:")
	s = strings.TrimPrefix(s, "uuid:")
	s = strings.Trim(s, "{}")
	return uuidHexRe.MatchString(strings.ReplaceAll(s, "-", ""))
}

const maxNameLen = 255

func (p *parser) workflow(e pair) (*Workflow, error) {
	name := e.Key
	switch {
	case name == "":
		return nil, errAt(e.KeyNode, "workflow name must not be empty")
	case len(name) > maxNameLen:
		return nil, errAt(e.KeyNode, "workflow name '%s' is longer than %d characters", name, maxNameLen)
	case looksLikeUUID(name):
		return nil, errAt(e.KeyNode, "workflow name '%s' must not look like a UUID", name)
	}
	if deref(e.Value) == nil || deref(e.Value).Kind != yaml.MappingNode {
		return nil, errAt(e.Value, "workflow '%s' must be a mapping, got %s", name, kindName(e.Value))
	}
	entries, err := p.pairs(e.Value)
	if err != nil {
		return nil, err
	}
	what := fmt.Sprintf("workflow '%s'", name)
	if err := checkKeys(entries, workflowKeys, what); err != nil {
		return nil, err
	}
	wf := &Workflow{Name: name, Type: TypeDirect, Line: e.KeyNode.Line, Column: e.KeyNode.Column}
	if t, ok := lookup(entries, "type"); ok {
		s, ok := stringValue(t.Value)
		if !ok || (s != TypeDirect && s != TypeReverse) {
			return nil, errAt(t.Value, "%s: 'type' must be 'direct' or 'reverse', got %s", what, describe(t.Value))
		}
		wf.Type = s
	}
	for _, f := range entries {
		var err error
		switch f.Key {
		case "description":
			wf.Description, err = p.text(f, what)
		case "tags":
			wf.Tags, err = p.tags(f, what)
		case "input":
			err = p.workflowInput(wf, f, what)
		case "output":
			wf.Output, err = p.convert(f.Value, true, what+" 'output'")
		case "output-on-error":
			wf.OutputOnError, err = p.convert(f.Value, true, what+" 'output-on-error'")
		case "vars":
			wf.Vars, err = p.mapping(f, true, what+" 'vars'")
		}
		if err != nil {
			return nil, err
		}
	}
	var defaults []pair
	if d, ok := lookup(entries, "task-defaults"); ok && !isNull(d.Value) {
		if defaults, err = p.taskDefaults(wf, d); err != nil {
			return nil, err
		}
	}
	tasks, ok := lookup(entries, "tasks")
	if !ok {
		return nil, errAt(e.KeyNode, "%s: missing required property 'tasks'", what)
	}
	if err := p.tasks(wf, tasks, defaults); err != nil {
		return nil, err
	}
	return wf, nil
}

// describe renders a node's value for error messages.
func describe(n *yaml.Node) string {
	d := deref(n)
	if d != nil && d.Kind == yaml.ScalarNode && d.ShortTag() != "!!null" {
		return fmt.Sprintf("'%s'", d.Value)
	}
	return kindName(n)
}

// text reads an optional string property (null reads as "").
func (p *parser) text(f pair, what string) (string, error) {
	if isNull(f.Value) {
		return "", nil
	}
	s, ok := stringValue(f.Value)
	if !ok {
		return "", errAt(f.Value, "%s: '%s' must be a string, got %s", what, f.Key, kindName(f.Value))
	}
	return s, nil
}

// tags reads a list of unique strings.
func (p *parser) tags(f pair, what string) ([]string, error) {
	if isNull(f.Value) {
		return nil, nil
	}
	list, err := p.stringList(f, what, false)
	if err != nil {
		return nil, err
	}
	seen := make(map[string]bool)
	for i, s := range list {
		if seen[s] {
			return nil, errAt(deref(f.Value).Content[i], "%s: duplicate tag '%s'", what, s)
		}
		seen[s] = true
	}
	return list, nil
}

// stringList reads a list of strings, or a single string when single is set.
func (p *parser) stringList(f pair, what string, single bool) ([]string, error) {
	d := deref(f.Value)
	if s, ok := stringValue(d); ok && single {
		return []string{s}, nil
	}
	if d == nil || d.Kind != yaml.SequenceNode {
		if single {
			return nil, errAt(f.Value, "%s: '%s' must be a string or a list of strings, got %s", what, f.Key, kindName(f.Value))
		}
		return nil, errAt(f.Value, "%s: '%s' must be a list of strings, got %s", what, f.Key, kindName(f.Value))
	}
	out := make([]string, 0, len(d.Content))
	for _, c := range d.Content {
		s, ok := stringValue(c)
		if !ok {
			return nil, errAt(c, "%s: '%s' items must be strings, got %s", what, f.Key, kindName(c))
		}
		out = append(out, s)
	}
	return out, nil
}

// mapping reads an optional mapping property (null reads as nil).
func (p *parser) mapping(f pair, check bool, where string) (*jsonvalue.Object, error) {
	if isNull(f.Value) {
		return nil, nil
	}
	if d := deref(f.Value); d == nil || d.Kind != yaml.MappingNode {
		return nil, errAt(f.Value, "%s must be a mapping, got %s", where, kindName(f.Value))
	}
	v, err := p.convert(f.Value, check, where)
	if err != nil {
		return nil, err
	}
	return v.(*jsonvalue.Object), nil
}

func (p *parser) workflowInput(wf *Workflow, f pair, what string) error {
	if isNull(f.Value) {
		return nil
	}
	d := deref(f.Value)
	if d == nil || d.Kind != yaml.SequenceNode {
		return errAt(f.Value, "%s: 'input' must be a list of names or one-key mappings 'name: default', got %s", what, kindName(f.Value))
	}
	seen := make(map[string]bool)
	wf.Input = []Param{}
	wf.InputRaw = []any{}
	for _, item := range d.Content {
		var prm Param
		at := item
		if s, ok := stringValue(item); ok {
			prm.Name = s
		} else if di := deref(item); di != nil && di.Kind == yaml.MappingNode {
			ps, err := p.pairs(di)
			if err != nil {
				return err
			}
			if len(ps) != 1 {
				return errAt(item, "%s: input item must be a name or a one-key mapping 'name: default', got a mapping with %d keys", what, len(ps))
			}
			// Defaults are used verbatim by Mistral, never evaluated.
			def, err := p.convert(ps[0].Value, false, what+" input")
			if err != nil {
				return err
			}
			prm = Param{Name: ps[0].Key, Default: def, HasDefault: true}
			at = ps[0].KeyNode
		} else {
			return errAt(item, "%s: input item must be a name or a one-key mapping 'name: default', got %s", what, kindName(item))
		}
		if prm.Name == "" {
			return errAt(at, "%s: input name must not be empty", what)
		}
		if seen[prm.Name] {
			return errAt(at, "%s: duplicate input '%s'", what, prm.Name)
		}
		seen[prm.Name] = true
		wf.Input = append(wf.Input, prm)
		if prm.HasDefault {
			wf.InputRaw = append(wf.InputRaw, map[string]any{prm.Name: prm.Default})
		} else {
			wf.InputRaw = append(wf.InputRaw, prm.Name)
		}
	}
	return nil
}

func (p *parser) taskDefaults(wf *Workflow, d pair) ([]pair, error) {
	what := fmt.Sprintf("task-defaults of workflow '%s'", wf.Name)
	if dd := deref(d.Value); dd == nil || dd.Kind != yaml.MappingNode {
		return nil, errAt(d.Value, "%s must be a mapping, got %s", what, kindName(d.Value))
	}
	entries, err := p.pairs(d.Value)
	if err != nil {
		return nil, err
	}
	if err := checkKeys(entries, taskDefaultKeys, what); err != nil {
		return nil, err
	}
	if err := checkTypeKeys(entries, wf.Type, what); err != nil {
		return nil, err
	}
	// Validate the defaults once, where they are written, so that a bad
	// default is reported at its own line.
	probe := &Task{}
	for _, f := range entries {
		if err := p.taskProperty(wf, probe, f, what, true); err != nil {
			return nil, err
		}
	}
	return entries, nil
}

// checkTypeKeys rejects properties that do not fit the workflow type.
func checkTypeKeys(entries []pair, typ, what string) error {
	for _, e := range entries {
		if typ == TypeReverse && directOnly[e.Key] {
			return errAt(e.KeyNode, "%s: '%s' is not allowed in a reverse workflow (use 'requires')", what, e.Key)
		}
		if typ == TypeDirect && reverseOnly[e.Key] {
			return errAt(e.KeyNode, "%s: '%s' is only allowed in a reverse workflow (set 'type: reverse' or use on-success/on-error/on-complete)", what, e.Key)
		}
	}
	return nil
}

func (p *parser) tasks(wf *Workflow, f pair, defaults []pair) error {
	what := fmt.Sprintf("workflow '%s'", wf.Name)
	d := deref(f.Value)
	if d == nil || d.Kind != yaml.MappingNode {
		return errAt(f.Value, "%s: 'tasks' must be a mapping of task names to tasks, got %s", what, kindName(f.Value))
	}
	entries, err := p.pairs(d)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return errAt(f.Value, "%s: 'tasks' must hold at least one task", what)
	}
	wf.Tasks = make(map[string]*Task, len(entries))
	for _, e := range entries {
		t, err := p.task(wf, e, defaults)
		if err != nil {
			return err
		}
		wf.Tasks[t.Name] = t
		wf.TaskOrder = append(wf.TaskOrder, t.Name)
	}
	if wf.Type == TypeReverse {
		return checkRequires(wf, entries)
	}
	return resolveTransitions(wf)
}

func (p *parser) task(wf *Workflow, e pair, defaults []pair) (*Task, error) {
	what := fmt.Sprintf("task '%s'", e.Key)
	switch {
	case e.Key == "":
		return nil, errAt(e.KeyNode, "workflow '%s': task name must not be empty", wf.Name)
	case len(e.Key) > maxNameLen:
		return nil, errAt(e.KeyNode, "%s: task name is longer than %d characters", what, maxNameLen)
	}
	t := &Task{Name: e.Key, Line: e.KeyNode.Line, Column: e.KeyNode.Column}
	var entries []pair
	if !isNull(e.Value) {
		d := deref(e.Value)
		if d == nil || d.Kind != yaml.MappingNode {
			return nil, errAt(e.Value, "%s must be a mapping of task properties, got %s", what, kindName(e.Value))
		}
		var err error
		if entries, err = p.pairs(d); err != nil {
			return nil, err
		}
	}
	if err := checkKeys(entries, taskKeys, what); err != nil {
		return nil, err
	}
	if err := checkTypeKeys(entries, wf.Type, what); err != nil {
		return nil, err
	}
	if a, ok := lookup(entries, "action"); ok {
		if w, ok := lookup(entries, "workflow"); ok {
			later := w
			if w.KeyNode.Line < a.KeyNode.Line || (w.KeyNode.Line == a.KeyNode.Line && w.KeyNode.Column < a.KeyNode.Column) {
				later = a
			}
			return nil, errAt(later.KeyNode, "%s has both 'action' and 'workflow'; they are mutually exclusive", what)
		}
	}
	for _, f := range entries {
		if err := p.taskProperty(wf, t, f, what, false); err != nil {
			return nil, err
		}
	}
	if t.Action == "" && t.Workflow == "" {
		t.Action = "std.noop"
	}
	if t.Action != "" {
		var inputNode, line *yaml.Node
		if f, ok := lookup(entries, "input"); ok {
			inputNode = f.Value
		}
		if f, ok := lookup(entries, "action"); ok {
			line = f.Value
		}
		if err := p.checkInput(t.Action, t.Input, t.InlineInput, inputNode, line, e.KeyNode); err != nil {
			return nil, err
		}
	}
	// Task-defaults: the task's own policy values win. An on-* clause of the
	// defaults applies only when the task has no clause of that kind, minus
	// transitions to the task itself (Mistral 15's get_on_*_clause).
	// requires is the union of both, without the task itself.
	own := make(map[string]bool, len(entries))
	for _, f := range entries {
		own[f.Key] = true
	}
	for _, f := range defaults {
		switch f.Key {
		case "on-success", "on-error", "on-complete":
			clause, clausePub := t.clause(f.Key)
			if len(*clause) > 0 || *clausePub != nil {
				continue
			}
			trs, pub, err := p.transitions(f, what+" (from task-defaults)")
			if err != nil {
				return nil, err
			}
			for _, tr := range trs {
				if tr.Target != t.Name {
					*clause = append(*clause, tr)
				}
			}
			*clausePub = pub
		case "requires":
			reqs, err := p.stringList(f, what, true)
			if err != nil {
				return nil, err
			}
			for _, r := range reqs {
				if r != t.Name && !slices.Contains(t.Requires, r) {
					t.Requires = append(t.Requires, r)
				}
			}
		default:
			if own[f.Key] {
				continue
			}
			if err := p.taskProperty(wf, t, f, what+" (from task-defaults)", true); err != nil {
				return nil, err
			}
		}
	}
	return t, nil
}

// clause returns the transitions and the publish of an on-* clause.
func (t *Task) clause(key string) (*[]Transition, **Publish) {
	switch key {
	case "on-success":
		return &t.OnSuccess, &t.OnSuccessPublish
	case "on-error":
		return &t.OnError, &t.OnErrorPublish
	default:
		return &t.OnComplete, &t.OnCompletePublish
	}
}

// taskProperty validates one task property and stores it in t.
func (p *parser) taskProperty(wf *Workflow, t *Task, f pair, what string, fromDefaults bool) error {
	where := fmt.Sprintf("%s '%s'", what, f.Key)
	v := f.Value
	var err error
	switch f.Key {
	case "name":
		s, ok := stringValue(v)
		if !ok || s != t.Name {
			return errAt(v, "%s: 'name' must equal the task's key '%s', got %s", what, t.Name, describe(v))
		}
	case "description":
		t.Description, err = p.text(f, what)
	case "action", "workflow":
		err = p.taskCommand(t, f, what)
	case "input":
		t.Input, err = p.taskInput(f, what)
	case "publish":
		t.Publish, err = p.mapping(f, true, where)
	case "publish-on-error":
		t.PublishOnError, err = p.mapping(f, true, where)
	case "with-items":
		t.WithItems, err = p.withItems(f, what)
	case "keep-result":
		t.KeepResult, err = p.boolOrExpr(f, where)
	case "safe-rerun":
		t.SafeRerun, err = p.boolOrExpr(f, where)
	case "waits-for":
		t.WaitsFor, err = waitsFor(f, where)
	case "pause-before":
		t.PauseBefore, err = p.boolOrExpr(f, where)
	case "fail-on":
		t.FailOn, err = p.boolOrExpr(f, where)
	case "target":
		if _, ok := stringValue(v); !ok && !isNull(v) {
			return errAt(v, "%s must be a string, got %s", where, kindName(v))
		}
		t.Target, err = p.convert(v, true, where)
	case "tags":
		t.Tags, err = p.tags(f, what)
	case "retry":
		t.Retry, err = p.retry(f, where)
	case "wait-before":
		t.WaitBefore, err = p.secondsOrExpr(f, where)
	case "wait-after":
		t.WaitAfter, err = p.secondsOrExpr(f, where)
	case "timeout":
		t.Timeout, err = p.secondsOrExpr(f, where)
	case "concurrency":
		t.Concurrency, err = p.intOrExpr(f, where)
	case "on-success", "on-error", "on-complete":
		trs, pub := t.clause(f.Key)
		*trs, *pub, err = p.transitions(f, what)
	case "join":
		t.Join, err = p.join(f, what)
	case "requires":
		t.Requires, err = p.stringList(f, what, true)
		if err == nil && !fromDefaults {
			for i, r := range t.Requires {
				if r == t.Name {
					return errAt(listItem(v, i), "%s requires itself", what)
				}
			}
		}
	}
	return err
}

// listItem returns the i-th item node of a list node, or the node itself.
func listItem(n *yaml.Node, i int) *yaml.Node {
	if d := deref(n); d != nil && d.Kind == yaml.SequenceNode && i < len(d.Content) {
		return d.Content[i]
	}
	return n
}

// inlineOffset reports whether a scalar's value is written verbatim on its
// node's line (a single-line plain scalar), so that a rune offset into the
// value can be added to the node's column. Quoted, block and folded scalars
// are positioned at their start instead.
func (p *parser) inlineOffset(n *yaml.Node) bool {
	if n.Style != 0 || n.Line < 1 || n.Line > len(p.lines) || strings.Contains(n.Value, "\n") {
		return false
	}
	line := []rune(p.lines[n.Line-1])
	if n.Column-1 > len(line) {
		return false
	}
	return strings.HasPrefix(string(line[n.Column-1:]), n.Value)
}

// inlineErr positions an error from splitCommand inside node n.
func (p *parser) inlineErr(n *yaml.Node, err error, format string, args ...any) error {
	e := errAt(n, format, args...)
	e.Msg += ": " + err.Error()
	var ie *inlineError
	if errors.As(err, &ie) && p.inlineOffset(n) {
		e.Column += ie.Off
	}
	return e
}

// taskCommand parses an `action:` or `workflow:` line.
func (p *parser) taskCommand(t *Task, f pair, what string) error {
	s, ok := stringValue(f.Value)
	if !ok {
		return errAt(f.Value, "%s: '%s' must be a string, got %s", what, f.Key, kindName(f.Value))
	}
	if strings.TrimSpace(s) == "" {
		return errAt(f.Value, "%s: '%s' must not be empty", what, f.Key)
	}
	name, nameOff, params, err := splitCommand(s)
	if err != nil {
		return p.inlineErr(f.Value, err, "%s: invalid '%s' line", what, f.Key)
	}
	exact := p.inlineOffset(f.Value)
	off := func(o int) int {
		if exact {
			return o
		}
		return 0
	}
	if err := checkExpr(f.Value, off(nameOff), name, what+" "+f.Key+" name"); err != nil {
		return err
	}
	if f.Key == "action" {
		t.Action = name
	} else {
		t.Workflow = name
	}
	if len(params) > 0 {
		t.InlineInput = jsonvalue.NewObject(len(params))
	}
	for _, prm := range params {
		if s, ok := prm.Value.(string); ok {
			if err := checkExpr(f.Value, off(prm.Off), s, fmt.Sprintf("%s parameter '%s'", what, prm.Key)); err != nil {
				return err
			}
		}
		t.InlineInput.Set(prm.Key, prm.Value)
	}
	return nil
}

func (p *parser) taskInput(f pair, what string) (any, error) {
	v := f.Value
	if isNull(v) {
		return nil, nil
	}
	if s, ok := stringValue(v); ok {
		if !hasExpr(s) {
			return nil, errAt(v, "%s: 'input' must be a mapping or an expression, got '%s'", what, s)
		}
		return p.convert(v, true, what+" 'input'")
	}
	if d := deref(v); d == nil || d.Kind != yaml.MappingNode {
		return nil, errAt(v, "%s: 'input' must be a mapping or an expression, got %s", what, kindName(v))
	}
	return p.convert(v, true, what+" 'input'")
}

var withItemsRe = regexp.MustCompile(`^\s*[\w-]+\s+in\s+\S`)

func (p *parser) withItems(f pair, what string) (any, error) {
	d := deref(f.Value)
	var items []*yaml.Node
	switch {
	case d != nil && d.Kind == yaml.ScalarNode && d.ShortTag() == "!!str":
		items = []*yaml.Node{d}
	case d != nil && d.Kind == yaml.SequenceNode && len(d.Content) > 0:
		items = d.Content
	default:
		return nil, errAt(f.Value, "%s: 'with-items' must be 'var in <source>' or a list of such strings, got %s", what, kindName(f.Value))
	}
	for _, it := range items {
		s, ok := stringValue(it)
		if !ok || !withItemsRe.MatchString(s) {
			return nil, errAt(it, "%s: 'with-items' item must look like 'var in <%% $.list %%>' or 'var in [1, 2]', got %s", what, describe(it))
		}
	}
	return p.convert(f.Value, true, what+" 'with-items'")
}

func (p *parser) boolOrExpr(f pair, where string) (any, error) {
	d := deref(f.Value)
	if d != nil && d.Kind == yaml.ScalarNode {
		switch d.ShortTag() {
		case "!!bool":
			return p.convert(d, false, where)
		case "!!str":
			if hasExpr(d.Value) {
				return p.convert(d, true, where)
			}
		}
	}
	return nil, errAt(f.Value, "%s must be true, false or an expression, got %s", where, describe(f.Value))
}

func (p *parser) intOrExpr(f pair, where string) (any, error) {
	d := deref(f.Value)
	if d != nil && d.Kind == yaml.ScalarNode {
		switch d.ShortTag() {
		case "!!int":
			v, err := scalarValue(d)
			if err != nil {
				return nil, err
			}
			if i, ok := v.(int64); ok && i >= 0 {
				return i, nil
			}
		case "!!str":
			if hasExpr(d.Value) {
				return p.convert(d, true, where)
			}
		}
	}
	return nil, errAt(f.Value, "%s must be a non-negative integer or an expression, got %s", where, describe(f.Value))
}

// secondsOrExpr validates a duration in seconds: a non-negative number or
// an expression. Mistral takes integers only; Sirocco also takes fractions
// (timeout: 0.5), which its own tests use to stay fast.
func (p *parser) secondsOrExpr(f pair, where string) (any, error) {
	d := deref(f.Value)
	if d != nil && d.Kind == yaml.ScalarNode && d.ShortTag() == "!!float" {
		v, err := scalarValue(d)
		if err != nil {
			return nil, err
		}
		if x, ok := v.(float64); ok && x >= 0 && !math.IsInf(x, 0) {
			return x, nil
		}
		return nil, errAt(f.Value, "%s must be a non-negative number of seconds or an expression, got %s", where, describe(f.Value))
	}
	return p.intOrExpr(f, where)
}

// retry validates a retry policy: a mapping {count, delay, break-on,
// continue-on}, or the one-line form "count=3 delay=1 break-on=<% ... %>",
// which is normalised to the mapping.
func (p *parser) retry(f pair, where string) (any, error) {
	d := deref(f.Value)
	var m map[string]any
	var at func(key string) *yaml.Node
	switch {
	case d != nil && d.Kind == yaml.MappingNode:
		entries, err := p.pairs(d)
		if err != nil {
			return nil, err
		}
		if err := checkKeys(entries, []string{"count", "delay", "break-on", "continue-on"}, where); err != nil {
			return nil, err
		}
		v, err := p.convert(d, true, where)
		if err != nil {
			return nil, err
		}
		m = v.(*jsonvalue.Object).Map() // a policy: its keys' order does not matter
		at = func(key string) *yaml.Node {
			if e, ok := lookup(entries, key); ok {
				return e.Value
			}
			return f.Value
		}
	case d != nil && d.Kind == yaml.ScalarNode && d.ShortTag() == "!!str":
		toks, err := splitInline(d.Value, false)
		if err == nil {
			var params []inlineParam
			if params, err = parseParams(toks); err == nil {
				m = make(map[string]any, len(params))
				for _, prm := range params {
					if !slices.Contains([]string{"count", "delay", "break-on", "continue-on"}, prm.Key) {
						return nil, errAt(d, "%s: unknown retry parameter '%s' (allowed: count, delay, break-on, continue-on)", where, prm.Key)
					}
					if s, ok := prm.Value.(string); ok {
						if err := checkExpr(d, 0, s, where); err != nil {
							return nil, err
						}
					}
					m[prm.Key] = prm.Value
				}
			}
		}
		if err != nil {
			return nil, p.inlineErr(d, err, "%s: invalid one-line retry", where)
		}
		at = func(string) *yaml.Node { return d }
	default:
		return nil, errAt(f.Value, "%s must be a mapping {count, delay, break-on, continue-on} or a line 'count=N delay=S', got %s", where, kindName(f.Value))
	}
	for _, key := range []string{"count", "delay"} {
		v, ok := m[key]
		if !ok {
			return nil, errAt(f.Value, "%s: missing required '%s'", where, key)
		}
		if f, ok := v.(float64); ok && key == "delay" && f >= 0 {
			continue // fractions of a second are fine for a delay
		}
		if !isNonNegInt(v) && !isExprString(v) {
			return nil, errAt(at(key), "%s: '%s' must be a non-negative integer or an expression, got %v", where, key, v)
		}
	}
	for _, key := range []string{"break-on", "continue-on"} {
		if v, ok := m[key]; ok && !isExprString(v) {
			if _, isBool := v.(bool); !isBool {
				return nil, errAt(at(key), "%s: '%s' must be an expression, got %v", where, key, v)
			}
		}
	}
	return m, nil
}

func isNonNegInt(v any) bool {
	i, ok := v.(int64)
	return ok && i >= 0
}

func isExprString(v any) bool {
	s, ok := v.(string)
	return ok && hasExpr(s)
}

func (p *parser) join(f pair, what string) (any, error) {
	d := deref(f.Value)
	if d != nil && d.Kind == yaml.ScalarNode {
		switch d.ShortTag() {
		case "!!str":
			if d.Value == "all" || d.Value == "one" {
				return d.Value, nil
			}
		case "!!int":
			if v, err := scalarValue(d); err == nil {
				if i, ok := v.(int64); ok && i > 0 {
					return i, nil
				}
			}
		}
	}
	return nil, errAt(f.Value, "%s: 'join' must be 'all', 'one' or a positive integer, got %s", what, describe(f.Value))
}

// transitions parses an on-success/on-error/on-complete clause: its
// transitions and, in the advanced form {publish: …, next: …}, its publish.
// Targets are resolved later, once every task of the workflow is known.
func (p *parser) transitions(f pair, what string) ([]Transition, *Publish, error) {
	where := fmt.Sprintf("%s '%s'", what, f.Key)
	d := deref(f.Value)
	if d == nil || d.Kind != yaml.MappingNode {
		trs, err := p.transitionsDepth(f, what, 0)
		return trs, nil, err
	}
	ps, err := p.pairs(d)
	if err != nil {
		return nil, nil, err
	}
	if len(ps) == 1 && ps[0].Key != "publish" && ps[0].Key != "next" {
		// 'task: <% condition %>'
		tr, err := p.transition(ps[0].KeyNode, ps[0].Value, where)
		return []Transition{tr}, nil, err
	}
	if err := checkKeys(ps, []string{"publish", "next"}, where); err != nil {
		return nil, nil, err
	}
	var pub *Publish
	if f, ok := lookup(ps, "publish"); ok {
		if pub, err = p.clausePublish(f, where); err != nil {
			return nil, nil, err
		}
	}
	var trs []Transition
	if next, ok := lookup(ps, "next"); ok {
		if trs, err = p.transitionsDepth(pair{Key: f.Key, KeyNode: next.KeyNode, Value: next.Value}, what, 1); err != nil {
			return nil, nil, err
		}
	}
	return trs, pub, nil
}

// clausePublish parses the publish of an advanced on-* clause: a mapping
// of 'branch', 'global' and 'atomic', each a non-empty mapping.
func (p *parser) clausePublish(f pair, where string) (*Publish, error) {
	where += " 'publish'"
	d := deref(f.Value)
	if d == nil || d.Kind != yaml.MappingNode {
		return nil, errAt(f.Value, "%s must be a mapping of 'branch', 'global' or 'atomic', got %s", where, kindName(f.Value))
	}
	ps, err := p.pairs(d)
	if err != nil {
		return nil, err
	}
	if err := checkKeys(ps, []string{"branch", "global", "atomic"}, where); err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, errAt(f.Value, "%s: either 'branch', 'global' or 'atomic' must be specified", where)
	}
	pub := &Publish{}
	for _, e := range ps {
		m, err := p.mapping(e, true, fmt.Sprintf("%s '%s'", where, e.Key))
		if err != nil {
			return nil, err
		}
		if m.Len() == 0 {
			return nil, errAt(e.Value, "%s '%s' must be a non-empty mapping", where, e.Key)
		}
		switch e.Key {
		case "branch":
			pub.Branch = m
		case "global":
			pub.Global = m
		default:
			pub.Atomic = m
		}
	}
	return pub, nil
}

func (p *parser) transitionsDepth(f pair, what string, depth int) ([]Transition, error) {
	where := fmt.Sprintf("%s '%s'", what, f.Key)
	if depth > 10 {
		return nil, errAt(f.Value, "%s: 'next' nested too deeply", where)
	}
	d := deref(f.Value)
	switch {
	case isNull(d):
		return nil, nil
	case d.Kind == yaml.ScalarNode && d.ShortTag() == "!!str":
		tr, err := p.transition(d, nil, where)
		if err != nil {
			return nil, err
		}
		return []Transition{tr}, nil
	case d.Kind == yaml.SequenceNode:
		out := make([]Transition, 0, len(d.Content))
		for _, item := range d.Content {
			di := deref(item)
			switch {
			case di != nil && di.Kind == yaml.ScalarNode && di.ShortTag() == "!!str":
				tr, err := p.transition(di, nil, where)
				if err != nil {
					return nil, err
				}
				out = append(out, tr)
			case di != nil && di.Kind == yaml.MappingNode:
				ps, err := p.pairs(di)
				if err != nil {
					return nil, err
				}
				if len(ps) != 1 {
					return nil, errAt(item, "%s: a guarded transition must be a one-key mapping 'task: <%% condition %%>', got %d keys", where, len(ps))
				}
				tr, err := p.transition(ps[0].KeyNode, ps[0].Value, where)
				if err != nil {
					return nil, err
				}
				out = append(out, tr)
			default:
				return nil, errAt(item, "%s: items must be task names or 'task: <%% condition %%>', got %s", where, kindName(item))
			}
		}
		return out, nil
	case d.Kind == yaml.MappingNode:
		// Inside 'next': one 'task: <% condition %>'.
		ps, err := p.pairs(d)
		if err != nil {
			return nil, err
		}
		if len(ps) != 1 {
			return nil, errAt(f.Value, "%s: 'next' must be a task name, a list of them or one 'task: <%% condition %%>', got a mapping of %d keys", where, len(ps))
		}
		tr, err := p.transition(ps[0].KeyNode, ps[0].Value, where)
		if err != nil {
			return nil, err
		}
		return []Transition{tr}, nil
	}
	return nil, errAt(f.Value, "%s must be a task name, a list of them or 'task: <%% condition %%>' items, got %s", where, kindName(f.Value))
}

// transition parses one target ("task", "fail msg=...", "fail(msg=...)")
// with an optional guard node.
func (p *parser) transition(target, guard *yaml.Node, where string) (Transition, error) {
	tr := Transition{Line: target.Line, Column: target.Column}
	s, ok := stringValue(target)
	if !ok || strings.TrimSpace(s) == "" {
		return tr, errAt(target, "%s: transition target must be a non-empty string, got %s", where, describe(target))
	}
	name, _, params, err := splitCommand(s)
	if err != nil {
		return tr, p.inlineErr(target, err, "%s: invalid transition '%s'", where, s)
	}
	tr.Target = name
	exact := p.inlineOffset(target)
	for _, prm := range params {
		if tr.Params == nil {
			tr.Params = make(map[string]any, len(params))
		}
		if s, ok := prm.Value.(string); ok {
			off := 0
			if exact {
				off = prm.Off
			}
			if err := checkExpr(target, off, s, fmt.Sprintf("%s parameter '%s'", where, prm.Key)); err != nil {
				return tr, err
			}
		}
		tr.Params[prm.Key] = prm.Value
	}
	if guard == nil || isNull(guard) {
		return tr, nil
	}
	g := deref(guard)
	if g.Kind != yaml.ScalarNode {
		return tr, errAt(guard, "%s: the condition of '%s' must be an expression, got %s", where, name, kindName(guard))
	}
	v, err := p.convert(g, true, fmt.Sprintf("%s condition of '%s'", where, name))
	if err != nil {
		return tr, err
	}
	switch x := v.(type) {
	case string:
		// A plain string evaluates to itself: truthy unless empty.
		if hasExpr(x) {
			tr.Guard = x
		} else if x == "" {
			tr.Guard = neverGuard
		}
	case bool:
		if !x {
			tr.Guard = neverGuard
		}
	case int64:
		if x == 0 {
			tr.Guard = neverGuard
		}
	case float64:
		if x == 0 {
			tr.Guard = neverGuard
		}
	}
	return tr, nil
}

// neverGuard is the guard of a transition whose condition is statically false.
const neverGuard = "<% false %>"

// resolveTransitions checks every transition target of a direct workflow
// and marks engine commands.
func resolveTransitions(wf *Workflow) error {
	for _, name := range wf.TaskOrder {
		t := wf.Tasks[name]
		for _, clause := range []*[]Transition{&t.OnSuccess, &t.OnError, &t.OnComplete} {
			for i := range *clause {
				tr := &(*clause)[i]
				at := &yaml.Node{Line: tr.Line, Column: tr.Column}
				if _, ok := wf.Tasks[tr.Target]; ok {
					if len(tr.Params) > 0 {
						return errAt(at, "task '%s': transition to task '%s' cannot take parameters (only engine commands fail, succeed and pause take msg)", name, tr.Target)
					}
					continue
				}
				allowed, ok := commandParams[tr.Target]
				if !ok {
					if hasExpr(tr.Target) {
						return errAt(at, "task '%s': transition target '%s' must be a task name, not an expression", name, tr.Target)
					}
					return errAt(at, "Task '%s' not found.", tr.Target)
				}
				for k := range tr.Params {
					if !slices.Contains(allowed, k) {
						return errAt(at, "task '%s': engine command '%s' does not take parameter '%s'%s", name, tr.Target, k, allowedSuffix(allowed))
					}
				}
				tr.Command = true
			}
		}
	}
	return nil
}

func allowedSuffix(allowed []string) string {
	if len(allowed) == 0 {
		return " (it takes none)"
	}
	return " (allowed: " + strings.Join(allowed, ", ") + ")"
}

// checkRequires checks that every requirement of a reverse workflow names a
// task and that requirements do not form a cycle.
func checkRequires(wf *Workflow, entries []pair) error {
	pos := make(map[string]*yaml.Node, len(entries))
	for _, e := range entries {
		pos[e.Key] = e.KeyNode
	}
	for _, name := range wf.TaskOrder {
		for _, r := range wf.Tasks[name].Requires {
			if _, ok := wf.Tasks[r]; !ok {
				return errAt(pos[name], "task '%s' requires '%s': Task '%s' not found.", name, r, r)
			}
		}
	}
	const (
		unvisited = iota
		visiting
		done
	)
	state := make(map[string]int, len(wf.Tasks))
	var visit func(name string, path []string) error
	visit = func(name string, path []string) error {
		switch state[name] {
		case visiting:
			return errAt(pos[name], "requirements form a cycle: %s", strings.Join(append(path, name), " -> "))
		case done:
			return nil
		}
		state[name] = visiting
		for _, r := range wf.Tasks[name].Requires {
			if err := visit(r, append(path, name)); err != nil {
				return err
			}
		}
		state[name] = done
		return nil
	}
	for _, name := range wf.TaskOrder {
		if err := visit(name, nil); err != nil {
			return err
		}
	}
	return nil
}

// WaitsFor values: whom an asynchronous action waits for, which decides
// the dashboard inbox's view it is listed in (a Sirocco extension).
const (
	WaitsForPerson  = "person"
	WaitsForService = "service"
)

// waitsFor reads a task's or an ad-hoc action's 'waits-for'.
func waitsFor(f pair, where string) (string, error) {
	s, ok := stringValue(f.Value)
	if !ok || (s != WaitsForPerson && s != WaitsForService) {
		return "", errAt(f.Value, "%s must be %q or %q, got %s", where, WaitsForPerson, WaitsForService, describe(f.Value))
	}
	return s, nil
}
