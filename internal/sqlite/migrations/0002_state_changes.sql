-- The timeline of every execution, task and action execution: one row per
-- state change, written in the transaction that made the change.
CREATE TABLE state_changes (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT NOT NULL CHECK (kind IN ('execution', 'task', 'action_execution')),
    ref          TEXT NOT NULL,
    execution_id TEXT,
    state        TEXT NOT NULL,
    via          TEXT,
    note         TEXT,
    at           TEXT NOT NULL
);
CREATE INDEX state_changes_ref ON state_changes (ref, id);
CREATE INDEX state_changes_execution ON state_changes (execution_id, id);
