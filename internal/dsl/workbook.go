package dsl

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// Workbook is a named document of workflows and ad-hoc actions
// (POST /v2/workbooks). Its members are stored under "<workbook>.<name>".
type Workbook struct {
	Name        string
	Description string
	Tags        []string
	// Workflows and Actions carry their prefixed names, and a Source that
	// is a document of its own under that name.
	Workflows []*Workflow
	Actions   []*Action
}

var workbookKeys = []string{"version", "name", "description", "tags", "actions", "workflows"}

// ParseWorkbook parses and validates a workbook. The error, if any, is an
// *Error positioned in src.
func ParseWorkbook(src []byte) (*Workbook, error) {
	return parseWorkbook(src, nil)
}

func parseWorkbook(src []byte, check InputCheck) (*Workbook, error) {
	p, root, entries, err := parseTop(src, "the workbook must be a mapping of 'version', 'name', 'workflows' and 'actions'")
	if err != nil {
		return nil, err
	}
	p.check = check
	if err := checkKeys(entries, workbookKeys, "the workbook"); err != nil {
		return nil, err
	}
	v, ok := lookup(entries, "version")
	if !ok {
		return nil, errAt(root, "missing required property 'version' (must be '2.0')")
	}
	if _, err := parseVersion(v.Value); err != nil {
		return nil, err
	}
	n, ok := lookup(entries, "name")
	if !ok {
		return nil, errAt(root, "missing required property 'name' of the workbook")
	}
	wb := &Workbook{}
	if wb.Name, ok = stringValue(n.Value); !ok || wb.Name == "" || strings.ContainsAny(wb.Name, " \t.") {
		return nil, errAt(n.Value, "the workbook's 'name' must be a non-empty string without spaces or dots, got %s", describe(n.Value))
	}
	// The end of each section, for the source of its last member.
	ends := map[string]int{}
	for i, e := range entries {
		ends[e.Key] = len(p.lines)
		if i+1 < len(entries) {
			ends[e.Key] = entries[i+1].KeyNode.Line - 1
		}
	}
	for _, f := range entries {
		switch f.Key {
		case "description":
			wb.Description, err = p.text(f, "the workbook")
		case "tags":
			wb.Tags, err = p.tags(f, "the workbook")
		case "actions", "workflows":
			err = p.workbookSection(wb, f, ends[f.Key])
		}
		if err != nil {
			return nil, err
		}
	}
	return wb, nil
}

// workbookSection reads the actions or workflows of a workbook.
func (p *parser) workbookSection(wb *Workbook, f pair, end int) error {
	if isNull(f.Value) {
		return nil
	}
	if d := deref(f.Value); d == nil || d.Kind != yaml.MappingNode {
		return errAt(f.Value, "the workbook's '%s' must be a mapping of names, got %s", f.Key, kindName(f.Value))
	}
	members, err := p.pairs(f.Value)
	if err != nil {
		return err
	}
	for i, e := range members {
		last := end
		if i+1 < len(members) {
			last = members[i+1].KeyNode.Line - 1
		}
		name := wb.Name + "." + e.Key
		if f.Key == "actions" {
			a, err := p.action(e)
			if err != nil {
				return err
			}
			a.Name, a.Source = name, p.memberSource(e, last, name)
			wb.Actions = append(wb.Actions, a)
			continue
		}
		wf, err := p.workflow(e)
		if err != nil {
			return err
		}
		wf.Name, wf.Source = name, p.memberSource(e, last, name)
		wb.Workflows = append(wb.Workflows, wf)
	}
	return nil
}

// memberSource is a workbook member as a document of its own: its lines
// (through line last), unindented, under its new name.
func (p *parser) memberSource(e pair, last int, name string) string {
	start, col := e.KeyNode.Line, e.KeyNode.Column
	if start < 1 || start > len(p.lines) {
		return ""
	}
	last = min(max(last, start), len(p.lines))
	for last > start {
		t := strings.TrimSpace(p.lines[last-1])
		if t == "" || strings.HasPrefix(t, "#") || t == "..." || t == "---" {
			last--
			continue
		}
		break
	}
	first := []rune(p.lines[start-1])
	if col-1 > len(first) {
		return ""
	}
	key := string(first[col-1:])
	// What follows the key on its line (": {…}" for a flow mapping).
	rest := ""
	switch {
	case strings.HasPrefix(key, e.Key):
		rest = key[len(e.Key):]
	case key != "" && (key[0] == '\'' || key[0] == '"'):
		if k := strings.IndexByte(key[1:], key[0]); k >= 0 {
			rest = key[k+2:]
		}
	}
	var b strings.Builder
	b.WriteString("---\nversion: '2.0'\n\n")
	b.WriteString(name)
	b.WriteString(rest)
	b.WriteByte('\n')
	indent := strings.Repeat(" ", col-1)
	for j := start; j < last; j++ {
		b.WriteString(strings.TrimPrefix(p.lines[j], indent))
		b.WriteByte('\n')
	}
	return b.String()
}

// WorkbookPrefix returns the workbook part of a member's name ("wb" of
// "wb.wf"), or "".
func WorkbookPrefix(name string) string {
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		return name[:i]
	}
	return ""
}
