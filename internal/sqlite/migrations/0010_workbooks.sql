-- Workbooks: named documents of workflows and ad-hoc actions, which are
-- stored in their own tables as "<workbook>.<name>".
CREATE TABLE workbooks (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    namespace   TEXT NOT NULL DEFAULT '',
    definition  TEXT NOT NULL,
    tags        TEXT NOT NULL DEFAULT '[]',
    scope       TEXT NOT NULL DEFAULT 'private',
    project_id  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT,
    UNIQUE (name, namespace)
);
