-- Decision links, as the SQLite store's migration 0026: one per person
-- per approval; no token is stored (a token is the id and an HMAC made
-- again from the server key); used_at and revoked_at guarded by version.
-- Links go with their action execution. A table only added: the release
-- before ignores it.
CREATE TABLE decision_links (
    id                  text COLLATE "C" PRIMARY KEY,
    action_execution_id text COLLATE "C" NOT NULL REFERENCES action_executions (id) ON DELETE CASCADE,
    user_name           text COLLATE "C" NOT NULL,
    event               text COLLATE "C" NOT NULL,
    created_at          timestamptz NOT NULL,
    expires_at          timestamptz NOT NULL,
    used_at             timestamptz,
    revoked_at          timestamptz,
    revoked_by          text COLLATE "C" NOT NULL DEFAULT '',
    version             bigint NOT NULL DEFAULT 0
);
CREATE INDEX decision_links_action ON decision_links (action_execution_id, created_at);
