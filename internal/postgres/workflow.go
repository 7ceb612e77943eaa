package postgres

import (
	"context"
	"encoding/json"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
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

// utc returns t in UTC, to the microsecond the database keeps.
func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := utc(*t)
	return &v
}

func scanWorkflow(s pgxScanner) (*engine.Workflow, error) {
	var w engine.Workflow
	var tags string
	if err := s.Scan(&w.ID, &w.Name, &w.Namespace, &w.Definition, &w.Input, &w.InterfaceJSON, &tags, &w.Scope, &w.ProjectID, &w.CreatedAt, &w.UpdatedAt, &w.Version); err != nil {
		return nil, err
	}
	w.Tags = parseTags(tags)
	return &w, nil
}

func (r reader) GetWorkflow(ctx context.Context, idOrName, namespace string) (*engine.Workflow, error) {
	w, err := scanWorkflow(r.db.QueryRow(ctx, "SELECT "+workflows.columns+
		" FROM workflow_definitions WHERE id = $1 OR (name = $1 AND namespace = $2) ORDER BY id = $1 DESC LIMIT 1", idOrName, namespace))
	if err != nil {
		return nil, dbErr(err, "get workflow")
	}
	return w, nil
}

func (r reader) ListWorkflows(ctx context.Context, q engine.ListQuery) ([]*engine.Workflow, error) {
	return list(ctx, r.db, workflows, q, nil, scanWorkflow)
}

func (t *tx) CreateWorkflow(ctx context.Context, w *engine.Workflow) error {
	_, err := t.q.Exec(ctx, `INSERT INTO workflow_definitions (id, name, namespace, definition, input, interface, tags, scope, project_id, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		w.ID, w.Name, w.Namespace, w.Definition, w.Input, w.InterfaceJSON, tagsJSON(w.Tags), w.Scope, w.ProjectID, utc(w.CreatedAt), utcPtr(w.UpdatedAt))
	if err != nil {
		return dbErr(err, "create workflow")
	}
	w.Version = 0
	return nil
}

func (t *tx) UpdateWorkflow(ctx context.Context, w *engine.Workflow) error {
	tag, err := t.q.Exec(ctx, `UPDATE workflow_definitions SET name = $1, definition = $2, input = $3, interface = $4, tags = $5, scope = $6, updated_at = $7,
		version = version + 1 WHERE id = $8 AND version = $9`,
		w.Name, w.Definition, w.Input, w.InterfaceJSON, tagsJSON(w.Tags), w.Scope, utcPtr(w.UpdatedAt), w.ID, w.Version)
	return bumped(&w.Version, tag, err, "update workflow")
}

func (t *tx) DeleteWorkflow(ctx context.Context, id string) error {
	tag, err := t.q.Exec(ctx, `DELETE FROM workflow_definitions WHERE id = $1`, id)
	return notFoundIfNone(guarded(tag, err, "delete workflow"))
}
