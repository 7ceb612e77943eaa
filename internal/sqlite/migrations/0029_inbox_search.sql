-- The inbox's text search (issue 18, item 5): a trigram index over the
-- inputs of pending asynchronous actions, so that a search of three
-- characters or more reads the few rows that hold its trigrams instead of
-- every pending input. The index holds the inbox only: the store adds an
-- action's row when it is created pending and drops it when the action
-- leaves RUNNING and PAUSED (CreateActionExecution,
-- UpdateActionExecution), as for approval_pending (migration 0015: not a
-- trigger on action_executions, which every update would run).
--
-- inbox_docs maps an action to its document: its INTEGER PRIMARY KEY is
-- the document's rowid, which VACUUM keeps (an action's own rowid it may
-- renumber). Its triggers keep the full-text table in step, and a cascade
-- from a deleted action or execution takes both.
CREATE TABLE inbox_docs (
    docid               INTEGER PRIMARY KEY,
    action_execution_id TEXT NOT NULL UNIQUE REFERENCES action_executions (id) ON DELETE CASCADE
);

-- Contentless: the text lives in action_executions and workflow_executions;
-- the search re-checks its matches there with LIKE (the trigram
-- tokenizer folds case beyond ASCII, LIKE does not), so the results are
-- LIKE's exactly.
CREATE VIRTUAL TABLE inbox_fts USING fts5 (input, execution_input,
    tokenize = 'trigram', content = '', contentless_delete = 1, detail = none);

CREATE TRIGGER inbox_docs_insert AFTER INSERT ON inbox_docs BEGIN
    INSERT INTO inbox_fts (rowid, input, execution_input)
        SELECT new.docid, a.input, coalesce((SELECT e.input FROM workflow_executions e WHERE e.id = a.workflow_execution_id), '')
        FROM action_executions a WHERE a.id = new.action_execution_id;
END;
CREATE TRIGGER inbox_docs_delete AFTER DELETE ON inbox_docs BEGIN
    DELETE FROM inbox_fts WHERE rowid = old.docid;
END;

-- The actions pending when this migration runs.
INSERT INTO inbox_docs (action_execution_id)
    SELECT id FROM action_executions INDEXED BY action_executions_inbox
    WHERE is_async = 1 AND state IN ('RUNNING', 'PAUSED') ORDER BY created_at, id;
