-- The server processes (replicas) working on this database (issue 14):
-- each writes its row when it starts and again every few seconds (its
-- heartbeat), and deletes it when it stops cleanly. GET /v2/services and
-- the dashboard list those heard from lately; rows silent for long are
-- swept. A table only added: an older release ignores it.
CREATE TABLE replicas (
    id           TEXT PRIMARY KEY,
    host         TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    version      TEXT NOT NULL DEFAULT '',
    started_at   TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL
);
