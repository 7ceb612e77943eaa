-- The timeout ladder of approvals (issue 16): its reminders and
-- escalations are audit records of their own kinds ('reminder',
-- 'escalation'); its timeout decision is a 'timeout' record. Its rungs are
-- job rows (kind 'approval_rung'), which need no schema.
--
-- SQLite cannot change a CHECK constraint in place, so the trail is built
-- again, row for row: its hashes cover the rows' values, which do not
-- change. Nothing refers to it.
CREATE TABLE audit_v23 (
    seq                 INTEGER PRIMARY KEY,
    at                  TEXT NOT NULL,
    actor               TEXT NOT NULL,
    channel             TEXT NOT NULL,
    addr                TEXT NOT NULL DEFAULT '',
    kind                TEXT NOT NULL CHECK (kind IN ('decision', 'override', 'timeout', 'admin', 'reminder', 'escalation')),
    action_execution_id TEXT NOT NULL DEFAULT '',
    state               TEXT NOT NULL DEFAULT '',
    outcome             TEXT NOT NULL CHECK (outcome IN ('accepted', 'refused')),
    reason              TEXT NOT NULL DEFAULT '',
    comment             TEXT NOT NULL DEFAULT '',
    answer              TEXT,
    groups              TEXT NOT NULL DEFAULT '[]',
    shown_digest        TEXT NOT NULL DEFAULT '',
    prev                TEXT NOT NULL,
    hash                TEXT NOT NULL
);
INSERT INTO audit_v23 (seq, at, actor, channel, addr, kind, action_execution_id, state, outcome, reason, comment, answer, groups, shown_digest, prev, hash)
    SELECT seq, at, actor, channel, addr, kind, action_execution_id, state, outcome, reason, comment, answer, groups, shown_digest, prev, hash FROM audit;
DROP TABLE audit;
ALTER TABLE audit_v23 RENAME TO audit;
CREATE INDEX audit_action ON audit (action_execution_id, seq);
CREATE INDEX audit_actor ON audit (actor, seq);
CREATE INDEX audit_at ON audit (at);
