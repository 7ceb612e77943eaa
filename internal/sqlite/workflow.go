package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

var workflows = &resource{
	table:   "workflow_definitions",
	columns: "id, name, namespace, definition, input, interface, tags, scope, project_id, created_at, updated_at, version",
	fields: map[string]fieldKind{
		"id": kindText, "name": kindText, "namespace": kindText, "definition": kindText, "input": kindText,
		"interface": kindText, "tags": kindText, "scope": kindText, "project_id": kindText,
		"created_at": kindTime, "updated_at": kindTime,
	},
}

func tagsJSON(tags []string) string {
	if tags == nil {
		tags = []string{}
	}
	b, _ := json.Marshal(tags)
	return string(b)
}

func parseTags(s string) []string {
	var tags []string
	if json.Unmarshal([]byte(s), &tags) != nil || tags == nil {
		return []string{}
	}
	return tags
}

func scanWorkflow(s scanner) (*engine.Workflow, error) {
	var w engine.Workflow
	var tags, created string
	var updated sql.NullString
	if err := s.Scan(&w.ID, &w.Name, &w.Namespace, &w.Definition, &w.Input, &w.InterfaceJSON, &tags, &w.Scope, &w.ProjectID, &created, &updated, &w.Version); err != nil {
		return nil, err
	}
	w.Tags, w.CreatedAt, w.UpdatedAt = parseTags(tags), parseTime(created), parseTimePtr(updated)
	return &w, nil
}

func (r reader) GetWorkflow(ctx context.Context, idOrName, namespace string) (*engine.Workflow, error) {
	row := r.db.QueryRowContext(ctx, "SELECT "+workflows.columns+" FROM workflow_definitions WHERE id = ? OR (name = ? AND namespace = ?) ORDER BY id = ? DESC LIMIT 1", idOrName, idOrName, namespace, idOrName)
	w, err := scanWorkflow(row)
	if err != nil {
		return nil, dbErr(err, "get workflow")
	}
	return w, nil
}

func (r reader) ListWorkflows(ctx context.Context, q engine.ListQuery) ([]*engine.Workflow, error) {
	return list(ctx, r.db, workflows, q, "", nil, scanWorkflow)
}

func (t *tx) CreateWorkflow(ctx context.Context, w *engine.Workflow) error {
	_, err := t.db.ExecContext(ctx, `INSERT INTO workflow_definitions (id, name, namespace, definition, input, interface, tags, scope, project_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		w.ID, w.Name, w.Namespace, w.Definition, w.Input, w.InterfaceJSON, tagsJSON(w.Tags), w.Scope, w.ProjectID, fmtTime(w.CreatedAt), fmtTimePtr(w.UpdatedAt))
	if err != nil {
		return dbErr(err, "create workflow")
	}
	w.Version = 0
	return nil
}

func (t *tx) UpdateWorkflow(ctx context.Context, w *engine.Workflow) error {
	res, err := t.db.ExecContext(ctx, `UPDATE workflow_definitions SET name = ?, definition = ?, input = ?, interface = ?, tags = ?, scope = ?, updated_at = ?,
		version = version + 1 WHERE id = ? AND version = ?`,
		w.Name, w.Definition, w.Input, w.InterfaceJSON, tagsJSON(w.Tags), w.Scope, fmtTimePtr(w.UpdatedAt), w.ID, w.Version)
	return bumped(&w.Version, res, err, "update workflow")
}

func (t *tx) DeleteWorkflow(ctx context.Context, id string) error {
	res, err := t.db.ExecContext(ctx, `DELETE FROM workflow_definitions WHERE id = ?`, id)
	if err := guarded(res, err, "delete workflow"); err == fault.ErrConflict {
		return fault.ErrNotFound
	} else {
		return err
	}
}
