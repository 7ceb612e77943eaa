-- The notifier's deliveries (issue 15): one row per notification per
-- receiver, written in the transaction of the change it tells of and sent
-- after commit by a deliver_notification job whose ref is the row's id.
-- event_id is shared by the receivers of one event (receivers deduplicate
-- on it). Rows of an execution go with it. A table only added: an older
-- release ignores it (and its jobs, as kinds it does not know).
CREATE TABLE deliveries (
    id                TEXT PRIMARY KEY,
    event_id          TEXT NOT NULL,
    event             TEXT NOT NULL,
    execution_id      TEXT NOT NULL DEFAULT '',
    root_execution_id TEXT NOT NULL DEFAULT '',
    url               TEXT NOT NULL,
    headers           TEXT NOT NULL,
    body              TEXT NOT NULL,
    state             TEXT NOT NULL,
    attempts          INTEGER NOT NULL DEFAULT 0,
    last_error        TEXT,
    next_attempt_at   TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    version           INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX deliveries_execution ON deliveries (execution_id, created_at);
CREATE INDEX deliveries_root ON deliveries (root_execution_id);
