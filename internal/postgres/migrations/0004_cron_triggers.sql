-- Cron triggers, as the SQLite store's migration 0019 (see there). A
-- table only added: the release before ignores it.
CREATE TABLE cron_triggers (
    id                   text COLLATE "C" PRIMARY KEY,
    name                 text COLLATE "C" NOT NULL UNIQUE,
    pattern              text COLLATE "C" NOT NULL DEFAULT '',
    first_execution_time timestamptz,
    next_execution_time  timestamptz NOT NULL,
    remaining_executions bigint,
    workflow_id          text COLLATE "C" NOT NULL,
    workflow_name        text COLLATE "C" NOT NULL,
    workflow_namespace   text COLLATE "C" NOT NULL DEFAULT '',
    workflow_input       text NOT NULL DEFAULT '{}',
    workflow_params      text NOT NULL DEFAULT '{}',
    scope                text COLLATE "C" NOT NULL DEFAULT 'private',
    project_id           text COLLATE "C" NOT NULL,
    created_by           text COLLATE "C" NOT NULL DEFAULT '',
    state                text COLLATE "C" NOT NULL DEFAULT 'ACTIVE',
    state_info           text,
    last_executions      text NOT NULL DEFAULT '[]',
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz,
    version              bigint NOT NULL DEFAULT 0
);
CREATE INDEX cron_triggers_created ON cron_triggers (created_at, id);
