-- Overdue-action notices now live in the staff's inbox (the notifications
-- table, store migration 0017): the notices stored so far move there, to
-- the owner's unit when a unit has the owner's code, else to the owner's
-- login ("user:NAME"), read or unread as they were.
INSERT INTO notifications (target, action_id, meeting_id, kind, deadline, message, created_at, read_at)
    SELECT CASE WHEN EXISTS (SELECT 1 FROM units u WHERE u.code = mn.target) THEN mn.target ELSE 'user:' || mn.target END,
        mn.action_id, mn.meeting_id, mn.kind, mn.deadline, mn.message, mn.created_at, mn.read_at
    FROM meeting_notices mn WHERE true -- (SQLite needs a WHERE before an upsert's ON)
    ON CONFLICT (action_id, kind, target, deadline) WHERE action_id IS NOT NULL DO NOTHING;
DROP TABLE meeting_notices;
