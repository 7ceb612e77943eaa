-- The timeout ladder of approvals (issue 16): its reminders and
-- escalations are audit records of their own kinds ('reminder',
-- 'escalation'); its timeout decision is a 'timeout' record. Its rungs are
-- job rows (kind 'approval_rung'), which need no schema.
ALTER TABLE audit DROP CONSTRAINT audit_kind_check;
ALTER TABLE audit ADD CONSTRAINT audit_kind_check
    CHECK (kind IN ('decision', 'override', 'timeout', 'admin', 'reminder', 'escalation'));
