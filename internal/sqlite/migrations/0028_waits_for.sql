-- Whom an asynchronous action waits for (issue 17): 'person' or 'service',
-- the inbox's two views; '' for a synchronous action, and for finished
-- ones recorded before this column. Pending actions are filed as the
-- engine would file them now: a service for std.mistral_http or whatever
-- sent a request (an ad-hoc action over it), a person for the rest.
ALTER TABLE action_executions ADD COLUMN waits_for TEXT NOT NULL DEFAULT ''
    CHECK (waits_for IN ('', 'person', 'service'));
UPDATE action_executions SET waits_for = CASE WHEN name = 'std.mistral_http' OR request IS NOT NULL THEN 'service' ELSE 'person' END
    WHERE is_async = 1 AND state IN ('RUNNING', 'PAUSED');
-- Each view's pages and count, in the inbox's order (see 0003: the same
-- partial WHERE, covering columns).
CREATE INDEX action_executions_inbox_waits ON action_executions (waits_for, created_at, id, state, is_async)
    WHERE is_async = 1 AND state IN ('RUNNING', 'PAUSED');
