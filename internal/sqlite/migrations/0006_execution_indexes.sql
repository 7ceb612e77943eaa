-- Action executions by workflow execution: the dashboard's execution page,
-- lookups of an execution's pending action, and deleting an execution.
CREATE INDEX action_executions_execution ON action_executions (workflow_execution_id, created_at);

-- The timeline without AUTOINCREMENT: rowids already grow (rows are only
-- deleted with their execution), and AUTOINCREMENT cost an extra write to
-- sqlite_sequence for every state change.
CREATE TABLE state_changes_new (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('execution', 'task', 'action_execution')),
    ref          TEXT NOT NULL,
    execution_id TEXT,
    state        TEXT NOT NULL,
    via          TEXT,
    note         TEXT,
    at           TEXT NOT NULL
);
INSERT INTO state_changes_new SELECT id, kind, ref, execution_id, state, via, note, at FROM state_changes;
DROP TABLE state_changes;
ALTER TABLE state_changes_new RENAME TO state_changes;
CREATE INDEX state_changes_ref ON state_changes (ref, id);
CREATE INDEX state_changes_execution ON state_changes (execution_id, id);
