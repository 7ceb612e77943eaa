-- The login throttle's counts (auth.LimitKey → auth.Failures), in the
-- store so that every replica over one database, and a restarted server,
-- share them. kind is 'pair' (account from address), 'address' or
-- 'account'; the column a kind does not use is ''. last_failure and
-- prev_failure date the run's last two failures (prev NULL when none);
-- expires_at is when the record may be forgotten (its wait plus the
-- window). Times come from the application's clock, never from SQL.
--
-- The table is bounded by auth.LimitConfig.MaxKeys: a write that adds
-- records sweeps a few expired ones (expires_at index) and, past the cap,
-- evicts the fewest failures, oldest first (failures index).
-- login_throttle_count holds the row count, kept by the same writes, so
-- that the cap costs no COUNT(*) of the table per attempt.
CREATE TABLE login_throttles (
    kind         TEXT NOT NULL CHECK (kind IN ('pair', 'address', 'account')),
    account      TEXT NOT NULL,
    address      TEXT NOT NULL,
    failures     INTEGER NOT NULL CHECK (failures > 0),
    last_failure TEXT NOT NULL,
    prev_failure TEXT,
    expires_at   TEXT NOT NULL,
    PRIMARY KEY (kind, account, address)
) WITHOUT ROWID;
CREATE INDEX login_throttles_expires ON login_throttles (expires_at);
CREATE INDEX login_throttles_failures ON login_throttles (failures, last_failure);

CREATE TABLE login_throttle_count (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL CHECK (n >= 0)
);
INSERT INTO login_throttle_count (id, n) VALUES (1, 0);
