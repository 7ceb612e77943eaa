-- The login throttle's records (auth.LimitKey → auth.Failures), as the
-- SQLite store's migration 0018: shared by every replica, bounded by
-- auth.LimitConfig.MaxKeys. login_throttle_count holds the row count, kept
-- by the same writes, so that the cap costs no count(*) per attempt.
-- Tables only added: the release before ignores them.
CREATE TABLE login_throttles (
    kind         text COLLATE "C" NOT NULL CHECK (kind IN ('pair', 'address', 'account')),
    account      text COLLATE "C" NOT NULL,
    address      text COLLATE "C" NOT NULL,
    failures     integer NOT NULL CHECK (failures > 0),
    last_failure timestamptz NOT NULL,
    prev_failure timestamptz,
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (kind, account, address)
);
CREATE INDEX login_throttles_expires ON login_throttles (expires_at);
CREATE INDEX login_throttles_failures ON login_throttles (failures, last_failure);

CREATE TABLE login_throttle_count (
    id integer PRIMARY KEY CHECK (id = 1),
    n  bigint NOT NULL CHECK (n >= 0)
);
INSERT INTO login_throttle_count (id, n) VALUES (1, 0);
