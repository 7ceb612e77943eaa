package engine

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/sirocco-project/sirocco/internal/dsl"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

// Workflow scopes.
const (
	ScopePrivate = "private"
	ScopePublic  = "public"
)

// parseDefinition parses a workflow document and maps its errors to fault.EINVALID.
func parseDefinition(text string) (*dsl.Document, error) {
	doc, err := dsl.ParseChecked([]byte(text), checkDefinitionInput)
	if err != nil {
		return nil, invalidDSL(err)
	}
	return doc, nil
}

// invalidDSL makes a parse error of the workflow language an fault.EINVALID
// that keeps its position.
func invalidDSL(err error) error {
	var de *dsl.Error
	if errors.As(err, &de) {
		return fault.Wrap(de, fault.EINVALID, de.Error())
	}
	return &fault.Error{Code: fault.EINVALID, Message: "Invalid DSL: " + err.Error()}
}

func newWorkflowRecord(spec *dsl.Workflow, namespace, scope string) *Workflow {
	var outputs []any
	if m, ok := jsonvalue.AsObject(spec.Output); ok {
		for _, k := range m.Keys() { // in the definition's order, as Mistral
			outputs = append(outputs, k)
		}
	}
	inputs := spec.InputRaw
	if inputs == nil {
		inputs = []any{}
	}
	if outputs == nil {
		outputs = []any{}
	}
	tags := spec.Tags
	if tags == nil {
		tags = []string{}
	}
	return &Workflow{
		Name:          spec.Name,
		Namespace:     namespace,
		Definition:    spec.Source,
		Input:         spec.InputString(),
		InterfaceJSON: encodeOrNull(map[string]any{"input": inputs, "output": outputs}),
		Tags:          tags,
		Scope:         scope,
		ProjectID:     DefaultProject,
	}
}

// CreateWorkflows registers every workflow of a YAML document, as by (nil:
// the server itself) in the audit trail. A name that already exists in
// the namespace is a conflict; nothing is created then.
func (e *Engine) CreateWorkflows(ctx context.Context, by *Decider, definition, namespace, scope string) ([]*Workflow, error) {
	return e.saveWorkflows(ctx, by, definition, namespace, scope, false, "")
}

// UpdateWorkflows replaces the definitions of the workflows a document
// names; each must exist.
func (e *Engine) UpdateWorkflows(ctx context.Context, by *Decider, definition, namespace, scope string) ([]*Workflow, error) {
	return e.saveWorkflows(ctx, by, definition, namespace, scope, true, "")
}

// UpdateWorkflowByID replaces the definition of the workflow id names (an
// id or a name, as GetWorkflow takes) with a document holding exactly one
// workflow, which may rename it, as Mistral's `workflow-update --id` does.
func (e *Engine) UpdateWorkflowByID(ctx context.Context, by *Decider, id, definition, namespace, scope string) (*Workflow, error) {
	wfs, err := e.saveWorkflows(ctx, by, definition, namespace, scope, true, id)
	if err != nil {
		return nil, err
	}
	return wfs[0], nil
}

func (e *Engine) saveWorkflows(ctx context.Context, by *Decider, definition, namespace, scope string, replace bool, id string) ([]*Workflow, error) {
	if scope == "" {
		scope = ScopePrivate
	}
	if scope != ScopePrivate && scope != ScopePublic {
		return nil, fault.Errorf(fault.EINVALID, "Scope must be one of the following: private, public; actual: %s", scope)
	}
	if err := checkTexts("definition", definition, "namespace", namespace); err != nil {
		return nil, err
	}
	doc, err := parseDefinition(definition)
	if err != nil {
		return nil, err
	}
	if id != "" && len(doc.Workflows) != 1 {
		return nil, fault.Errorf(fault.EINVALID, "More than one workflows are not supported for update with identifier. [identifier: %s]", id)
	}
	var out []*Workflow
	defer e.wfs.clear()
	err = e.update(ctx, func(w *work) error {
		var err error
		if id != "" {
			out, err = w.saveWorkflowByID(doc.Workflows[0], id, namespace, scope)
		} else {
			out, err = w.saveWorkflows(doc.Workflows, namespace, scope, replace)
		}
		if err != nil {
			return err
		}
		names := make([]string, len(out))
		for i, wf := range out {
			names[i] = wf.Name
		}
		return w.auditDefinition(by, "workflows", names, namespace, scope, replace, definition)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// saveWorkflows stores parsed workflows: new ones (replace false; a name
// taken is a conflict) or new definitions of existing ones.
func (w *work) saveWorkflows(specs []*dsl.Workflow, namespace, scope string, replace bool) ([]*Workflow, error) {
	ctx := w.ctx
	var out []*Workflow
	now := w.e.now()
	w.defs = true
	for _, spec := range specs {
		rec := newWorkflowRecord(spec, namespace, scope)
		if err := checkDefined(rec.Name, rec.Input, "", rec.Tags); err != nil {
			return nil, err
		}
		for _, name := range spec.TaskOrder {
			if err := checkDefined(name, "", "", spec.Tasks[name].Tags); err != nil {
				return nil, fault.Errorf(fault.EINVALID, "task of workflow %s: %s", rec.Name, fault.Message(err))
			}
		}
		old, err := w.tx.GetWorkflow(ctx, spec.Name, namespace)
		switch {
		case err == nil && !replace:
			return nil, fault.Errorf(fault.ECONFLICT, "Duplicate entry for WorkflowDefinition ['name', 'namespace', 'project_id']: %s, %s, None", spec.Name, namespace)
		case err == nil:
			rec.ID, rec.CreatedAt, rec.UpdatedAt, rec.Version = old.ID, old.CreatedAt, &now, old.Version
			if err := w.tx.UpdateWorkflow(ctx, rec); err != nil {
				return nil, fmt.Errorf("update workflow %q: %w", spec.Name, err)
			}
		case fault.Code(err) != fault.ENOTFOUND:
			return nil, err
		case replace:
			return nil, fault.Errorf(fault.ENOTFOUND, "Workflow not found [workflow_identifier=%s, namespace=%s]", spec.Name, namespace)
		default:
			rec.ID, rec.CreatedAt = newID(), now
			if err := w.tx.CreateWorkflow(ctx, rec); err != nil {
				return nil, fmt.Errorf("create workflow %q: %w", spec.Name, err)
			}
		}
		out = append(out, rec)
	}
	return out, nil
}

// saveWorkflowByID stores spec as the new definition of the workflow id
// names, under spec's name.
func (w *work) saveWorkflowByID(spec *dsl.Workflow, id, namespace, scope string) ([]*Workflow, error) {
	rec := newWorkflowRecord(spec, namespace, scope)
	if err := checkDefined(rec.Name, rec.Input, "", rec.Tags); err != nil {
		return nil, err
	}
	for _, name := range spec.TaskOrder {
		if err := checkDefined(name, "", "", spec.Tasks[name].Tags); err != nil {
			return nil, fault.Errorf(fault.EINVALID, "task of workflow %s: %s", rec.Name, fault.Message(err))
		}
	}
	old, err := w.tx.GetWorkflow(w.ctx, id, namespace)
	if fault.Code(err) == fault.ENOTFOUND {
		return nil, fault.Errorf(fault.ENOTFOUND, "Workflow not found [workflow_identifier=%s, namespace=%s]", id, namespace)
	}
	if err != nil {
		return nil, err
	}
	if old.Name != rec.Name {
		// The new name must be free in the namespace, as on create.
		if _, err := w.tx.GetWorkflow(w.ctx, rec.Name, namespace); err == nil {
			return nil, fault.Errorf(fault.ECONFLICT, "Duplicate entry for WorkflowDefinition ['name', 'namespace', 'project_id']: %s, %s, None", rec.Name, namespace)
		} else if fault.Code(err) != fault.ENOTFOUND {
			return nil, err
		}
	}
	now := w.e.now()
	w.defs = true
	rec.ID, rec.CreatedAt, rec.UpdatedAt, rec.Version = old.ID, old.CreatedAt, &now, old.Version
	if err := w.tx.UpdateWorkflow(w.ctx, rec); err != nil {
		return nil, fmt.Errorf("update workflow %q: %w", id, err)
	}
	return []*Workflow{rec}, nil
}

// ValidateWorkflows parses a document without storing it.
func (e *Engine) ValidateWorkflows(definition string) error {
	_, err := parseDefinition(definition)
	return err
}

// GetWorkflow returns a workflow by id or by name within namespace.
func (e *Engine) GetWorkflow(ctx context.Context, idOrName, namespace string) (*Workflow, error) {
	key := workflowKey(idOrName, namespace)
	wf, gen := e.wfs.lookup(key)
	if wf != nil {
		return wf, nil
	}
	wf, err := e.store.GetWorkflow(ctx, idOrName, namespace)
	if fault.Code(err) == fault.ENOTFOUND {
		return nil, fault.Errorf(fault.ENOTFOUND, "Workflow not found [workflow_identifier=%s, namespace=%s]", idOrName, namespace)
	}
	if err != nil {
		return nil, err
	}
	e.wfs.store(key, wf, gen)
	return wf, nil
}

// ListWorkflows lists workflows.
func (e *Engine) ListWorkflows(ctx context.Context, q ListQuery) ([]*Workflow, error) {
	return e.store.ListWorkflows(ctx, q)
}

// DeleteWorkflow deletes a workflow definition, as by in the audit trail.
// Executions keep running: each holds a copy of the definition it
// started with.
func (e *Engine) DeleteWorkflow(ctx context.Context, by *Decider, idOrName, namespace string) error {
	defer e.wfs.clear()
	return e.update(ctx, func(w *work) error {
		wf, err := w.tx.GetWorkflow(ctx, idOrName, namespace)
		if fault.Code(err) == fault.ENOTFOUND {
			return fault.Errorf(fault.ENOTFOUND, "Workflow not found [workflow_identifier=%s, namespace=%s]", idOrName, namespace)
		}
		if err != nil {
			return err
		}
		if err := w.refuseTriggered(wf, idOrName, namespace); err != nil {
			return err
		}
		if err := w.tx.DeleteWorkflow(ctx, wf.ID); err != nil {
			return err
		}
		w.defs = true
		return w.auditAdmin(by, "", "", fmt.Sprintf("delete workflow %s (id %s, namespace %q)", wf.Name, wf.ID, wf.Namespace))
	})
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$`)

// LooksLikeID reports whether s has the shape of a UUID, which is how
// Mistral tells ids from names.
func LooksLikeID(s string) bool { return uuidRE.MatchString(s) }
