package engine

import (
	"context"
	"time"
)

// Environment is a named set of variables (Mistral's environments): an
// execution started with params {"env": "<name>"} sees them through env().
type Environment struct {
	ID          string
	Name        string
	Description string // "" shows as null, as Mistral's unset description
	// VariablesJSON is the variables object as JSON text.
	VariablesJSON string
	Scope         string
	ProjectID     string
	CreatedAt     time.Time
	UpdatedAt     *time.Time
	// Version counts the updates of the stored row, as Workbook.Version.
	Version int64
}

// EnvironmentReader reads stored environments. GetEnvironment returns an
// error with code fault.ENOTFOUND for an unknown name.
type EnvironmentReader interface {
	GetEnvironment(ctx context.Context, name string) (*Environment, error)
	// ListEnvironments lists environments by q (fields: id, name,
	// description, variables, scope, project_id, created_at, updated_at).
	ListEnvironments(ctx context.Context, q ListQuery) ([]*Environment, error)
}

// EnvironmentTx writes environments.
type EnvironmentTx interface {
	// CreateEnvironment stores a new environment at version 0; a name
	// taken is fault.ECONFLICT.
	CreateEnvironment(ctx context.Context, env *Environment) error
	// UpdateEnvironment writes description, variables, scope and
	// updated_at if the stored version is env.Version, and increments it;
	// else fault.ErrConflict.
	UpdateEnvironment(ctx context.Context, env *Environment) error
	// DeleteEnvironment deletes one by id; unknown is fault.ErrNotFound.
	DeleteEnvironment(ctx context.Context, id string) error
}
