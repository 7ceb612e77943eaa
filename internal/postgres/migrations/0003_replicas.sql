-- The server processes (replicas) working on this database, as the SQLite
-- store's migration 0017: each writes its row when it starts and at every
-- heartbeat, and deletes it when it stops cleanly. A table only added:
-- the release before ignores it.
CREATE TABLE replicas (
    id           text COLLATE "C" PRIMARY KEY,
    host         text COLLATE "C" NOT NULL,
    pid          bigint NOT NULL,
    version      text COLLATE "C" NOT NULL DEFAULT '',
    started_at   timestamptz NOT NULL,
    heartbeat_at timestamptz NOT NULL
);
CREATE INDEX replicas_heartbeat ON replicas (heartbeat_at);
