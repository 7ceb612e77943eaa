package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/sirocco-project/sirocco/internal/engine"
)

const actionDefinitionColumns = "id, name, namespace, definition, description, input, tags, scope, project_id, created_at, updated_at, version"

func scanActionDefinition(s pgxScanner) (*engine.ActionDefinition, error) {
	var d engine.ActionDefinition
	var tags string
	if err := s.Scan(&d.ID, &d.Name, &d.Namespace, &d.Definition, &d.Description, &d.Input, &tags, &d.Scope, &d.ProjectID, &d.CreatedAt, &d.UpdatedAt, &d.Version); err != nil {
		return nil, err
	}
	d.Tags = parseTags(tags)
	return &d, nil
}

func (r reader) GetActionDefinition(ctx context.Context, idOrName, namespace string) (*engine.ActionDefinition, error) {
	d, err := scanActionDefinition(r.db.QueryRow(ctx, "SELECT "+actionDefinitionColumns+
		" FROM action_definitions WHERE id = $1 OR (name = $1 AND namespace = $2) ORDER BY id = $1 DESC LIMIT 1", idOrName, namespace))
	if err != nil {
		return nil, dbErr(err, "get action definition")
	}
	return d, nil
}

func (r reader) ListActionDefinitions(ctx context.Context) ([]*engine.ActionDefinition, error) {
	return collect(ctx, r.db, "list action definitions", scanActionDefinition,
		"SELECT "+actionDefinitionColumns+" FROM action_definitions ORDER BY name, namespace")
}

func (t *tx) CreateActionDefinition(ctx context.Context, d *engine.ActionDefinition) error {
	_, err := t.q.Exec(ctx, `INSERT INTO action_definitions (`+actionDefinitionColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0)`,
		d.ID, d.Name, d.Namespace, d.Definition, d.Description, d.Input, tagsJSON(d.Tags), d.Scope, d.ProjectID, utc(d.CreatedAt), utcPtr(d.UpdatedAt))
	if err != nil {
		return dbErr(err, "create action definition")
	}
	d.Version = 0
	return nil
}

func (t *tx) UpdateActionDefinition(ctx context.Context, d *engine.ActionDefinition) error {
	tag, err := t.q.Exec(ctx, `UPDATE action_definitions SET definition = $1, description = $2, input = $3, tags = $4, updated_at = $5,
		version = version + 1 WHERE id = $6 AND version = $7`,
		d.Definition, d.Description, d.Input, tagsJSON(d.Tags), utcPtr(d.UpdatedAt), d.ID, d.Version)
	return bumped(&d.Version, tag, err, "update action definition")
}

func (t *tx) DeleteActionDefinition(ctx context.Context, id string) error {
	tag, err := t.q.Exec(ctx, `DELETE FROM action_definitions WHERE id = $1`, id)
	return notFoundIfNone(guarded(tag, err, "delete action definition"))
}

const workbookColumns = "id, name, namespace, definition, tags, scope, project_id, created_at, updated_at, version"

func scanWorkbook(s pgxScanner) (*engine.Workbook, error) {
	var b engine.Workbook
	var tags string
	if err := s.Scan(&b.ID, &b.Name, &b.Namespace, &b.Definition, &tags, &b.Scope, &b.ProjectID, &b.CreatedAt, &b.UpdatedAt, &b.Version); err != nil {
		return nil, err
	}
	b.Tags = parseTags(tags)
	return &b, nil
}

func (r reader) GetWorkbook(ctx context.Context, name, namespace string) (*engine.Workbook, error) {
	b, err := scanWorkbook(r.db.QueryRow(ctx, "SELECT "+workbookColumns+" FROM workbooks WHERE name = $1 AND namespace = $2", name, namespace))
	if err != nil {
		return nil, dbErr(err, "get workbook")
	}
	return b, nil
}

func (r reader) ListWorkbooks(ctx context.Context) ([]*engine.Workbook, error) {
	return collect(ctx, r.db, "list workbooks", scanWorkbook, "SELECT "+workbookColumns+" FROM workbooks ORDER BY name, namespace")
}

func (t *tx) CreateWorkbook(ctx context.Context, b *engine.Workbook) error {
	_, err := t.q.Exec(ctx, `INSERT INTO workbooks (`+workbookColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0)`,
		b.ID, b.Name, b.Namespace, b.Definition, tagsJSON(b.Tags), b.Scope, b.ProjectID, utc(b.CreatedAt), utcPtr(b.UpdatedAt))
	if err != nil {
		return dbErr(err, "create workbook")
	}
	b.Version = 0
	return nil
}

func (t *tx) UpdateWorkbook(ctx context.Context, b *engine.Workbook) error {
	tag, err := t.q.Exec(ctx, `UPDATE workbooks SET definition = $1, tags = $2, scope = $3, updated_at = $4, version = version + 1 WHERE id = $5 AND version = $6`,
		b.Definition, tagsJSON(b.Tags), b.Scope, utcPtr(b.UpdatedAt), b.ID, b.Version)
	return bumped(&b.Version, tag, err, "update workbook")
}

func (t *tx) DeleteWorkbook(ctx context.Context, id string) error {
	tag, err := t.q.Exec(ctx, `DELETE FROM workbooks WHERE id = $1`, id)
	return notFoundIfNone(guarded(tag, err, "delete workbook"))
}

// pgxScanner is a row or rows, as scanned.
type pgxScanner interface{ Scan(dest ...any) error }

// collect runs query and scans every row with scan; what names it in errors.
func collect[T any](ctx context.Context, db querier, what string, scan func(pgxScanner) (T, error), query string, params ...any) ([]T, error) {
	rows, err := db.Query(ctx, query, params...)
	if err != nil {
		return nil, dbErr(err, what)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, dbErr(err, what)
		}
		out = append(out, v)
	}
	return out, dbErr(rows.Err(), what)
}

var _ pgxScanner = pgx.Row(nil)
