package engine

import (
	"context"
	"fmt"
	"sync"

	"github.com/sirocco-project/sirocco/internal/dsl"
	"github.com/sirocco-project/sirocco/internal/expr"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// Ad-hoc actions: a stored definition names a base action (built-in or
// ad-hoc), the base's input as expressions over its own input, and an
// optional transformation of the base's result. At run time one becomes an
// actionDef like the built-ins, so tasks, jobs and callbacks treat both alike.

// maxAdhocDepth bounds chains of ad-hoc actions built on one another.
const maxAdhocDepth = 10

// CreateActions stores the ad-hoc actions of a YAML document. A name that
// is already taken (by a built-in or a stored action) is a conflict.
func (e *Engine) CreateActions(ctx context.Context, by *Decider, definition, namespace, scope string) ([]*ActionDefinition, error) {
	return e.saveActions(ctx, by, definition, namespace, scope, false)
}

// UpdateActions replaces the ad-hoc actions a document names; each must exist.
func (e *Engine) UpdateActions(ctx context.Context, by *Decider, definition, namespace, scope string) ([]*ActionDefinition, error) {
	return e.saveActions(ctx, by, definition, namespace, scope, true)
}

// ValidateActions checks a document of ad-hoc actions without storing it
// (action-validate).
func (e *Engine) ValidateActions(definition string) error {
	specs, err := dsl.ParseActionsChecked([]byte(definition), checkDefinitionInput)
	if err != nil {
		return invalidDSL(err)
	}
	for _, spec := range specs {
		if err := checkDefined(spec.Name, spec.InputString(), spec.Description, spec.Tags); err != nil {
			return err
		}
	}
	return nil
}

// UpdateActionByID replaces the definition of the stored ad-hoc action
// idOrName names (action-update --id): the document defines exactly that
// one action. Mistral would also rename it; Sirocco refuses a different
// name rather than change an action other definitions refer to by name.
func (e *Engine) UpdateActionByID(ctx context.Context, by *Decider, idOrName, definition, namespace, scope string) ([]*ActionDefinition, error) {
	if scope == "" {
		scope = ScopePrivate
	}
	if scope != ScopePrivate && scope != ScopePublic {
		return nil, fault.Errorf(fault.EINVALID, "Scope must be one of the following: private, public; actual: %s", scope)
	}
	if err := checkTexts("definition", definition, "namespace", namespace, "identifier", idOrName); err != nil {
		return nil, err
	}
	specs, err := dsl.ParseActionsChecked([]byte(definition), checkDefinitionInput)
	if err != nil {
		return nil, invalidDSL(err)
	}
	if len(specs) != 1 {
		return nil, fault.Errorf(fault.EINVALID, "More than one actions are not supported for update with identifier. [identifier: %s]", idOrName)
	}
	var out []*ActionDefinition
	err = e.update(ctx, func(w *work) error {
		old, err := w.tx.GetActionDefinition(ctx, idOrName, namespace)
		if fault.Code(err) == fault.ENOTFOUND {
			return fault.Errorf(fault.ENOTFOUND, "Action not found [name=%s, namespace=%s]", idOrName, namespace)
		}
		if err != nil {
			return err
		}
		if old.Name != specs[0].Name {
			return fault.Errorf(fault.EINVALID, "The definition names action %s, but %s is action %s: an update by identifier keeps the name (create %s, then delete %s, to rename it).",
				specs[0].Name, idOrName, old.Name, specs[0].Name, old.Name)
		}
		if out, err = w.saveActions(specs, old.Namespace, scope, true); err != nil {
			return err
		}
		return w.auditDefinition(by, "actions", []string{old.Name}, old.Namespace, scope, true, definition)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (e *Engine) saveActions(ctx context.Context, by *Decider, definition, namespace, scope string, replace bool) ([]*ActionDefinition, error) {
	if scope == "" {
		scope = ScopePrivate
	}
	if scope != ScopePrivate && scope != ScopePublic {
		return nil, fault.Errorf(fault.EINVALID, "Scope must be one of the following: private, public; actual: %s", scope)
	}
	if err := checkTexts("definition", definition, "namespace", namespace); err != nil {
		return nil, err
	}
	specs, err := dsl.ParseActionsChecked([]byte(definition), checkDefinitionInput)
	if err != nil {
		return nil, invalidDSL(err)
	}
	var out []*ActionDefinition
	err = e.update(ctx, func(w *work) error {
		var err error
		if out, err = w.saveActions(specs, namespace, scope, replace); err != nil {
			return err
		}
		names := make([]string, len(out))
		for i, d := range out {
			names[i] = d.Name
		}
		return w.auditDefinition(by, "actions", names, namespace, scope, replace, definition)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// saveActions stores parsed ad-hoc actions: new ones (replace false; a name
// taken is a conflict) or new definitions of existing ones.
func (w *work) saveActions(specs []*dsl.Action, namespace, scope string, replace bool) ([]*ActionDefinition, error) {
	ctx := w.ctx
	var out []*ActionDefinition
	now := w.e.now()
	for _, spec := range specs {
		if _, err := lookupAction(spec.Name); err == nil {
			return nil, fault.Errorf(fault.ECONFLICT, "Attempt to modify a system action: %s", spec.Name)
		}
		rec := &ActionDefinition{Name: spec.Name, Namespace: namespace, Definition: spec.Source, Description: spec.Description,
			Input: spec.InputString(), Tags: spec.Tags, Scope: scope, ProjectID: DefaultProject}
		if rec.Tags == nil {
			rec.Tags = []string{}
		}
		if err := checkDefined(rec.Name, rec.Input, rec.Description, rec.Tags); err != nil {
			return nil, err
		}
		old, err := w.tx.GetActionDefinition(ctx, spec.Name, namespace)
		switch {
		case err == nil && !replace:
			return nil, fault.Errorf(fault.ECONFLICT, "Duplicate entry for Action ['name', 'namespace', 'project_id']: %s, %s, None", spec.Name, namespace)
		case err == nil:
			rec.ID, rec.CreatedAt, rec.UpdatedAt, rec.Version = old.ID, old.CreatedAt, &now, old.Version
			if err := w.tx.UpdateActionDefinition(ctx, rec); err != nil {
				return nil, fmt.Errorf("update action %q: %w", spec.Name, err)
			}
		case fault.Code(err) != fault.ENOTFOUND:
			return nil, err
		case replace:
			return nil, fault.Errorf(fault.ENOTFOUND, "Action not found [name=%s, namespace=%s]", spec.Name, namespace)
		default:
			rec.ID, rec.CreatedAt = newID(), now
			if err := w.tx.CreateActionDefinition(ctx, rec); err != nil {
				return nil, fmt.Errorf("create action %q: %w", spec.Name, err)
			}
		}
		out = append(out, rec)
	}
	return out, nil
}

// DeleteAction deletes a stored ad-hoc action, as by in the audit trail;
// built-ins cannot be.
func (e *Engine) DeleteAction(ctx context.Context, by *Decider, idOrName, namespace string) error {
	if _, err := lookupAction(idOrName); err == nil {
		return fault.Errorf(fault.EINVALID, "Attempt to delete a system action: %s", idOrName)
	}
	return e.update(ctx, func(w *work) error {
		d, err := w.tx.GetActionDefinition(ctx, idOrName, namespace)
		if fault.Code(err) == fault.ENOTFOUND {
			return fault.Errorf(fault.ENOTFOUND, "Action not found [name=%s, namespace=%s]", idOrName, namespace)
		}
		if err != nil {
			return err
		}
		if err := w.tx.DeleteActionDefinition(ctx, d.ID); err != nil {
			return err
		}
		return w.auditAdmin(by, "", "", fmt.Sprintf("delete action %s (id %s, namespace %q)", d.Name, d.ID, d.Namespace))
	})
}

// GetActionDefinition reads a stored ad-hoc action.
func (e *Engine) GetActionDefinition(ctx context.Context, idOrName, namespace string) (*ActionDefinition, error) {
	d, err := e.store.GetActionDefinition(ctx, idOrName, namespace)
	if fault.Code(err) == fault.ENOTFOUND {
		return nil, fault.Errorf(fault.ENOTFOUND, "Action not found [name=%s, namespace=%s]", idOrName, namespace)
	}
	return d, err
}

// ListActionDefinitions lists the stored ad-hoc actions.
func (e *Engine) ListActionDefinitions(ctx context.Context) ([]*ActionDefinition, error) {
	return e.store.ListActionDefinitions(ctx)
}

// adhocSpecs caches parsed definitions by their text.
type adhocSpecs struct {
	mu sync.Mutex
	m  map[string]*dsl.Action
}

func (c *adhocSpecs) get(text string) (*dsl.Action, error) {
	c.mu.Lock()
	a, ok := c.m[text]
	c.mu.Unlock()
	if ok {
		return a, nil
	}
	specs, err := dsl.ParseActions([]byte(text))
	if err != nil {
		return nil, err
	}
	if len(specs) != 1 {
		return nil, fmt.Errorf("stored action definition holds %d actions", len(specs))
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) > 256 {
		c.m = map[string]*dsl.Action{}
	}
	c.m[text] = specs[0]
	c.mu.Unlock()
	return specs[0], nil
}

// resolveAction finds an action by name: a built-in, or a stored ad-hoc
// action (in namespace, else the default one) made into an actionDef.
// owner is who names it (a workflow or an ad-hoc action): inside a workbook
// a member names another by its short name, so "<workbook>.<name>" is
// tried when name alone is unknown.
func (e *Engine) resolveAction(ctx context.Context, r Reader, name, namespace, owner string) (*actionDef, error) {
	return e.resolveDepth(ctx, r, name, namespace, owner, 0)
}

func (e *Engine) resolveDepth(ctx context.Context, r Reader, name, namespace, owner string, depth int) (*actionDef, error) {
	builtin, notFound := lookupAction(name)
	if notFound == nil {
		return builtin, nil
	}
	if depth > maxAdhocDepth {
		return nil, fault.Errorf(fault.EINVALID, "Ad-hoc actions built on one another more than %d deep: %s", maxAdhocDepth, name)
	}
	d, err := r.GetActionDefinition(ctx, name, namespace)
	if prefix := dsl.WorkbookPrefix(owner); fault.Code(err) == fault.ENOTFOUND && prefix != "" {
		d, err = r.GetActionDefinition(ctx, prefix+"."+name, namespace)
	}
	if fault.Code(err) == fault.ENOTFOUND && namespace != "" {
		d, err = r.GetActionDefinition(ctx, name, "")
	}
	if fault.Code(err) == fault.ENOTFOUND {
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	spec, err := e.adhoc.get(d.Definition)
	if err != nil {
		return nil, fmt.Errorf("action %q: %w", name, err)
	}
	base, err := e.resolveDepth(ctx, r, spec.Base, namespace, spec.Name, depth+1)
	if err != nil {
		return nil, err
	}
	def := &actionDef{name: spec.Name, class: "AdHocAction", async: base.async, base: base, spec: spec}
	for _, p := range spec.Input {
		def.params = append(def.params, param{name: p.Name, def: p.Default, required: !p.HasDefault})
	}
	if base.run != nil {
		def.run = func(ctx context.Context, e *Engine, a *ActionExecution, in map[string]any) (any, error) {
			baseIn, err := def.baseInput(in)
			if err != nil {
				return nil, err
			}
			res, err := base.run(ctx, e, a, baseIn)
			if err != nil || def.async {
				return res, err // an async base's result arrives later
			}
			return def.transformOwn(res)
		}
	}
	return def, nil
}

// baseInput evaluates the base's input over this action's input, then
// checks it against the base's parameters.
func (d *actionDef) baseInput(in map[string]any) (map[string]any, error) {
	v, err := expr.Eval(d.spec.BaseInput, &expr.Context{Data: in})
	if err != nil {
		return nil, fault.Errorf(fault.EINVALID, "Failed to evaluate the base input of action %s: %v", d.name, err)
	}
	return d.base.check(asObject(v))
}

// transformOwn applies this action's output transformation to its base's
// result.
func (d *actionDef) transformOwn(res any) (any, error) {
	if d.spec == nil || d.spec.Output == nil {
		return res, nil
	}
	v, err := expr.Eval(d.spec.Output, &expr.Context{Data: res})
	if err != nil {
		return nil, &actionError{value: fmt.Sprintf("Failed to transform the result of action %s: %v", d.name, err)}
	}
	return v, nil
}

// transform applies the output transformations of a chain of ad-hoc
// actions to the innermost base's result: for results delivered later to an
// asynchronous one. Nil for built-ins.
func (d *actionDef) transform(res any) (any, error) {
	if d.spec == nil {
		return res, nil
	}
	res, err := d.base.transform(res)
	if err != nil {
		return nil, err
	}
	return d.transformOwn(res)
}

// waitsFor says whom an asynchronous action waits for, which files it
// under the inbox's people or services: the task's 'waits-for' (taskSays,
// "" when none), else that of the nearest ad-hoc action that says, else a
// service for std.mistral_http (its callback) and a person for the rest
// (std.async_noop, std.approval). "" for a synchronous action.
func (d *actionDef) waitsFor(taskSays string) string {
	if !d.async {
		return ""
	}
	if taskSays != "" {
		return taskSays
	}
	for a := d; a != nil; a = a.base {
		if a.spec != nil && a.spec.WaitsFor != "" {
			return a.spec.WaitsFor
		}
	}
	if d.builtin().name == "std.mistral_http" {
		return dsl.WaitsForService
	}
	return dsl.WaitsForPerson
}

// builtin is the built-in at the bottom of a chain of ad-hoc actions.
func (d *actionDef) builtin() *actionDef {
	for d.base != nil {
		d = d.base
	}
	return d
}

// builtinInput is the input the built-in at the bottom of the chain gets
// from in (for the record of an HTTP request).
func (d *actionDef) builtinInput(in map[string]any) map[string]any {
	for ; d.spec != nil; d = d.base {
		next, err := d.baseInput(in)
		if err != nil {
			return in
		}
		in = next
	}
	return in
}

// AdhocSpec is what a stored ad-hoc action's definition says, for people
// to read: the action it runs, that action's input and the transformation
// of its result, the last two as JSON text.
type AdhocSpec struct {
	Base          string
	BaseInputJSON string // "" when the base gets no input
	OutputJSON    string // "" when the base's result is kept as it is
}

// DescribeAction reads the base, base input and output transformation of
// a stored ad-hoc action (the dashboard shows them; the API has only the
// definition's text).
func (e *Engine) DescribeAction(d *ActionDefinition) (AdhocSpec, error) {
	spec, err := e.adhoc.get(d.Definition)
	if err != nil {
		return AdhocSpec{}, fmt.Errorf("action %q: %w", d.Name, err)
	}
	out := AdhocSpec{Base: spec.Base}
	if spec.BaseInput.Len() > 0 {
		out.BaseInputJSON = encodeOrNull(spec.BaseInput)
	}
	if spec.Output != nil {
		out.OutputJSON = encodeOrNull(spec.Output)
	}
	return out, nil
}
