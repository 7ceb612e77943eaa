-- The retention policy (-retention) walks the finished root executions
-- oldest first (by creation: an index of updated_at would be written at
-- every update of an execution), finds each one's sub-executions, and
-- deletes the idempotency answers kept for their action executions. Each
-- index is written only where its rows are: a root when it finishes, a
-- sub-execution when it starts, an answer when a callback carries a key.
-- The states are ORs, not IN: SQLite evaluates an IN of more than two
-- constants through a table it builds for each statement, and every
-- INSERT and UPDATE of an execution that changes its state evaluates
-- this condition.
CREATE INDEX workflow_executions_finished_roots ON workflow_executions (created_at, id)
    WHERE task_execution_id IS NULL AND (state = 'SUCCESS' OR state = 'ERROR' OR state = 'CANCELLED');
CREATE INDEX workflow_executions_root ON workflow_executions (root_execution_id)
    WHERE root_execution_id IS NOT NULL;
CREATE INDEX idempotency_keys_resource ON idempotency_keys (resource);
