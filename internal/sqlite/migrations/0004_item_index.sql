-- The with-items index of an action execution (0 for ordinary tasks): a
-- with-items task's result lists its items' results in this order.
ALTER TABLE action_executions ADD COLUMN item_index INTEGER NOT NULL DEFAULT 0;
