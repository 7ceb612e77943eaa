-- Approvals (issue 13): the requester role, who started an execution, the
-- evaluated request of an approval, its votes, and the audit records of
-- every decision attempt.

-- The requester role (viewer < requester < approver < admin). SQLite
-- cannot change a CHECK constraint in place, so the account tables are
-- built again. Children go first: dropping a parent they still referred
-- to would delete their rows (ON DELETE CASCADE). Renaming a parent
-- rewrites its children's references to the new name.
CREATE TABLE users_v12 (
    name          TEXT PRIMARY KEY,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'approver', 'requester', 'viewer')),
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
INSERT INTO users_v12 (name, role, password_hash, created_at) SELECT name, role, password_hash, created_at FROM users;

CREATE TABLE groups_v12 (
    name       TEXT PRIMARY KEY,
    role       TEXT NOT NULL CHECK (role IN ('admin', 'approver', 'requester', 'viewer')),
    created_at TEXT NOT NULL
);
INSERT INTO groups_v12 (name, role, created_at) SELECT name, role, created_at FROM groups;

CREATE TABLE group_members_v12 (
    group_name TEXT NOT NULL REFERENCES groups_v12 (name) ON DELETE CASCADE,
    user_name  TEXT NOT NULL REFERENCES users_v12 (name) ON DELETE CASCADE,
    PRIMARY KEY (group_name, user_name)
);
INSERT INTO group_members_v12 (group_name, user_name) SELECT group_name, user_name FROM group_members;

CREATE TABLE api_tokens_v12 (
    id         TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('api', 'keystone')),
    role       TEXT NOT NULL CHECK (role IN ('admin', 'approver', 'requester', 'viewer')),
    user_name  TEXT NOT NULL REFERENCES users_v12 (name) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT
);
INSERT INTO api_tokens_v12 (id, token_hash, name, kind, role, user_name, created_at, expires_at)
    SELECT id, token_hash, name, kind, role, user_name, created_at, expires_at FROM api_tokens;

CREATE TABLE sessions_v12 (
    id_hash    TEXT PRIMARY KEY,
    user_name  TEXT NOT NULL REFERENCES users_v12 (name) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
INSERT INTO sessions_v12 (id_hash, user_name, created_at, expires_at) SELECT id_hash, user_name, created_at, expires_at FROM sessions;

DROP TABLE group_members;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE groups;
ALTER TABLE users_v12 RENAME TO users;
ALTER TABLE groups_v12 RENAME TO groups;
ALTER TABLE group_members_v12 RENAME TO group_members;
ALTER TABLE api_tokens_v12 RENAME TO api_tokens;
ALTER TABLE sessions_v12 RENAME TO sessions;
CREATE INDEX group_members_user ON group_members (user_name);
CREATE INDEX api_tokens_kind ON api_tokens (kind, created_at);

-- Who started an execution: the account's name, '' when authentication
-- is off or the engine started it. Sub-workflows inherit it.
ALTER TABLE workflow_executions ADD COLUMN created_by TEXT NOT NULL DEFAULT '';

-- An approval's request as evaluated when it started (title, description,
-- context, requested_by, schema, approvers, required, ...): what the
-- deciders are shown and what their votes are checked against, fixed
-- then, whatever happens to the definitions later. NULL for any other
-- action.
ALTER TABLE action_executions ADD COLUMN approval TEXT;

-- The votes on an approval: one per person. answer is the approval's
-- answer as canonical JSON (NULL: none, or a rejection); rule is the index
-- of the rule the vote counted for (-1: none); groups the voter's groups
-- when they voted, as a JSON array.
CREATE TABLE approval_votes (
    action_execution_id TEXT NOT NULL REFERENCES action_executions (id) ON DELETE CASCADE,
    user_name           TEXT NOT NULL,
    approve             INTEGER NOT NULL CHECK (approve IN (0, 1)),
    override            INTEGER NOT NULL DEFAULT 0 CHECK (override IN (0, 1)),
    answer              TEXT,
    comment             TEXT NOT NULL DEFAULT '',
    channel             TEXT NOT NULL,
    rule                INTEGER NOT NULL DEFAULT -1,
    groups              TEXT NOT NULL DEFAULT '[]',
    created_at          TEXT NOT NULL,
    PRIMARY KEY (action_execution_id, user_name)
);

-- The audit trail (package audit): every decision attempt by a person,
-- accepted or refused, every override and timeout decision, and every
-- administrative act, in the order written (seq: 1, 2, 3 … without gaps).
-- Each row carries the hash of the row before it (prev) and its own
-- (hash, over prev and the row's canonical form), so that an edited,
-- deleted or reordered row is found. No foreign keys: deleting an
-- execution or a user leaves its records. Rows are never updated.
CREATE TABLE audit (
    seq                 INTEGER PRIMARY KEY,
    at                  TEXT NOT NULL,
    actor               TEXT NOT NULL,
    channel             TEXT NOT NULL,
    addr                TEXT NOT NULL DEFAULT '',
    kind                TEXT NOT NULL CHECK (kind IN ('decision', 'override', 'timeout', 'admin')),
    action_execution_id TEXT NOT NULL DEFAULT '',
    state               TEXT NOT NULL DEFAULT '',
    outcome             TEXT NOT NULL CHECK (outcome IN ('accepted', 'refused')),
    reason              TEXT NOT NULL DEFAULT '',
    comment             TEXT NOT NULL DEFAULT '',
    answer              TEXT,
    groups              TEXT NOT NULL DEFAULT '[]',
    shown_digest        TEXT NOT NULL DEFAULT '',
    prev                TEXT NOT NULL,
    hash                TEXT NOT NULL
);
CREATE INDEX audit_action ON audit (action_execution_id, seq);
CREATE INDEX audit_actor ON audit (actor, seq);
CREATE INDEX audit_at ON audit (at);

-- The end of the trail: the last record's seq and hash (0 and 64 zeros
-- for none), and the anchor over them, an HMAC under the server's audit
-- key ('' when the server runs without one). Written with every record.
CREATE TABLE audit_head (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    seq    INTEGER NOT NULL,
    hash   TEXT NOT NULL,
    anchor TEXT NOT NULL DEFAULT ''
);
