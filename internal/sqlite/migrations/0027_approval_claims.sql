-- Claims on pending approvals (issue 16, item 5): an approver says they
-- are handling one, and the inbox shows it. A soft lock: it stops nobody
-- from deciding. One claim per approval, expiring; it goes with its action.
-- A table only added: an older release ignores it.
CREATE TABLE approval_claims (
    action_execution_id TEXT PRIMARY KEY REFERENCES action_executions (id) ON DELETE CASCADE,
    user_name           TEXT NOT NULL,
    claimed_at          TEXT NOT NULL,
    expires_at          TEXT NOT NULL,
    version             INTEGER NOT NULL DEFAULT 0
);
