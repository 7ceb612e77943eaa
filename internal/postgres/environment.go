package postgres

import (
	"context"

	"github.com/sirocco-project/sirocco/internal/engine"
)

var environments = &resource{
	table:   "environments",
	columns: "id, name, description, variables, scope, project_id, created_at, updated_at, version",
	fields: map[string]fieldKind{
		"id": kindText, "name": kindText, "description": kindText, "variables": kindText, "scope": kindText,
		"project_id": kindText, "created_at": kindTime, "updated_at": kindTime,
	},
}

func scanEnvironment(s pgxScanner) (*engine.Environment, error) {
	var env engine.Environment
	if err := s.Scan(&env.ID, &env.Name, &env.Description, &env.VariablesJSON, &env.Scope, &env.ProjectID, &env.CreatedAt, &env.UpdatedAt, &env.Version); err != nil {
		return nil, err
	}
	return &env, nil
}

func (r reader) GetEnvironment(ctx context.Context, name string) (*engine.Environment, error) {
	env, err := scanEnvironment(r.db.QueryRow(ctx, "SELECT "+environments.columns+" FROM environments WHERE name = $1", name))
	if err != nil {
		return nil, dbErr(err, "get environment")
	}
	return env, nil
}

func (r reader) ListEnvironments(ctx context.Context, q engine.ListQuery) ([]*engine.Environment, error) {
	return list(ctx, r.db, environments, q, nil, scanEnvironment)
}

func (t *tx) CreateEnvironment(ctx context.Context, env *engine.Environment) error {
	_, err := t.q.Exec(ctx, `INSERT INTO environments (`+environments.columns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0)`,
		env.ID, env.Name, env.Description, env.VariablesJSON, env.Scope, env.ProjectID, utc(env.CreatedAt), utcPtr(env.UpdatedAt))
	if err != nil {
		return dbErr(err, "create environment")
	}
	env.Version = 0
	return nil
}

func (t *tx) UpdateEnvironment(ctx context.Context, env *engine.Environment) error {
	tag, err := t.q.Exec(ctx, `UPDATE environments SET description = $1, variables = $2, scope = $3, updated_at = $4,
		version = version + 1 WHERE id = $5 AND version = $6`,
		env.Description, env.VariablesJSON, env.Scope, utcPtr(env.UpdatedAt), env.ID, env.Version)
	return bumped(&env.Version, tag, err, "update environment")
}

func (t *tx) DeleteEnvironment(ctx context.Context, id string) error {
	tag, err := t.q.Exec(ctx, `DELETE FROM environments WHERE id = $1`, id)
	return notFoundIfNone(guarded(tag, err, "delete environment"))
}
