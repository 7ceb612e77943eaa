-- Environments (Mistral's /v2/environments), as the SQLite store's
-- migration 0020: named variables that an execution started with params
-- {"env": "<name>"} sees through env(). A table only added: the release
-- before ignores it.
CREATE TABLE environments (
    id          text COLLATE "C" PRIMARY KEY,
    name        text COLLATE "C" NOT NULL UNIQUE,
    description text NOT NULL DEFAULT '',
    variables   text NOT NULL DEFAULT '{}',
    scope       text COLLATE "C" NOT NULL DEFAULT 'private',
    project_id  text COLLATE "C" NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz,
    version     bigint NOT NULL DEFAULT 0
);
CREATE INDEX environments_created ON environments (created_at, id);
