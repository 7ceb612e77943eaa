-- The notifier's deliveries, as the SQLite store's migration 0021: one
-- row per notification per receiver, written in the transaction of the
-- change it tells of and sent after commit by a deliver_notification job
-- whose ref is the row's id. A table only added: the release before
-- ignores it.
CREATE TABLE deliveries (
    id                text COLLATE "C" PRIMARY KEY,
    event_id          text COLLATE "C" NOT NULL,
    event             text COLLATE "C" NOT NULL,
    execution_id      text COLLATE "C" NOT NULL DEFAULT '',
    root_execution_id text COLLATE "C" NOT NULL DEFAULT '',
    url               text COLLATE "C" NOT NULL,
    headers           text COLLATE "C" NOT NULL,
    body              text COLLATE "C" NOT NULL,
    state             text COLLATE "C" NOT NULL,
    attempts          integer NOT NULL DEFAULT 0,
    last_error        text COLLATE "C",
    next_attempt_at   timestamptz,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    version           bigint NOT NULL DEFAULT 0
);
CREATE INDEX deliveries_execution ON deliveries (execution_id, created_at);
CREATE INDEX deliveries_root ON deliveries (root_execution_id);
