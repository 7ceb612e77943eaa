-- Issue 16, as the SQLite store's migration 0024: the action execution an
-- approval's notifications are about ('' for workflow and task events).
ALTER TABLE deliveries ADD COLUMN action_id TEXT NOT NULL DEFAULT '';
CREATE INDEX deliveries_action ON deliveries (action_id, created_at) WHERE action_id <> '';
