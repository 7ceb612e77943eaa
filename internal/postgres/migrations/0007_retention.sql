-- The retention policy (-retention) walks the finished root executions
-- oldest first (by creation: an index of updated_at, which every update
-- of an execution changes, would make none of those updates HOT), finds
-- each one's sub-executions, and deletes the idempotency answers kept for
-- their action executions. Each index is written only where its rows
-- are: a root when it finishes, a sub-execution when it starts, an answer
-- when a callback carries a key.
CREATE INDEX workflow_executions_finished_roots ON workflow_executions (created_at, id)
    WHERE task_execution_id IS NULL AND state IN ('SUCCESS', 'ERROR', 'CANCELLED');
CREATE INDEX workflow_executions_root ON workflow_executions (root_execution_id)
    WHERE root_execution_id IS NOT NULL;
CREATE INDEX idempotency_keys_resource ON idempotency_keys (resource);
