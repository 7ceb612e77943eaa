-- The inbox's "waiting for me" (issue 13, item 5): who may decide each
-- pending approval, in rows an index can walk, and what its row shows.
-- The engine writes both when an approval starts and when a vote leaves it
-- waiting (engine.ApprovalEntry); the store's update of an approval that
-- leaves RUNNING and PAUSED drops them (UpdateActionExecution), so the
-- tables hold pending approvals only and their walks never step over
-- finished ones. (Not a trigger: a trigger on action_executions runs on
-- every update of every action; it cost about 7 % more of the engine's CPU
-- per workflow.)

-- What an inbox row shows of a pending approval.
CREATE TABLE approval_pending (
    action_execution_id TEXT PRIMARY KEY REFERENCES action_executions (id) ON DELETE CASCADE,
    title               TEXT NOT NULL,
    requested_by        TEXT NOT NULL DEFAULT '',
    missing             TEXT NOT NULL DEFAULT ''  -- what the votes still lack: "1 more from security"
);

-- Who it waits for: a row per approvers entry ('user:<name>',
-- 'group:<name>'), or one 'any' row for an approval that names none
-- (anyone with the approver role); and a 'not:<name>' row per person it
-- does not wait for all the same: its requester and its execution's
-- starter (unless it allows self-approval), and who voted. Keyed by
-- principal, then the action's created_at: the approvals waiting for a
-- person are the merge, in the inbox's order, of the walks of their
-- principals' rows, less the walk of their not: rows; each walk reads its
-- index in order, never looking a row up.
CREATE TABLE approval_eligible (
    principal           TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    action_execution_id TEXT NOT NULL REFERENCES action_executions (id) ON DELETE CASCADE,
    PRIMARY KEY (principal, created_at, action_execution_id)
) WITHOUT ROWID;
-- An approval's rows: to replace or drop them, and to tell whether one
-- row of an inbox page waits for its viewer.
CREATE INDEX approval_eligible_action ON approval_eligible (action_execution_id, principal);

-- Approvals pending when this migration runs, from their stored requests
-- and votes. What they miss is left blank (the engine's tally is not SQL);
-- their next vote fills it in.
INSERT INTO approval_pending (action_execution_id, title, requested_by)
    SELECT id, coalesce(json_extract(approval, '$.title'), ''), coalesce(json_extract(approval, '$.requested_by'), '')
    FROM action_executions WHERE approval IS NOT NULL AND state IN ('RUNNING', 'PAUSED');
INSERT OR IGNORE INTO approval_eligible (principal, created_at, action_execution_id)
    SELECT coalesce(p.value, 'any'), a.created_at, a.id
    FROM action_executions a LEFT JOIN json_each(a.approval, '$.approvers') p
    WHERE a.approval IS NOT NULL AND a.state IN ('RUNNING', 'PAUSED');
INSERT OR IGNORE INTO approval_eligible (principal, created_at, action_execution_id)
    SELECT 'not:' || name, created_at, id FROM (
        SELECT json_extract(approval, '$.requested_by') AS name, created_at, id, approval FROM action_executions
            WHERE approval IS NOT NULL AND state IN ('RUNNING', 'PAUSED')
        UNION ALL
        SELECT json_extract(approval, '$.started_by'), created_at, id, approval FROM action_executions
            WHERE approval IS NOT NULL AND state IN ('RUNNING', 'PAUSED'))
    WHERE coalesce(name, '') <> '' AND NOT coalesce(json_extract(approval, '$.allow_self_approval'), 0);
INSERT OR IGNORE INTO approval_eligible (principal, created_at, action_execution_id)
    SELECT 'not:' || v.user_name, a.created_at, a.id
    FROM action_executions a JOIN approval_votes v ON v.action_execution_id = a.id
    WHERE a.approval IS NOT NULL AND a.state IN ('RUNNING', 'PAUSED') AND v.user_name <> '';
