package sqlite

import (
	"context"
	"database/sql"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

var environments = &resource{
	table:   "environments",
	columns: "id, name, description, variables, scope, project_id, created_at, updated_at, version",
	fields: map[string]fieldKind{
		"id": kindText, "name": kindText, "description": kindText, "variables": kindText, "scope": kindText,
		"project_id": kindText, "created_at": kindTime, "updated_at": kindTime,
	},
}

func scanEnvironment(s scanner) (*engine.Environment, error) {
	var env engine.Environment
	var created string
	var updated sql.NullString
	if err := s.Scan(&env.ID, &env.Name, &env.Description, &env.VariablesJSON, &env.Scope, &env.ProjectID, &created, &updated, &env.Version); err != nil {
		return nil, err
	}
	env.CreatedAt, env.UpdatedAt = parseTime(created), parseTimePtr(updated)
	return &env, nil
}

func (r reader) GetEnvironment(ctx context.Context, name string) (*engine.Environment, error) {
	env, err := scanEnvironment(r.db.QueryRowContext(ctx, "SELECT "+environments.columns+" FROM environments WHERE name = ?", name))
	if err != nil {
		return nil, dbErr(err, "get environment")
	}
	return env, nil
}

func (r reader) ListEnvironments(ctx context.Context, q engine.ListQuery) ([]*engine.Environment, error) {
	return list(ctx, r.db, environments, q, "", nil, scanEnvironment)
}

func (t *tx) CreateEnvironment(ctx context.Context, env *engine.Environment) error {
	_, err := t.db.ExecContext(ctx, `INSERT INTO environments (`+environments.columns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)`,
		env.ID, env.Name, env.Description, env.VariablesJSON, env.Scope, env.ProjectID, fmtTime(env.CreatedAt), fmtTimePtr(env.UpdatedAt))
	if err != nil {
		return dbErr(err, "create environment")
	}
	env.Version = 0
	return nil
}

func (t *tx) UpdateEnvironment(ctx context.Context, env *engine.Environment) error {
	res, err := t.db.ExecContext(ctx, `UPDATE environments SET description = ?, variables = ?, scope = ?, updated_at = ?,
		version = version + 1 WHERE id = ? AND version = ?`,
		env.Description, env.VariablesJSON, env.Scope, fmtTimePtr(env.UpdatedAt), env.ID, env.Version)
	return bumped(&env.Version, res, err, "update environment")
}

func (t *tx) DeleteEnvironment(ctx context.Context, id string) error {
	res, err := t.db.ExecContext(ctx, `DELETE FROM environments WHERE id = ?`, id)
	if err := guarded(res, err, "delete environment"); err == fault.ErrConflict {
		return fault.ErrNotFound
	} else {
		return err
	}
}
