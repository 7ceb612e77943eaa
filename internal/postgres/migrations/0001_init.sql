-- Sirocco's schema on PostgreSQL: the same tables and columns as the
-- SQLite store's (internal/sqlite/migrations 0001-0015), in one step.
-- JSON lives in text columns, kept byte for byte (jsonb would reorder keys,
-- respell numbers and refuse \u0000). Ids, names and everything sorted or
-- compared are text COLLATE "C": byte order, as SQLite sorts, whatever the
-- database's locale. Times are timestamptz (microseconds, as SQLite's
-- text times), always written from the application's clock, never now().
-- version columns and jobs.lease_owner are for optimistic versions and job
-- leases (issue 14, item 2); this migration only adds them.

CREATE TABLE workflow_definitions (
    id          text COLLATE "C" PRIMARY KEY,
    name        text COLLATE "C" NOT NULL,
    namespace   text COLLATE "C" NOT NULL DEFAULT '',
    definition  text NOT NULL,
    input       text COLLATE "C" NOT NULL DEFAULT '',
    interface   text COLLATE "C" NOT NULL DEFAULT '{}',
    tags        text COLLATE "C" NOT NULL DEFAULT '[]',
    scope       text COLLATE "C" NOT NULL DEFAULT 'private' CHECK (scope IN ('private', 'public')),
    project_id  text COLLATE "C" NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz,
    version     bigint NOT NULL DEFAULT 0,
    UNIQUE (name, namespace, project_id)
);
CREATE INDEX workflow_definitions_created ON workflow_definitions (created_at, id);

CREATE TABLE workflow_executions (
    id                 text COLLATE "C" PRIMARY KEY,
    workflow_id        text COLLATE "C" NOT NULL,
    workflow_name      text COLLATE "C" NOT NULL,
    workflow_namespace text COLLATE "C" NOT NULL DEFAULT '',
    description        text COLLATE "C" NOT NULL DEFAULT '',
    tags               text COLLATE "C" NOT NULL DEFAULT '[]',
    params             text COLLATE "C" NOT NULL DEFAULT '{}',
    task_execution_id  text COLLATE "C",
    root_execution_id  text COLLATE "C",
    state              text COLLATE "C" NOT NULL CHECK (state IN ('IDLE', 'RUNNING', 'PAUSED', 'SUCCESS', 'ERROR', 'CANCELLED')),
    state_info         text COLLATE "C",
    input              text COLLATE "C" NOT NULL DEFAULT '{}',
    output             text COLLATE "C" NOT NULL DEFAULT '{}',
    context            text NOT NULL DEFAULT '{}',
    definition         text NOT NULL,
    project_id         text COLLATE "C" NOT NULL,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    published_global   text NOT NULL DEFAULT '{}',
    created_by         text COLLATE "C" NOT NULL DEFAULT '',
    version            bigint NOT NULL DEFAULT 0
);
CREATE INDEX workflow_executions_created ON workflow_executions (created_at, id);
CREATE INDEX workflow_executions_state ON workflow_executions (state, created_at);
CREATE INDEX workflow_executions_workflow ON workflow_executions (workflow_name, created_at);

CREATE TABLE task_executions (
    id                    text COLLATE "C" PRIMARY KEY,
    name                  text COLLATE "C" NOT NULL,
    type                  text COLLATE "C" NOT NULL CHECK (type IN ('ACTION', 'WORKFLOW')),
    workflow_execution_id text COLLATE "C" NOT NULL REFERENCES workflow_executions (id) ON DELETE CASCADE,
    workflow_name         text COLLATE "C" NOT NULL,
    workflow_namespace    text COLLATE "C" NOT NULL DEFAULT '',
    workflow_id           text COLLATE "C" NOT NULL,
    tags                  text COLLATE "C" NOT NULL DEFAULT '[]',
    state                 text COLLATE "C" NOT NULL CHECK (state IN ('IDLE', 'WAITING', 'RUNNING', 'DELAYED', 'PAUSED', 'SUCCESS', 'ERROR', 'CANCELLED')),
    state_info            text COLLATE "C",
    runtime_context       text COLLATE "C" NOT NULL DEFAULT '{}',
    in_context            text NOT NULL DEFAULT '{}',
    published             text COLLATE "C" NOT NULL DEFAULT '{}',
    result                text COLLATE "C" NOT NULL DEFAULT 'null',
    processed             boolean NOT NULL DEFAULT false,
    error_handled         boolean NOT NULL DEFAULT false,
    project_id            text COLLATE "C" NOT NULL,
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL,
    started_at            timestamptz,
    finished_at           timestamptz,
    version               bigint NOT NULL DEFAULT 0
);
CREATE INDEX task_executions_execution ON task_executions (workflow_execution_id, created_at);
CREATE INDEX task_executions_created ON task_executions (created_at, id);

CREATE TABLE action_executions (
    id                    text COLLATE "C" PRIMARY KEY,
    name                  text COLLATE "C" NOT NULL,
    workflow_name         text COLLATE "C",
    workflow_namespace    text COLLATE "C" NOT NULL DEFAULT '',
    task_name             text COLLATE "C",
    task_execution_id     text COLLATE "C" REFERENCES task_executions (id) ON DELETE CASCADE,
    workflow_execution_id text COLLATE "C" REFERENCES workflow_executions (id) ON DELETE CASCADE,
    state                 text COLLATE "C" NOT NULL CHECK (state IN ('RUNNING', 'PAUSED', 'SUCCESS', 'ERROR', 'CANCELLED')),
    state_info            text COLLATE "C",
    description           text COLLATE "C" NOT NULL DEFAULT '',
    project_id            text COLLATE "C" NOT NULL,
    accepted              boolean NOT NULL DEFAULT false,
    is_async              boolean NOT NULL DEFAULT false,
    input                 text COLLATE "C" NOT NULL DEFAULT '{}',
    output                text COLLATE "C",
    request               text,
    completed_via         text COLLATE "C",
    completed_at          timestamptz,
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL,
    item_index            integer NOT NULL DEFAULT 0,
    approval              text,
    version               bigint NOT NULL DEFAULT 0
);
CREATE INDEX action_executions_task ON action_executions (task_execution_id, created_at);
CREATE INDEX action_executions_created ON action_executions (created_at, id);
CREATE INDEX action_executions_pending ON action_executions (state, created_at, id);
CREATE INDEX action_executions_execution ON action_executions (workflow_execution_id, created_at);
-- The dashboard's inbox: pending asynchronous actions, in partial indexes
-- (see the SQLite store's migration 0003).
CREATE INDEX action_executions_inbox ON action_executions (created_at, id)
    WHERE is_async AND state IN ('RUNNING', 'PAUSED');
CREATE INDEX action_executions_inbox_workflow ON action_executions (workflow_name, created_at, id)
    WHERE is_async AND state IN ('RUNNING', 'PAUSED');
CREATE INDEX action_executions_inbox_action ON action_executions (name, created_at, id)
    WHERE is_async AND state IN ('RUNNING', 'PAUSED');
CREATE INDEX action_executions_inbox_task ON action_executions (task_name, created_at, id)
    WHERE is_async AND state IN ('RUNNING', 'PAUSED');

CREATE TABLE jobs (
    id          bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    kind        text COLLATE "C" NOT NULL,
    ref         text COLLATE "C" NOT NULL,
    due_at      timestamptz NOT NULL,
    lease_until timestamptz,
    lease_owner text
);
CREATE INDEX jobs_due ON jobs (due_at);
CREATE INDEX jobs_ref ON jobs (ref, kind);

-- The timeline: one row per execution per commit, its events a JSON array
-- (see the SQLite store's migration 0011).
CREATE TABLE timeline (
    id           bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    execution_id text COLLATE "C" NOT NULL,
    events       text NOT NULL
);
CREATE INDEX timeline_execution ON timeline (execution_id, id);

CREATE TABLE action_definitions (
    id          text COLLATE "C" PRIMARY KEY,
    name        text COLLATE "C" NOT NULL,
    namespace   text COLLATE "C" NOT NULL DEFAULT '',
    definition  text NOT NULL,
    description text COLLATE "C" NOT NULL DEFAULT '',
    input       text COLLATE "C" NOT NULL DEFAULT '',
    tags        text COLLATE "C" NOT NULL DEFAULT '[]',
    scope       text COLLATE "C" NOT NULL DEFAULT 'private',
    project_id  text COLLATE "C" NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz,
    version     bigint NOT NULL DEFAULT 0,
    UNIQUE (name, namespace)
);

CREATE TABLE workbooks (
    id          text COLLATE "C" PRIMARY KEY,
    name        text COLLATE "C" NOT NULL,
    namespace   text COLLATE "C" NOT NULL DEFAULT '',
    definition  text NOT NULL,
    tags        text COLLATE "C" NOT NULL DEFAULT '[]',
    scope       text COLLATE "C" NOT NULL DEFAULT 'private',
    project_id  text COLLATE "C" NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz,
    version     bigint NOT NULL DEFAULT 0,
    UNIQUE (name, namespace)
);

-- Accounts and credentials (internal/auth); secrets only as hashes.
CREATE TABLE users (
    name          text COLLATE "C" PRIMARY KEY,
    role          text COLLATE "C" NOT NULL CHECK (role IN ('admin', 'approver', 'requester', 'viewer')),
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL
);

CREATE TABLE groups (
    name       text COLLATE "C" PRIMARY KEY,
    role       text COLLATE "C" NOT NULL CHECK (role IN ('admin', 'approver', 'requester', 'viewer')),
    created_at timestamptz NOT NULL
);

CREATE TABLE group_members (
    group_name text COLLATE "C" NOT NULL REFERENCES groups (name) ON DELETE CASCADE,
    user_name  text COLLATE "C" NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    PRIMARY KEY (group_name, user_name)
);
CREATE INDEX group_members_user ON group_members (user_name);

CREATE TABLE api_tokens (
    id         text COLLATE "C" PRIMARY KEY,
    token_hash text COLLATE "C" NOT NULL UNIQUE,
    name       text COLLATE "C" NOT NULL,
    kind       text COLLATE "C" NOT NULL CHECK (kind IN ('api', 'keystone')),
    role       text COLLATE "C" NOT NULL CHECK (role IN ('admin', 'approver', 'requester', 'viewer')),
    user_name  text COLLATE "C" NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    expires_at timestamptz
);
CREATE INDEX api_tokens_kind ON api_tokens (kind, created_at);

CREATE TABLE sessions (
    id_hash    text COLLATE "C" PRIMARY KEY,
    user_name  text COLLATE "C" NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_name);

CREATE TABLE callback_tokens (
    action_execution_id text COLLATE "C" PRIMARY KEY,
    token_hash          text COLLATE "C" NOT NULL,
    created_at          timestamptz NOT NULL
);

CREATE TABLE secrets (
    name  text COLLATE "C" PRIMARY KEY,
    value bytea NOT NULL
);

-- Approvals: votes (seq keeps the order of first votes, which SQLite's
-- rowid gives), the audit trail and its head.
CREATE TABLE approval_votes (
    seq                 bigint GENERATED BY DEFAULT AS IDENTITY,
    action_execution_id text COLLATE "C" NOT NULL REFERENCES action_executions (id) ON DELETE CASCADE,
    user_name           text COLLATE "C" NOT NULL,
    approve             boolean NOT NULL,
    override            boolean NOT NULL DEFAULT false,
    answer              text,
    comment             text NOT NULL DEFAULT '',
    channel             text COLLATE "C" NOT NULL,
    rule                integer NOT NULL DEFAULT -1,
    groups              text NOT NULL DEFAULT '[]',
    created_at          timestamptz NOT NULL,
    PRIMARY KEY (action_execution_id, user_name)
);

CREATE TABLE audit (
    seq                 bigint PRIMARY KEY,
    at                  timestamptz NOT NULL,
    actor               text COLLATE "C" NOT NULL,
    channel             text COLLATE "C" NOT NULL,
    addr                text COLLATE "C" NOT NULL DEFAULT '',
    kind                text COLLATE "C" NOT NULL CHECK (kind IN ('decision', 'override', 'timeout', 'admin')),
    action_execution_id text COLLATE "C" NOT NULL DEFAULT '',
    state               text COLLATE "C" NOT NULL DEFAULT '',
    outcome             text COLLATE "C" NOT NULL CHECK (outcome IN ('accepted', 'refused')),
    reason              text NOT NULL DEFAULT '',
    comment             text NOT NULL DEFAULT '',
    answer              text,
    groups              text NOT NULL DEFAULT '[]',
    shown_digest        text NOT NULL DEFAULT '',
    prev                text NOT NULL,
    hash                text NOT NULL
);
CREATE INDEX audit_action ON audit (action_execution_id, seq);
CREATE INDEX audit_actor ON audit (actor, seq);
CREATE INDEX audit_at ON audit (at);

CREATE TABLE audit_head (
    id     integer PRIMARY KEY CHECK (id = 1),
    seq    bigint NOT NULL,
    hash   text NOT NULL,
    anchor text NOT NULL DEFAULT ''
);

CREATE TABLE idempotency_keys (
    id           bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    credential   text COLLATE "C" NOT NULL,
    route        text COLLATE "C" NOT NULL,
    resource     text COLLATE "C" NOT NULL,
    idem_key     text COLLATE "C" NOT NULL,
    request_hash text NOT NULL,
    status       integer NOT NULL,
    content_type text NOT NULL,
    body         bytea,
    created_at   timestamptz NOT NULL,
    UNIQUE (credential, route, resource, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- The inbox's "waiting for me" (see the SQLite store's migration 0015).
CREATE TABLE approval_pending (
    action_execution_id text COLLATE "C" PRIMARY KEY REFERENCES action_executions (id) ON DELETE CASCADE,
    title               text NOT NULL,
    requested_by        text NOT NULL DEFAULT '',
    missing             text NOT NULL DEFAULT ''
);

CREATE TABLE approval_eligible (
    principal           text COLLATE "C" NOT NULL,
    created_at          timestamptz NOT NULL,
    action_execution_id text COLLATE "C" NOT NULL REFERENCES action_executions (id) ON DELETE CASCADE,
    PRIMARY KEY (principal, created_at, action_execution_id)
);
CREATE INDEX approval_eligible_action ON approval_eligible (action_execution_id, principal);
