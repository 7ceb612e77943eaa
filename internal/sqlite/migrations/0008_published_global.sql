-- Variables a task publishes to the whole workflow (the 'global' part of an
-- on-* clause's publish): every later expression of the execution sees
-- them, and the API returns them as published_global.
ALTER TABLE workflow_executions ADD COLUMN published_global TEXT NOT NULL DEFAULT '{}';
