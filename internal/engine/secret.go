package engine

import (
	"context"
	"regexp"
	"slices"

	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

// Masked is what a secret input value (a parameter marked secret: a
// password, a private key) is shown as wherever an action's input is
// shown (the API, the CLI, the dashboard), like the callback token in the
// record of an HTTP request. The stored input keeps the value: the
// action's job reads it to run.
const Masked = "***"

// secretNames lists the inputs of d whose values are masked: a built-in's
// parameters marked secret; for an ad-hoc action, its inputs named like a
// secret of its base, or that the base input gives one ($.password,
// _.password in the expression of a secret parameter).
func (d *actionDef) secretNames() []string {
	if d.spec == nil {
		var out []string
		for _, p := range d.params {
			if p.secret {
				out = append(out, p.name)
			}
		}
		return out
	}
	base := d.base.secretNames()
	if len(base) == 0 {
		return nil
	}
	var out []string
	for _, p := range d.params {
		if slices.Contains(base, p.name) {
			out = append(out, p.name)
			continue
		}
		ref := regexp.MustCompile(`[$_]\.` + regexp.QuoteMeta(p.name) + `\b`)
		for _, k := range base {
			if v, ok := d.spec.BaseInput.Get(k); ok && mentions(v, ref) {
				out = append(out, p.name)
				break
			}
		}
	}
	return out
}

// mentions reports whether a string in v matches re.
func mentions(v any, re *regexp.Regexp) bool {
	switch v := v.(type) {
	case string:
		return re.MatchString(v)
	case []any:
		return slices.ContainsFunc(v, func(x any) bool { return mentions(x, re) })
	case map[string]any:
		for _, x := range v {
			if mentions(x, re) {
				return true
			}
		}
	case *jsonvalue.Object:
		for _, x := range v.All() {
			if mentions(x, re) {
				return true
			}
		}
	}
	return false
}

// maskInput returns inputJSON, an action's input as stored, with the
// values of the inputs named secret replaced by Masked. An input without
// any is returned as it is, undecoded.
func maskInput(secret []string, inputJSON string) string {
	if len(secret) == 0 {
		return inputJSON
	}
	v, err := jsonvalue.Decode([]byte(inputJSON))
	if err != nil {
		return inputJSON
	}
	in, ok := v.(*jsonvalue.Object) // decoded in order, so the input keeps it
	if !ok {
		return inputJSON
	}
	changed := false
	for _, k := range secret {
		if x, ok := in.Get(k); ok && x != nil && x != "" {
			in.Set(k, Masked)
			changed = true
		}
	}
	if !changed {
		return inputJSON
	}
	return encodeOrNull(in)
}

// masker masks the inputs of the action executions the engine hands out;
// it resolves each ad-hoc action once.
type masker struct {
	e       *Engine
	ctx     context.Context
	secrets map[[2]string][]string // by name and namespace
}

func (e *Engine) masker(ctx context.Context) *masker {
	return &masker{e: e, ctx: ctx}
}

// mask returns a copy of a with its secret inputs masked; a itself when
// it has none. A built-in costs a map lookup; an ad-hoc action, one read
// of its definition per masker.
func (m *masker) mask(a *ActionExecution) *ActionExecution {
	if a == nil {
		return nil
	}
	var secret []string
	if d, ok := actions[a.Name]; ok {
		secret = d.secretNames()
	} else {
		key := [2]string{a.Name, a.WorkflowNamespace}
		var seen bool
		if secret, seen = m.secrets[key]; !seen {
			// An action that no longer resolves masks nothing: its
			// definition, and so what is secret in it, is gone.
			if d, err := m.e.resolveAction(m.ctx, m.e.store, a.Name, a.WorkflowNamespace, ""); err == nil {
				secret = d.secretNames()
			}
			if m.secrets == nil {
				m.secrets = map[[2]string][]string{}
			}
			m.secrets[key] = secret
		}
	}
	return a.withInput(maskInput(secret, a.InputJSON))
}

// masked is mask for an action execution whose action is resolved.
func (a *ActionExecution) masked(d *actionDef) *ActionExecution {
	return a.withInput(maskInput(d.secretNames(), a.InputJSON))
}

// withInput is a with inputJSON as its input: a itself when unchanged.
func (a *ActionExecution) withInput(inputJSON string) *ActionExecution {
	if inputJSON == a.InputJSON {
		return a
	}
	c := *a
	c.InputJSON = inputJSON
	return &c
}

// checkNoInputQuery refuses to filter or sort action executions on their
// input: each comparison (has:, lt:, an order) would tell something of a
// value that answers mask.
func checkNoInputQuery(q ListQuery) error {
	inInput := slices.Contains(q.SortKeys, "input") || slices.Contains(q.Nulls, "input") ||
		slices.ContainsFunc(q.Filters, func(f Filter) bool { return f.Field == "input" })
	if inInput {
		return fault.Errorf(fault.EINVALID, "Action executions cannot be filtered or sorted on input: it may hold secrets (std.ssh's password, private_key), which are shown masked.")
	}
	return nil
}
