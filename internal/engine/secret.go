package engine

import (
	"slices"

	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

// Masked is what a secret input value (a parameter marked secret: a
// password, a private key) is shown as wherever an action's input is
// shown (the API, the CLI, the dashboard), like the callback token in the
// record of an HTTP request. The stored input keeps the value: the
// action's job reads it to run.
const Masked = "***"

// maskInput returns inputJSON, an action's input as stored, with the
// values of its secret parameters replaced by Masked. An input without
// any is returned as it is, undecoded.
func maskInput(name, inputJSON string) string {
	d, ok := actions[name]
	if !ok || !slices.ContainsFunc(d.params, func(p param) bool { return p.secret }) {
		return inputJSON
	}
	v, err := jsonvalue.Decode([]byte(inputJSON))
	in, ok := v.(map[string]any)
	if err != nil || !ok {
		return inputJSON
	}
	changed := false
	for _, p := range d.params {
		if x, ok := in[p.name]; ok && p.secret && x != nil && x != "" {
			in[p.name], changed = Masked, true
		}
	}
	if !changed {
		return inputJSON
	}
	return encodeOrNull(in)
}

// masked returns a copy of a with its input masked (maskInput); a itself
// when nothing is secret.
func masked(a *ActionExecution) *ActionExecution {
	if a == nil {
		return nil
	}
	in := maskInput(a.Name, a.InputJSON)
	if in == a.InputJSON {
		return a
	}
	c := *a
	c.InputJSON = in
	return &c
}
