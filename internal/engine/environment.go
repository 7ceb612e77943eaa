package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/sirocco-project/sirocco/internal/expr"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

// EnvironmentInput is what a create or an update of an environment says.
type EnvironmentInput struct {
	Name string
	// Description nil leaves it unset (create) or unchanged (update).
	Description *string
	// Variables nil makes it {} (create) or leaves it unchanged (update).
	Variables map[string]any
	// Scope "" makes it private (create) or leaves it unchanged (update).
	Scope string
}

func (in *EnvironmentInput) check() error {
	if in.Name == "" {
		return fault.Errorf(fault.EINVALID, "Name of the environment is not provided.")
	}
	// The name is the last part of /v2/environments/<name>: a slash would
	// make it one that no request can name again.
	if strings.Contains(in.Name, "/") {
		return fault.Errorf(fault.EINVALID, "Invalid input for field/attribute name. Value: '%s'. A name must not contain '/'.", in.Name)
	}
	if err := checkTexts("name", in.Name, "scope", in.Scope); err != nil {
		return err
	}
	if in.Description != nil {
		if err := fault.CheckText("description", *in.Description); err != nil {
			return err
		}
	}
	if in.Scope != "" && in.Scope != ScopePrivate && in.Scope != ScopePublic {
		return fault.Errorf(fault.EINVALID, "Invalid input for field/attribute scope. Value: '%s'. Value should be one of: public, private", in.Scope)
	}
	return nil
}

func environmentNotFound(name string) error {
	return fault.Errorf(fault.ENOTFOUND, "Environment not found [name=%s]", name)
}

// CreateEnvironment stores a new environment; a name taken is a conflict
// (Mistral's 409).
func (e *Engine) CreateEnvironment(ctx context.Context, by *Decider, in EnvironmentInput) (*Environment, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	vars := in.Variables
	if vars == nil {
		vars = map[string]any{}
	}
	varsJSON, err := encode(vars)
	if err != nil {
		return nil, err
	}
	env := &Environment{Name: in.Name, VariablesJSON: varsJSON, Scope: in.Scope, ProjectID: DefaultProject}
	if in.Description != nil {
		env.Description = *in.Description
	}
	if env.Scope == "" {
		env.Scope = ScopePrivate
	}
	var out *Environment
	err = e.update(ctx, func(w *work) error {
		c := *env // a retried transaction starts from the original
		c.ID, c.CreatedAt = newID(), e.now()
		if _, err := w.tx.GetEnvironment(ctx, c.Name); err == nil {
			return duplicateEnvironment(c.Name)
		} else if fault.Code(err) != fault.ENOTFOUND {
			return err
		}
		if err := w.tx.CreateEnvironment(ctx, &c); err != nil {
			if fault.Code(err) == fault.ECONFLICT {
				return duplicateEnvironment(c.Name)
			}
			return err
		}
		out = &c
		return w.auditAdmin(by, "", "", fmt.Sprintf("create environment %s (scope %s), variables %s", c.Name, c.Scope, definitionDigest(c.VariablesJSON)))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func duplicateEnvironment(name string) error {
	return fault.Errorf(fault.ECONFLICT, "Duplicate entry for Environment ['name', 'project_id']: %s, None", name)
}

// UpdateEnvironment changes what in gives of a stored environment.
func (e *Engine) UpdateEnvironment(ctx context.Context, by *Decider, in EnvironmentInput) (*Environment, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	var varsJSON string
	if in.Variables != nil {
		var err error
		if varsJSON, err = encode(in.Variables); err != nil {
			return nil, err
		}
	}
	var out *Environment
	err := e.update(ctx, func(w *work) error {
		env, err := w.tx.GetEnvironment(ctx, in.Name)
		if fault.Code(err) == fault.ENOTFOUND {
			return environmentNotFound(in.Name)
		}
		if err != nil {
			return err
		}
		if in.Description != nil {
			env.Description = *in.Description
		}
		if in.Variables != nil {
			env.VariablesJSON = varsJSON
		}
		if in.Scope != "" {
			env.Scope = in.Scope
		}
		now := e.now()
		env.UpdatedAt = &now
		if err := w.tx.UpdateEnvironment(ctx, env); err != nil {
			return err
		}
		out = env
		return w.auditAdmin(by, "", "", fmt.Sprintf("update environment %s (scope %s), variables %s", env.Name, env.Scope, definitionDigest(env.VariablesJSON)))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteEnvironment deletes a stored environment. Executions started with
// it keep the variables they were given.
func (e *Engine) DeleteEnvironment(ctx context.Context, by *Decider, name string) error {
	return e.update(ctx, func(w *work) error {
		env, err := w.tx.GetEnvironment(ctx, name)
		if fault.Code(err) == fault.ENOTFOUND {
			return environmentNotFound(name)
		}
		if err != nil {
			return err
		}
		if err := w.tx.DeleteEnvironment(ctx, env.ID); err != nil {
			return err
		}
		return w.auditAdmin(by, "", "", fmt.Sprintf("delete environment %s (id %s)", env.Name, env.ID))
	})
}

// GetEnvironment reads a stored environment by name.
func (e *Engine) GetEnvironment(ctx context.Context, name string) (*Environment, error) {
	env, err := e.store.GetEnvironment(ctx, name)
	if fault.Code(err) == fault.ENOTFOUND {
		return nil, environmentNotFound(name)
	}
	return env, err
}

// ListEnvironments lists stored environments.
func (e *Engine) ListEnvironments(ctx context.Context, q ListQuery) ([]*Environment, error) {
	return e.store.ListEnvironments(ctx, q)
}

// resolveEnv makes params.env the variables an execution sees through
// env(), as Mistral's start does: a name is the stored environment's
// variables (unknown: EINVALID, Mistral's 400), an object is itself, an
// empty value is {}; then the expressions in them are evaluated, against
// the variables as given (env() and `_`'s __env), unless
// params.evaluate_env is false. Every start of an execution calls it:
// the API's, the dashboard's, a cron trigger's. A sub-workflow's params
// carry an empty env (env() there reads its root's).
func resolveEnv(ctx context.Context, r EnvironmentReader, params map[string]any) error {
	env := params["env"]
	if m, ok := env.(map[string]any); ok && len(m) == 0 {
		return nil // the usual start: nothing to look up or evaluate
	}
	if o, ok := env.(*jsonvalue.Object); ok && o.Len() == 0 {
		return nil
	}
	if !expr.Truthy(env) { // Python's `if not env`: null, "", 0, false, []
		params["env"] = map[string]any{}
		return nil
	}
	var vars any
	switch x := env.(type) {
	case map[string]any:
		vars = x
	case *jsonvalue.Object:
		vars = x
	case string:
		stored, err := r.GetEnvironment(ctx, x)
		if fault.Code(err) == fault.ENOTFOUND {
			return fault.Errorf(fault.EINVALID, "Environment is not found: %s", x)
		}
		if err != nil {
			return fmt.Errorf("read environment %q: %w", x, err)
		}
		vars = decodeObject(stored.VariablesJSON)
	default:
		return fault.Errorf(fault.EINVALID, "Unexpected value type for environment [env=%s, type=<class '%s'>]", expr.Str(env), pyType(env))
	}
	if ev, ok := params["evaluate_env"]; ok && !expr.Truthy(ev) {
		params["env"] = vars
		return nil
	}
	out, err := expr.Eval(vars, &expr.Context{
		Data:  map[string]any{"__env": vars},
		Funcs: expr.FuncMap{"env": func(...any) (any, error) { return vars, nil }},
	})
	if err != nil {
		return fault.Errorf(fault.EINVALID, "%s", err.Error())
	}
	params["env"] = out
	return nil
}

// pyType names a JSON value's Python type, for Mistral's messages.
func pyType(v any) string {
	switch v.(type) {
	case bool:
		return "bool"
	case string:
		return "str"
	case []any:
		return "list"
	case map[string]any, *jsonvalue.Object:
		return "dict"
	case int64:
		return "int"
	case float64:
		return "float"
	}
	return fmt.Sprintf("%T", v)
}
