-- Accounts, groups, API tokens, dashboard sessions, callback tokens and
-- server secrets (internal/auth). Secrets are stored only as hashes:
-- passwords as bcrypt, tokens and session ids as SHA-256 of their
-- high-entropy plaintext.
CREATE TABLE users (
    name          TEXT PRIMARY KEY,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'approver', 'viewer')),
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL
);

CREATE TABLE groups (
    name       TEXT PRIMARY KEY,
    role       TEXT NOT NULL CHECK (role IN ('admin', 'approver', 'viewer')),
    created_at TEXT NOT NULL
);

CREATE TABLE group_members (
    group_name TEXT NOT NULL REFERENCES groups (name) ON DELETE CASCADE,
    user_name  TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    PRIMARY KEY (group_name, user_name)
);
CREATE INDEX group_members_user ON group_members (user_name);

-- kind: 'api' (named, made by an admin, shown once) or 'keystone' (issued
-- by POST /v3/auth/tokens to the mistral CLI, short-lived).
CREATE TABLE api_tokens (
    id         TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('api', 'keystone')),
    role       TEXT NOT NULL CHECK (role IN ('admin', 'approver', 'viewer')),
    user_name  TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT
);
CREATE INDEX api_tokens_kind ON api_tokens (kind, created_at);

CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY,
    user_name  TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

-- One callback token per asynchronous action execution that was sent;
-- deleted once the action is finished.
CREATE TABLE callback_tokens (
    action_execution_id TEXT PRIMARY KEY,
    token_hash          TEXT NOT NULL,
    created_at          TEXT NOT NULL
);

CREATE TABLE secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
