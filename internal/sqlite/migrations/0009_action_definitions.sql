-- Ad-hoc actions (POST /v2/actions): a base action with preset input and
-- an optional transformation of its result, stored as their YAML.
CREATE TABLE action_definitions (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    namespace   TEXT NOT NULL DEFAULT '',
    definition  TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    input       TEXT NOT NULL DEFAULT '',
    tags        TEXT NOT NULL DEFAULT '[]',
    scope       TEXT NOT NULL DEFAULT 'private',
    project_id  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT,
    UNIQUE (name, namespace)
);
