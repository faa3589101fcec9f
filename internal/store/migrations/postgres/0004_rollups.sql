-- Rollups for the dashboards (issue 5). Every counter is a sum over orders
-- (or callbacks) of a function of the order's current row, so the store keeps
-- them exact by subtracting an order's old contribution and adding its new one
-- in the same transaction as each action (store/rollup.go). Days are
-- Asia/Shanghai calendar days as day numbers since 1970-01-01
-- ((micros + 8 h) / 1 day); unit '' is the center (no unit).

-- Orders by the day they were created, their current unit and status.
CREATE TABLE rollup_created (
    day       BIGINT NOT NULL,
    unit      TEXT NOT NULL,
    category  TEXT NOT NULL,
    type      TEXT NOT NULL,
    status    TEXT NOT NULL,
    n         BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, unit, category, type, status)
);

-- The praise board reads one type over many days.
CREATE INDEX rollup_created_type ON rollup_created(type, day);

-- Closed orders (status closed) by the day they were closed.
CREATE TABLE rollup_closed (
    day       BIGINT NOT NULL,
    unit      TEXT NOT NULL,
    category  TEXT NOT NULL,
    type      TEXT NOT NULL,
    n         BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, unit, category, type)
);

-- The numerators and denominators of the rates, by the day of first dispatch.
-- Order counters use the order's current unit; callback counters the unit
-- that held the order when the callback was made. Only counted orders (not
-- praise, invalid, merged or answered) contribute.
CREATE TABLE rollup_rates (
    day          BIGINT NOT NULL,
    unit         TEXT NOT NULL,
    category     TEXT NOT NULL,
    type         TEXT NOT NULL,
    dispatched   BIGINT NOT NULL DEFAULT 0,
    responded    BIGINT NOT NULL DEFAULT 0,
    replied      BIGINT NOT NULL DEFAULT 0,
    on_time      BIGINT NOT NULL DEFAULT 0,
    closed       BIGINT NOT NULL DEFAULT 0,
    reopened     BIGINT NOT NULL DEFAULT 0,
    callbacks    BIGINT NOT NULL DEFAULT 0,
    cb_resolved  BIGINT NOT NULL DEFAULT 0,
    cb_satisfied BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, unit, category, type)
);

-- The time-dependent part of the on-time base: counted orders not replied in
-- their current round whose due may pass. Few rows (the open ones).
CREATE INDEX orders_unreplied ON orders(dispatched_at, due, unit)
    WHERE replied_at IS NULL AND due IS NOT NULL AND type <> 'praise' AND status NOT IN ('invalid', 'merged', 'answered');

-- Overdue now: open orders with their deadlines, covered.
CREATE INDEX orders_open_deadlines ON orders(status, unit, sign_due, contact_due, due, return_from)
    WHERE status IN ('dispatched', 'accepted', 'in_progress', 'return_requested');

-- The praise board reads praise orders of a period.
CREATE INDEX orders_type_created ON orders(type, created_at);

-- Repeat callers and places and the map's counts read the orders of a
-- period from this index alone (covering).
CREATE INDEX orders_created_place ON orders(created_at, compound, category, unit, caller_phone, address, id);
-- Fill the rollups from what an existing database already holds (the same
-- statements as Store.RebuildRollups).
INSERT INTO rollup_created (day, unit, category, type, status, n)
SELECT (created_at + 28800000000) / 86400000000, COALESCE(unit, ''), category, type, status, COUNT(*)
FROM orders GROUP BY 1, 2, 3, 4, 5;

INSERT INTO rollup_closed (day, unit, category, type, n)
SELECT (closed_at + 28800000000) / 86400000000, COALESCE(unit, ''), category, type, COUNT(*)
FROM orders WHERE status = 'closed' AND closed_at IS NOT NULL GROUP BY 1, 2, 3, 4;

INSERT INTO rollup_rates (day, unit, category, type, dispatched, responded, replied, on_time, closed, reopened, callbacks, cb_resolved, cb_satisfied)
SELECT day, unit, category, type, SUM(a), SUM(b), SUM(c), SUM(d), SUM(e), SUM(f), SUM(g), SUM(h), SUM(i) FROM (
    SELECT (dispatched_at + 28800000000) / 86400000000 AS day, COALESCE(unit, '') AS unit, category, type, 1 AS a,
        CASE WHEN contacted_at IS NOT NULL AND contacted_at <= contact_due THEN 1 ELSE 0 END AS b,
        CASE WHEN replied_at IS NOT NULL THEN 1 ELSE 0 END AS c,
        CASE WHEN replied_at IS NOT NULL AND replied_at <= due THEN 1 ELSE 0 END AS d,
        CASE WHEN status = 'closed' THEN 1 ELSE 0 END AS e,
        CASE WHEN status = 'closed' AND reopen_count > 0 THEN 1 ELSE 0 END AS f,
        0 AS g, 0 AS h, 0 AS i
    FROM orders WHERE dispatched_at IS NOT NULL AND type <> 'praise' AND status NOT IN ('invalid', 'merged', 'answered')
    UNION ALL
    SELECT (o.dispatched_at + 28800000000) / 86400000000, c.unit, o.category, o.type, 0, 0, 0, 0, 0, 0,
        CASE WHEN c.outcome <> 'unreachable' THEN 1 ELSE 0 END,
        CASE WHEN c.outcome <> 'unreachable' AND c.resolved THEN 1 ELSE 0 END,
        CASE WHEN c.outcome IN ('satisfied', 'basically_satisfied') THEN 1 ELSE 0 END
    FROM callbacks c JOIN orders o ON o.id = c.order_id
    WHERE o.dispatched_at IS NOT NULL AND o.type <> 'praise' AND o.status NOT IN ('invalid', 'merged', 'answered')
) x GROUP BY day, unit, category, type;
