-- Rollups for the dashboards (issue 5). Every counter is a sum over orders
-- (or callbacks) of a function of the order's current row, so the store keeps
-- them exact by subtracting an order's old contribution and adding its new one
-- in the same transaction as each action (store/rollup.go). Days are
-- Asia/Shanghai calendar days as day numbers since 1970-01-01
-- ((micros + 8 h) / 1 day); unit '' is the center (no unit).

-- Orders by the day they were created, their current unit and status.
CREATE TABLE rollup_created (
    day       INTEGER NOT NULL,
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
    day       INTEGER NOT NULL,
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
    day          INTEGER NOT NULL,
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

-- The rollups are filled from what the database already holds by the Go
-- step registered for this migration (afterMigration in store.go), which
-- runs the same statements as Store.RebuildRollups in the same transaction.
