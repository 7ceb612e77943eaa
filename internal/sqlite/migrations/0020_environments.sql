-- Environments (Mistral's /v2/environments): named variables that an
-- execution started with params {"env": "<name>"} sees through env().
-- One project, so a name is unique on its own (Mistral: name, project_id).
-- variables is a JSON object as text; version guards updates.
CREATE TABLE environments (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    variables   TEXT NOT NULL DEFAULT '{}',
    scope       TEXT NOT NULL DEFAULT 'private',
    project_id  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT,
    version     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX environments_created ON environments (created_at, id);
