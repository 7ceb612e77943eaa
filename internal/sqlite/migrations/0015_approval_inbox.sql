-- The inbox's "waiting for me" (issue 13, item 5): who may decide each
-- pending approval, in rows an index can walk, and what its row shows.
-- The engine writes both when an approval starts and when a vote leaves it
-- waiting (engine.ApprovalEntry); the trigger below drops them when the
-- action leaves RUNNING and PAUSED, however it does, so the tables hold
-- pending approvals only and their walks never step over finished ones.

-- What an inbox row shows of a pending approval.
CREATE TABLE approval_pending (
    action_execution_id TEXT PRIMARY KEY REFERENCES action_executions (id) ON DELETE CASCADE,
    title               TEXT NOT NULL,
    requested_by        TEXT NOT NULL DEFAULT '',
    missing             TEXT NOT NULL DEFAULT ''  -- what the votes still lack: "1 more from security"
);

-- Who may decide it: one row per approvers entry ('user:<name>',
-- 'group:<name>'), or one 'any' row for an approval that names none
-- (anyone with the approver role). A person's approvals are the rows of
-- their principals, walked in the inbox's order (created_at, the
-- action's). not_self_1 and not_self_2 are who may not decide it all the
-- same (its requester and its execution's starter; '' when it allows
-- self-approval), kept in the row so that the walk reads nothing else for
-- them. Votes cast are in approval_votes.
CREATE TABLE approval_eligible (
    principal           TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    action_execution_id TEXT NOT NULL REFERENCES action_executions (id) ON DELETE CASCADE,
    not_self_1          TEXT NOT NULL DEFAULT '',
    not_self_2          TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (principal, created_at, action_execution_id)
) WITHOUT ROWID;
-- An approval's rows, to replace or drop them, and to tell whether one
-- row of a page waits for its viewer.
CREATE INDEX approval_eligible_action ON approval_eligible (action_execution_id, principal);

CREATE TRIGGER approval_decided AFTER UPDATE OF state ON action_executions
    WHEN OLD.approval IS NOT NULL AND NEW.state NOT IN ('RUNNING', 'PAUSED')
BEGIN
    DELETE FROM approval_eligible WHERE action_execution_id = NEW.id;
    DELETE FROM approval_pending WHERE action_execution_id = NEW.id;
END;

-- Approvals pending when this migration runs: who may decide them, from
-- their stored requests. What they miss is left blank (the engine's tally
-- is not SQL); their next vote fills it in.
INSERT INTO approval_pending (action_execution_id, title, requested_by)
    SELECT id, coalesce(json_extract(approval, '$.title'), ''), coalesce(json_extract(approval, '$.requested_by'), '')
    FROM action_executions WHERE approval IS NOT NULL AND state IN ('RUNNING', 'PAUSED');
INSERT OR IGNORE INTO approval_eligible (principal, created_at, action_execution_id, not_self_1, not_self_2)
    SELECT coalesce(p.value, 'any'), a.created_at, a.id,
        CASE WHEN json_extract(a.approval, '$.allow_self_approval') THEN '' ELSE coalesce(json_extract(a.approval, '$.requested_by'), '') END,
        CASE WHEN json_extract(a.approval, '$.allow_self_approval') THEN '' ELSE coalesce(json_extract(a.approval, '$.started_by'), '') END
    FROM action_executions a LEFT JOIN json_each(a.approval, '$.approvers') p
    WHERE a.approval IS NOT NULL AND a.state IN ('RUNNING', 'PAUSED');
