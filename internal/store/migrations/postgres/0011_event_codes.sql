-- Smaller event rows, part two (issue 5: 10 million orders in about 20 GB).
-- An event's actor, action and statuses are a few dozen words repeated in
-- every one of its ~7 rows per order (about 36 bytes a row as text). They
-- are stored as codes into two small tables: event_words (actions and
-- states, SMALLINT) and event_actors (user names, INTEGER: a center adds
-- users for years). The store keeps both tables in memory and gives a new
-- word the next code the first time it writes it (store/terms.go); the
-- hash chain is computed over the words, as before, so `hotline verify`
-- still finds a changed event — and a changed word in these tables.
-- The table is rebuilt (as in 0009) rather than altered: an altered column
-- keeps its place, and a SMALLINT between texts costs its alignment. A word
-- missing from the new tables would be a NULL, which NOT NULL refuses, so
-- the migration stops instead of losing a row.
-- orders_created is dropped: orders_created_place (0004) leads with the
-- same column, and answers every range of created_at the other answered.
CREATE TABLE event_words (
    code  SMALLINT PRIMARY KEY,
    word  TEXT NOT NULL UNIQUE
);
CREATE TABLE event_actors (
    code  INTEGER PRIMARY KEY,
    name  TEXT NOT NULL UNIQUE
);
-- The words every database has, in a fixed order: the empty status (a
-- created order's from_status), the states in lifecycle order, then the
-- actions. Any other word already stored follows; a word first used later
-- gets the next code when it is first written (store/terms.go).
INSERT INTO event_words (code, word) VALUES
    (1, ''), (2, 'received'), (3, 'answered'), (4, 'dispatched'), (5, 'accepted'), (6, 'in_progress'),
    (7, 'return_requested'), (8, 'returned'), (9, 'replied'), (10, 'reviewed'), (11, 'closed'), (12, 'merged'),
    (13, 'invalid'), (14, 'create'), (15, 'dispatch'), (16, 'redispatch'), (17, 'answer'), (18, 'accept'),
    (19, 'request_return'), (20, 'approve_return'), (21, 'reject_return'), (22, 'contact'), (23, 'note'),
    (24, 'request_extension'), (25, 'approve_extension'), (26, 'reject_extension'), (27, 'reply'),
    (28, 'approve_reply'), (29, 'reject_reply'), (30, 'callback'), (31, 'close'), (32, 'reopen'), (33, 'urge'),
    (34, 'supervise'), (35, 'merge'), (36, 'merge_in'), (37, 'overdue'), (38, 'invalidate'), (39, 'platform_update');
INSERT INTO event_words (code, word)
    SELECT 39 + ROW_NUMBER() OVER (ORDER BY word), word FROM (
        SELECT action AS word FROM order_events
        UNION SELECT from_status FROM order_events
        UNION SELECT to_status FROM order_events) w
    WHERE word NOT IN (SELECT word FROM event_words);
INSERT INTO event_actors (code, name)
    SELECT ROW_NUMBER() OVER (ORDER BY actor), actor FROM (SELECT DISTINCT actor FROM order_events) a;
CREATE TABLE order_events_0011 (
    order_id    BIGINT NOT NULL,
    at          BIGINT NOT NULL,
    seq         INTEGER NOT NULL,
    actor       INTEGER NOT NULL,
    action      SMALLINT NOT NULL,
    from_status SMALLINT NOT NULL,
    to_status   SMALLINT NOT NULL,
    body        TEXT NOT NULL,
    hash        BYTEA NOT NULL
);
INSERT INTO order_events_0011 (order_id, at, seq, actor, action, from_status, to_status, body, hash)
    SELECT e.order_id, e.at, e.seq, a.code, wa.code, wf.code, wt.code, e.body, e.hash
    FROM order_events e
    LEFT JOIN event_actors a ON a.name = e.actor
    LEFT JOIN event_words wa ON wa.word = e.action
    LEFT JOIN event_words wf ON wf.word = e.from_status
    LEFT JOIN event_words wt ON wt.word = e.to_status
    ORDER BY e.order_id, e.seq;
DROP TABLE order_events;
ALTER TABLE order_events_0011 RENAME TO order_events;
ALTER TABLE order_events ADD CONSTRAINT order_events_pkey PRIMARY KEY (order_id, seq);
ALTER TABLE order_events ADD CONSTRAINT order_events_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders(id);
DROP INDEX orders_created;
