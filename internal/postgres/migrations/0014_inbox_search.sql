-- The inbox's text search, as the SQLite store's migration 0029: a
-- trigram index (pg_trgm, a trusted extension in PostgreSQL 13 and later,
-- shipped with its contrib) over the inputs of pending asynchronous
-- actions, each with its execution's input, so that a search of three
-- characters or more reads the rows holding its trigrams instead of every
-- pending input. The store adds an action's row when it is created pending
-- and drops it when the action leaves RUNNING and PAUSED; a cascade takes
-- it with its action. The search re-checks its matches on the inputs
-- themselves (the two meet here at a newline), so its results are ILIKE's
-- on them, as before.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE inbox_search (
    action_execution_id text COLLATE "C" PRIMARY KEY REFERENCES action_executions (id) ON DELETE CASCADE,
    body                text COLLATE "C" NOT NULL
);
CREATE INDEX inbox_search_body ON inbox_search USING gin (body gin_trgm_ops);

INSERT INTO inbox_search (action_execution_id, body)
    SELECT a.id, a.input || E'\n' || coalesce(e.input, '')
    FROM action_executions a LEFT JOIN workflow_executions e ON e.id = a.workflow_execution_id
    WHERE a.is_async AND a.state IN ('RUNNING', 'PAUSED');
