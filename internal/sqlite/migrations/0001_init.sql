-- Workflow definitions, executions, task executions, action executions and
-- the engine's durable jobs. Times are UTC text 'YYYY-MM-DD HH:MM:SS.ffffff'
-- (they sort as text); JSON lives in TEXT columns.

CREATE TABLE workflow_definitions (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    namespace   TEXT NOT NULL DEFAULT '',
    definition  TEXT NOT NULL,
    input       TEXT NOT NULL DEFAULT '',
    interface   TEXT NOT NULL DEFAULT '{}',
    tags        TEXT NOT NULL DEFAULT '[]',
    scope       TEXT NOT NULL DEFAULT 'private' CHECK (scope IN ('private', 'public')),
    project_id  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT,
    UNIQUE (name, namespace, project_id)
);
CREATE INDEX workflow_definitions_created ON workflow_definitions (created_at, id);

CREATE TABLE workflow_executions (
    id                 TEXT PRIMARY KEY,
    workflow_id        TEXT NOT NULL,
    workflow_name      TEXT NOT NULL,
    workflow_namespace TEXT NOT NULL DEFAULT '',
    description        TEXT NOT NULL DEFAULT '',
    tags               TEXT NOT NULL DEFAULT '[]',
    params             TEXT NOT NULL DEFAULT '{}',
    task_execution_id  TEXT,
    root_execution_id  TEXT,
    state              TEXT NOT NULL CHECK (state IN ('IDLE', 'RUNNING', 'PAUSED', 'SUCCESS', 'ERROR', 'CANCELLED')),
    state_info         TEXT,
    input              TEXT NOT NULL DEFAULT '{}',
    output             TEXT NOT NULL DEFAULT '{}',
    context            TEXT NOT NULL DEFAULT '{}',
    definition         TEXT NOT NULL,
    project_id         TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);
CREATE INDEX workflow_executions_created ON workflow_executions (created_at, id);
CREATE INDEX workflow_executions_state ON workflow_executions (state, created_at);
CREATE INDEX workflow_executions_workflow ON workflow_executions (workflow_name, created_at);

CREATE TABLE task_executions (
    id                    TEXT PRIMARY KEY,
    name                  TEXT NOT NULL,
    type                  TEXT NOT NULL CHECK (type IN ('ACTION', 'WORKFLOW')),
    workflow_execution_id TEXT NOT NULL REFERENCES workflow_executions (id) ON DELETE CASCADE,
    workflow_name         TEXT NOT NULL,
    workflow_namespace    TEXT NOT NULL DEFAULT '',
    workflow_id           TEXT NOT NULL,
    tags                  TEXT NOT NULL DEFAULT '[]',
    state                 TEXT NOT NULL CHECK (state IN ('IDLE', 'WAITING', 'RUNNING', 'DELAYED', 'PAUSED', 'SUCCESS', 'ERROR', 'CANCELLED')),
    state_info            TEXT,
    runtime_context       TEXT NOT NULL DEFAULT '{}',
    in_context            TEXT NOT NULL DEFAULT '{}',
    published             TEXT NOT NULL DEFAULT '{}',
    result                TEXT NOT NULL DEFAULT 'null',
    processed             INTEGER NOT NULL DEFAULT 0,
    error_handled         INTEGER NOT NULL DEFAULT 0,
    project_id            TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    started_at            TEXT,
    finished_at           TEXT
);
CREATE INDEX task_executions_execution ON task_executions (workflow_execution_id, created_at);
CREATE INDEX task_executions_created ON task_executions (created_at, id);

CREATE TABLE action_executions (
    id                    TEXT PRIMARY KEY,
    name                  TEXT NOT NULL,
    workflow_name         TEXT,
    workflow_namespace    TEXT NOT NULL DEFAULT '',
    task_name             TEXT,
    task_execution_id     TEXT REFERENCES task_executions (id) ON DELETE CASCADE,
    workflow_execution_id TEXT REFERENCES workflow_executions (id) ON DELETE CASCADE,
    state                 TEXT NOT NULL CHECK (state IN ('RUNNING', 'PAUSED', 'SUCCESS', 'ERROR', 'CANCELLED')),
    state_info            TEXT,
    description           TEXT NOT NULL DEFAULT '',
    project_id            TEXT NOT NULL,
    accepted              INTEGER NOT NULL DEFAULT 0,
    is_async              INTEGER NOT NULL DEFAULT 0,
    input                 TEXT NOT NULL DEFAULT '{}',
    output                TEXT,
    request               TEXT,
    completed_via         TEXT,
    completed_at          TEXT,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
);
CREATE INDEX action_executions_task ON action_executions (task_execution_id, created_at);
CREATE INDEX action_executions_created ON action_executions (created_at, id);
-- The dashboard's inbox: pending actions, oldest first.
CREATE INDEX action_executions_pending ON action_executions (state, created_at, id);

CREATE TABLE jobs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL,
    ref         TEXT NOT NULL,
    due_at      TEXT NOT NULL,
    lease_until TEXT
);
CREATE INDEX jobs_due ON jobs (due_at);
