-- The inbox also carries the meetings' overdue follow-up actions (issue
-- 15), so a notification is about an order or about a meeting's action:
-- order_id becomes optional and action_id/meeting_id say which action.
-- An action's notice goes out once per (action, kind, target, deadline),
-- as an order's does per (order, kind, target, deadline). No foreign key
-- to meeting_actions: that table belongs to the meetings module, migrated
-- after this store. SQLite cannot drop NOT NULL, so the table is rebuilt.
CREATE TABLE notifications_new (
    id          INTEGER PRIMARY KEY,
    target      TEXT NOT NULL,
    order_id    INTEGER REFERENCES orders(id),
    kind        TEXT NOT NULL,
    deadline    INTEGER NOT NULL,
    message     TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    read_at     INTEGER,
    action_id   INTEGER,
    meeting_id  INTEGER,
    UNIQUE (order_id, kind, target, deadline),
    CHECK ((order_id IS NULL) <> (action_id IS NULL))
);
INSERT INTO notifications_new (id, target, order_id, kind, deadline, message, created_at, read_at)
    SELECT id, target, order_id, kind, deadline, message, created_at, read_at FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_new RENAME TO notifications;
CREATE INDEX notifications_target ON notifications(target, id);
CREATE UNIQUE INDEX notifications_action ON notifications(action_id, kind, target, deadline) WHERE action_id IS NOT NULL;
