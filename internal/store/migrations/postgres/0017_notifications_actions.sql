-- The inbox also carries the meetings' overdue follow-up actions (issue
-- 15), so a notification is about an order or about a meeting's action:
-- order_id becomes optional and action_id/meeting_id say which action.
-- An action's notice goes out once per (action, kind, target, deadline),
-- as an order's does per (order, kind, target, deadline). No foreign key
-- to meeting_actions: that table belongs to the meetings module, migrated
-- after this store.
ALTER TABLE notifications ALTER COLUMN order_id DROP NOT NULL;
ALTER TABLE notifications ADD COLUMN action_id BIGINT;
ALTER TABLE notifications ADD COLUMN meeting_id BIGINT;
ALTER TABLE notifications ADD CONSTRAINT notifications_about CHECK ((order_id IS NULL) <> (action_id IS NULL));
CREATE UNIQUE INDEX notifications_action ON notifications(action_id, kind, target, deadline) WHERE action_id IS NOT NULL;
