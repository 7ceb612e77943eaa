package engine

import (
	"context"
	"fmt"
	"slices"

	"github.com/sirocco-project/sirocco/internal/dsl"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// Workbooks: a named document of workflows and ad-hoc actions. Its members
// are stored as ordinary workflows and actions named "<workbook>.<name>",
// written, replaced and deleted with the workbook in one transaction; inside
// the workbook they name one another by their short names.

func parseWorkbook(definition string) (*dsl.Workbook, error) {
	wb, err := dsl.ParseWorkbookChecked([]byte(definition), checkDefinitionInput)
	if err != nil {
		return nil, invalidDSL(err)
	}
	return wb, nil
}

// ValidateWorkbook parses a workbook without storing it.
func (e *Engine) ValidateWorkbook(definition string) error {
	_, err := parseWorkbook(definition)
	return err
}

// CreateWorkbook stores a workbook and its members; a name taken (by the
// workbook or by one of its members) is a conflict.
func (e *Engine) CreateWorkbook(ctx context.Context, by *Decider, definition, namespace, scope string) (*Workbook, error) {
	return e.saveWorkbook(ctx, by, definition, namespace, scope, false)
}

// UpdateWorkbook replaces a workbook and its members: members it no longer
// has are deleted.
func (e *Engine) UpdateWorkbook(ctx context.Context, by *Decider, definition, namespace, scope string) (*Workbook, error) {
	return e.saveWorkbook(ctx, by, definition, namespace, scope, true)
}

func (e *Engine) saveWorkbook(ctx context.Context, by *Decider, definition, namespace, scope string, replace bool) (*Workbook, error) {
	if scope == "" {
		scope = ScopePrivate
	}
	if scope != ScopePrivate && scope != ScopePublic {
		return nil, fault.Errorf(fault.EINVALID, "Scope must be one of the following: private, public; actual: %s", scope)
	}
	if err := checkTexts("definition", definition, "namespace", namespace); err != nil {
		return nil, err
	}
	spec, err := parseWorkbook(definition)
	if err != nil {
		return nil, err
	}
	var out *Workbook
	defer e.wfs.clear()
	err = e.update(ctx, func(w *work) error {
		now := e.now()
		rec := &Workbook{Name: spec.Name, Namespace: namespace, Definition: definition, Tags: spec.Tags, Scope: scope, ProjectID: DefaultProject}
		if rec.Tags == nil {
			rec.Tags = []string{}
		}
		if err := checkDefined(rec.Name, "", "", rec.Tags); err != nil {
			return err
		}
		old, err := w.tx.GetWorkbook(ctx, spec.Name, namespace)
		switch {
		case err == nil && !replace:
			return fault.Errorf(fault.ECONFLICT, "Duplicate entry for Workbook ['name', 'namespace', 'project_id']: %s, %s, None", spec.Name, namespace)
		case err == nil:
			if err := w.deleteWorkbookMembers(old); err != nil {
				return err
			}
			rec.ID, rec.CreatedAt, rec.UpdatedAt, rec.Version = old.ID, old.CreatedAt, &now, old.Version
			if err := w.tx.UpdateWorkbook(ctx, rec); err != nil {
				return err
			}
		case fault.Code(err) != fault.ENOTFOUND:
			return err
		case replace:
			return fault.Errorf(fault.ENOTFOUND, "Workbook not found [name=%s, namespace=%s]", spec.Name, namespace)
		default:
			rec.ID, rec.CreatedAt = newID(), now
			if err := w.tx.CreateWorkbook(ctx, rec); err != nil {
				return err
			}
		}
		if _, err := w.saveActions(spec.Actions, namespace, scope, false); err != nil {
			return err
		}
		if _, err := w.saveWorkflows(spec.Workflows, namespace, scope, false); err != nil {
			return err
		}
		out = rec
		return w.auditDefinition(by, "workbook", []string{rec.Name}, namespace, scope, replace, definition)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// deleteWorkbookMembers deletes the workflows and actions a stored
// workbook defines.
func (w *work) deleteWorkbookMembers(b *Workbook) error {
	w.defs = true
	spec, err := parseWorkbook(b.Definition)
	if err != nil {
		return err
	}
	for _, wf := range spec.Workflows {
		rec, err := w.tx.GetWorkflow(w.ctx, wf.Name, b.Namespace)
		if fault.Code(err) == fault.ENOTFOUND {
			continue
		}
		if err != nil {
			return err
		}
		if err := w.tx.DeleteWorkflow(w.ctx, rec.ID); err != nil {
			return err
		}
	}
	for _, a := range spec.Actions {
		rec, err := w.tx.GetActionDefinition(w.ctx, a.Name, b.Namespace)
		if fault.Code(err) == fault.ENOTFOUND {
			continue
		}
		if err != nil {
			return err
		}
		if err := w.tx.DeleteActionDefinition(w.ctx, rec.ID); err != nil {
			return err
		}
	}
	return nil
}

// DeleteWorkbook deletes a workbook and its members, as by in the audit
// trail.
func (e *Engine) DeleteWorkbook(ctx context.Context, by *Decider, name, namespace string) error {
	defer e.wfs.clear()
	return e.update(ctx, func(w *work) error {
		b, err := w.tx.GetWorkbook(ctx, name, namespace)
		if fault.Code(err) == fault.ENOTFOUND {
			return fault.Errorf(fault.ENOTFOUND, "Workbook not found [name=%s, namespace=%s]", name, namespace)
		}
		if err != nil {
			return err
		}
		if err := w.deleteWorkbookMembers(b); err != nil {
			return err
		}
		if err := w.tx.DeleteWorkbook(ctx, b.ID); err != nil {
			return err
		}
		return w.auditAdmin(by, "", "", fmt.Sprintf("delete workbook %s (id %s, namespace %q)", b.Name, b.ID, b.Namespace))
	})
}

// GetWorkbook reads a workbook.
func (e *Engine) GetWorkbook(ctx context.Context, name, namespace string) (*Workbook, error) {
	b, err := e.store.GetWorkbook(ctx, name, namespace)
	if fault.Code(err) == fault.ENOTFOUND {
		return nil, fault.Errorf(fault.ENOTFOUND, "Workbook not found [name=%s, namespace=%s]", name, namespace)
	}
	return b, err
}

// ListWorkbooks lists the workbooks.
func (e *Engine) ListWorkbooks(ctx context.Context) ([]*Workbook, error) {
	return e.store.ListWorkbooks(ctx)
}

// WorkbookMembers names what a workbook defines, each as it is stored
// ("<workbook>.<name>"), in the order of the workbook's text.
type WorkbookMembers struct {
	Workflows []string
	Actions   []string
}

// WorkbookMembers reads which workflows and ad-hoc actions a stored
// workbook defines. They live in the workbook's namespace.
func (e *Engine) WorkbookMembers(b *Workbook) (WorkbookMembers, error) {
	spec, err := parseWorkbook(b.Definition)
	if err != nil {
		return WorkbookMembers{}, fmt.Errorf("workbook %q: %w", b.Name, err)
	}
	var m WorkbookMembers
	for _, wf := range spec.Workflows {
		m.Workflows = append(m.Workflows, wf.Name)
	}
	for _, a := range spec.Actions {
		m.Actions = append(m.Actions, a.Name)
	}
	return m, nil
}

// WorkbookOfAction returns the workbook that defines the ad-hoc action
// stored as name in namespace: the one named by the part of name before
// its last dot, if it lists name among its actions. An action with a
// dotted name made on its own belongs to none (fault.ENOTFOUND).
func (e *Engine) WorkbookOfAction(ctx context.Context, name, namespace string) (*Workbook, error) {
	prefix := dsl.WorkbookPrefix(name)
	if prefix == "" {
		return nil, fault.Errorf(fault.ENOTFOUND, "Action %s belongs to no workbook", name)
	}
	b, err := e.GetWorkbook(ctx, prefix, namespace)
	if err != nil {
		return nil, err
	}
	m, err := e.WorkbookMembers(b)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(m.Actions, name) {
		return nil, fault.Errorf(fault.ENOTFOUND, "Action %s belongs to no workbook", name)
	}
	return b, nil
}
