-- Whom an asynchronous action waits for (issue 17): see the SQLite store's
-- migration 0028.
ALTER TABLE action_executions ADD COLUMN waits_for text COLLATE "C" NOT NULL DEFAULT ''
    CHECK (waits_for IN ('', 'person', 'service'));
UPDATE action_executions SET waits_for = CASE WHEN name = 'std.mistral_http' OR request IS NOT NULL THEN 'service' ELSE 'person' END
    WHERE is_async AND state IN ('RUNNING', 'PAUSED');
CREATE INDEX action_executions_inbox_waits ON action_executions (waits_for, created_at, id)
    WHERE is_async AND state IN ('RUNNING', 'PAUSED');
