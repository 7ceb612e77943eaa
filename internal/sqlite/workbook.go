package sqlite

import (
	"context"
	"database/sql"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

const workbookColumns = "id, name, namespace, definition, tags, scope, project_id, created_at, updated_at, version"

func scanWorkbook(s scanner) (*engine.Workbook, error) {
	var b engine.Workbook
	var tags, created string
	var updated sql.NullString
	if err := s.Scan(&b.ID, &b.Name, &b.Namespace, &b.Definition, &tags, &b.Scope, &b.ProjectID, &created, &updated, &b.Version); err != nil {
		return nil, err
	}
	b.Tags, b.CreatedAt, b.UpdatedAt = parseTags(tags), parseTime(created), parseTimePtr(updated)
	return &b, nil
}

func (r reader) GetWorkbook(ctx context.Context, name, namespace string) (*engine.Workbook, error) {
	b, err := scanWorkbook(r.db.QueryRowContext(ctx, "SELECT "+workbookColumns+" FROM workbooks WHERE name = ? AND namespace = ?", name, namespace))
	if err != nil {
		return nil, dbErr(err, "get workbook")
	}
	return b, nil
}

func (r reader) ListWorkbooks(ctx context.Context) ([]*engine.Workbook, error) {
	rows, err := r.db.QueryContext(ctx, "SELECT "+workbookColumns+" FROM workbooks ORDER BY name, namespace")
	if err != nil {
		return nil, dbErr(err, "list workbooks")
	}
	defer rows.Close()
	var out []*engine.Workbook
	for rows.Next() {
		b, err := scanWorkbook(rows)
		if err != nil {
			return nil, dbErr(err, "list workbooks")
		}
		out = append(out, b)
	}
	return out, dbErr(rows.Err(), "list workbooks")
}

func (t *tx) CreateWorkbook(ctx context.Context, b *engine.Workbook) error {
	_, err := t.db.ExecContext(ctx, `INSERT INTO workbooks (`+workbookColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`,
		b.ID, b.Name, b.Namespace, b.Definition, tagsJSON(b.Tags), b.Scope, b.ProjectID, fmtTime(b.CreatedAt), fmtTimePtr(b.UpdatedAt))
	if err != nil {
		return dbErr(err, "create workbook")
	}
	b.Version = 0
	return nil
}

func (t *tx) UpdateWorkbook(ctx context.Context, b *engine.Workbook) error {
	res, err := t.db.ExecContext(ctx, `UPDATE workbooks SET definition = ?, tags = ?, scope = ?, updated_at = ?,
		version = version + 1 WHERE id = ? AND version = ?`,
		b.Definition, tagsJSON(b.Tags), b.Scope, fmtTimePtr(b.UpdatedAt), b.ID, b.Version)
	return bumped(&b.Version, res, err, "update workbook")
}

func (t *tx) DeleteWorkbook(ctx context.Context, id string) error {
	res, err := t.db.ExecContext(ctx, `DELETE FROM workbooks WHERE id = ?`, id)
	if err := guarded(res, err, "delete workbook"); err == fault.ErrConflict {
		return fault.ErrNotFound
	} else {
		return err
	}
}
