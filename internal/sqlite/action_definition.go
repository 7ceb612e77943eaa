package sqlite

import (
	"context"
	"database/sql"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

const actionDefinitionColumns = "id, name, namespace, definition, description, input, tags, scope, project_id, created_at, updated_at, version"

func scanActionDefinition(s scanner) (*engine.ActionDefinition, error) {
	var d engine.ActionDefinition
	var tags, created string
	var updated sql.NullString
	if err := s.Scan(&d.ID, &d.Name, &d.Namespace, &d.Definition, &d.Description, &d.Input, &tags, &d.Scope, &d.ProjectID, &created, &updated, &d.Version); err != nil {
		return nil, err
	}
	d.Tags, d.CreatedAt, d.UpdatedAt = parseTags(tags), parseTime(created), parseTimePtr(updated)
	return &d, nil
}

func (r reader) GetActionDefinition(ctx context.Context, idOrName, namespace string) (*engine.ActionDefinition, error) {
	d, err := scanActionDefinition(r.db.QueryRowContext(ctx, "SELECT "+actionDefinitionColumns+
		" FROM action_definitions WHERE id = ? OR (name = ? AND namespace = ?) ORDER BY id = ? DESC LIMIT 1", idOrName, idOrName, namespace, idOrName))
	if err != nil {
		return nil, dbErr(err, "get action definition")
	}
	return d, nil
}

func (r reader) ListActionDefinitions(ctx context.Context) ([]*engine.ActionDefinition, error) {
	rows, err := r.db.QueryContext(ctx, "SELECT "+actionDefinitionColumns+" FROM action_definitions ORDER BY name, namespace")
	if err != nil {
		return nil, dbErr(err, "list action definitions")
	}
	defer rows.Close()
	var out []*engine.ActionDefinition
	for rows.Next() {
		d, err := scanActionDefinition(rows)
		if err != nil {
			return nil, dbErr(err, "list action definitions")
		}
		out = append(out, d)
	}
	return out, dbErr(rows.Err(), "list action definitions")
}

func (t *tx) CreateActionDefinition(ctx context.Context, d *engine.ActionDefinition) error {
	_, err := t.db.ExecContext(ctx, `INSERT INTO action_definitions (`+actionDefinitionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`,
		d.ID, d.Name, d.Namespace, d.Definition, d.Description, d.Input, tagsJSON(d.Tags), d.Scope, d.ProjectID, fmtTime(d.CreatedAt), fmtTimePtr(d.UpdatedAt))
	if err != nil {
		return dbErr(err, "create action definition")
	}
	d.Version = 0
	return nil
}

func (t *tx) UpdateActionDefinition(ctx context.Context, d *engine.ActionDefinition) error {
	res, err := t.db.ExecContext(ctx, `UPDATE action_definitions SET definition = ?, description = ?, input = ?, tags = ?, updated_at = ?,
		version = version + 1 WHERE id = ? AND version = ?`,
		d.Definition, d.Description, d.Input, tagsJSON(d.Tags), fmtTimePtr(d.UpdatedAt), d.ID, d.Version)
	return bumped(&d.Version, res, err, "update action definition")
}

func (t *tx) DeleteActionDefinition(ctx context.Context, id string) error {
	res, err := t.db.ExecContext(ctx, `DELETE FROM action_definitions WHERE id = ?`, id)
	if err := guarded(res, err, "delete action definition"); err == fault.ErrConflict {
		return fault.ErrNotFound
	} else {
		return err
	}
}
