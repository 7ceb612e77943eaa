-- Decision links (issue 16): one per person per approval, issued with the
-- approval event that first reached them. No token is stored: a token is
-- the id and an HMAC over id, action, person and expiry, made again from
-- the server key. used_at is set by the one decision a link carries,
-- revoked_at by a revocation; version guards both. Links go with their
-- action execution. A table only added: an older release ignores it.
CREATE TABLE decision_links (
    id                  TEXT PRIMARY KEY,
    action_execution_id TEXT NOT NULL REFERENCES action_executions (id) ON DELETE CASCADE,
    user_name           TEXT NOT NULL,
    event               TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    expires_at          TEXT NOT NULL,
    used_at             TEXT,
    revoked_at          TEXT,
    revoked_by          TEXT NOT NULL DEFAULT '',
    version             INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX decision_links_action ON decision_links (action_execution_id, created_at);
