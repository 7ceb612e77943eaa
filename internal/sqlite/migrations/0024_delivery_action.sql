-- Issue 16: an approval's notifications are about its action execution,
-- whose page lists them with their failures. A column only added (an
-- older release ignores it); '' for the deliveries of workflow and task
-- events.
ALTER TABLE deliveries ADD COLUMN action_id TEXT NOT NULL DEFAULT '';
CREATE INDEX deliveries_action ON deliveries (action_id, created_at) WHERE action_id <> '';
