-- Cron triggers (Mistral's /v2/cron_triggers): each starts its workflow
-- at the times its pattern names, as created_by. A job of kind cron_fire
-- (ref "<id> <next_execution_time>") fires it; advancing the row (guarded
-- by version) and creating the execution commit together, so each due
-- time gives one execution. state is ACTIVE, PAUSED or STOPPED (a
-- Sirocco extension: a creator deleted or demoted stops the trigger, with
-- the reason in state_info). last_executions is a JSON array of the
-- newest executions started, newest first. A table only added: the
-- release before ignores it.
CREATE TABLE cron_triggers (
    id                   TEXT PRIMARY KEY,
    name                 TEXT NOT NULL UNIQUE,
    pattern              TEXT NOT NULL DEFAULT '',
    first_execution_time TEXT,
    next_execution_time  TEXT NOT NULL,
    remaining_executions INTEGER,
    workflow_id          TEXT NOT NULL,
    workflow_name        TEXT NOT NULL,
    workflow_namespace   TEXT NOT NULL DEFAULT '',
    workflow_input       TEXT NOT NULL DEFAULT '{}',
    workflow_params      TEXT NOT NULL DEFAULT '{}',
    scope                TEXT NOT NULL DEFAULT 'private',
    project_id           TEXT NOT NULL,
    created_by           TEXT NOT NULL DEFAULT '',
    state                TEXT NOT NULL DEFAULT 'ACTIVE',
    state_info           TEXT,
    last_executions      TEXT NOT NULL DEFAULT '[]',
    created_at           TEXT NOT NULL,
    updated_at           TEXT,
    version              INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX cron_triggers_created ON cron_triggers (created_at, id);
