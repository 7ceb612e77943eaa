-- The dashboard's inbox: asynchronous action executions awaiting a result.
-- Partial indexes hold only pending rows, so paging, counting and the
-- filters stay fast however many finished actions the table keeps. The
-- inbox queries repeat this WHERE clause word for word (SQLite uses a
-- partial index only when the query's WHERE implies the index's). The
-- trailing state and is_async columns make the indexes covering: SQLite
-- re-checks an IN term on every row, and without them each check would
-- read the table row (a count of 100,000 pending items took ~10 ms more).
CREATE INDEX action_executions_inbox ON action_executions (created_at, id, state, is_async)
    WHERE is_async = 1 AND state IN ('RUNNING', 'PAUSED');
CREATE INDEX action_executions_inbox_workflow ON action_executions (workflow_name, created_at, id, state, is_async, task_name)
    WHERE is_async = 1 AND state IN ('RUNNING', 'PAUSED');
CREATE INDEX action_executions_inbox_action ON action_executions (name, created_at, id, state, is_async)
    WHERE is_async = 1 AND state IN ('RUNNING', 'PAUSED');
CREATE INDEX action_executions_inbox_task ON action_executions (task_name, created_at, id, state, is_async)
    WHERE is_async = 1 AND state IN ('RUNNING', 'PAUSED');

-- A task's timeout deadline: the task_timeout job whose ref is the task.
CREATE INDEX jobs_ref ON jobs (ref, kind);
