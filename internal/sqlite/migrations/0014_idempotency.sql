-- Answers kept for the Idempotency-Key header of the callback routes
-- (engine.IdempotentAnswer): one row per (credential, route, resource,
-- key). status 0 marks a first request still running. Rows live 24 hours;
-- each claim deletes a few expired ones, oldest first (created_at index).
-- Versions 0012 and 0013 belong to other changes; migrate applies each
-- missing version on its own, so the gap is harmless.
CREATE TABLE idempotency_keys (
    id           INTEGER PRIMARY KEY,
    credential   TEXT NOT NULL,
    route        TEXT NOT NULL,
    resource     TEXT NOT NULL,
    idem_key     TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    body         BLOB,
    created_at   TEXT NOT NULL,
    UNIQUE (credential, route, resource, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
