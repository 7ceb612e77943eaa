-- Optimistic concurrency for several writers (issue 14): every mutable row
-- carries a version that each update checks (WHERE id = ? AND version = ?)
-- and increments, so a writer that read a row before another changed it
-- fails with a conflict instead of overwriting the change. Existing rows
-- start at 0, as new ones do.
ALTER TABLE workflow_definitions ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE workflow_executions ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE task_executions ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE action_executions ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE action_definitions ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE workbooks ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
-- The engine that claimed a job (its random id): extending the lease and
-- deleting the job are conditional on still holding it, so a worker that
-- wakes after another took its expired lease over changes nothing. Jobs
-- claimed before this migration have none and are claimed again when their
-- lease expires.
ALTER TABLE jobs ADD COLUMN lease_owner TEXT;
