-- Claims on pending approvals, as the SQLite store's migration 0027: one
-- per approval, expiring, a soft lock that only tells. A table only
-- added: the release before ignores it.
CREATE TABLE approval_claims (
    action_execution_id text COLLATE "C" PRIMARY KEY REFERENCES action_executions (id) ON DELETE CASCADE,
    user_name           text COLLATE "C" NOT NULL,
    claimed_at          timestamptz NOT NULL,
    expires_at          timestamptz NOT NULL,
    version             bigint NOT NULL DEFAULT 0
);
