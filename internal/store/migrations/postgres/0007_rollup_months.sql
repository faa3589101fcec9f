-- Monthly rollups (issue 5): the same counters as rollup_created,
-- rollup_closed and rollup_rates summed over each Asia/Shanghai calendar
-- month, keyed by the day number of the month's first day. A long period
-- reads its whole months here and its edge days from the daily tables
-- (store/rollup.go); rollupUpdate/rollupCreate write the monthly rows in the
-- same transaction as the daily ones, so both levels are always equal.
CREATE TABLE rollup_created_m (
    day       BIGINT NOT NULL,
    unit      TEXT NOT NULL,
    category  TEXT NOT NULL,
    type      TEXT NOT NULL,
    status    TEXT NOT NULL,
    n         BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, unit, category, type, status)
);

CREATE TABLE rollup_closed_m (
    day       BIGINT NOT NULL,
    unit      TEXT NOT NULL,
    category  TEXT NOT NULL,
    type      TEXT NOT NULL,
    n         BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, unit, category, type)
);

CREATE TABLE rollup_rates_m (
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

-- Orders created and closed per day and unit: the overview's per-day chart
-- over a long period reads a dozen rows a day instead of every
-- category × type × status row.
CREATE TABLE rollup_days (
    day       BIGINT NOT NULL,
    unit      TEXT NOT NULL,
    created   BIGINT NOT NULL DEFAULT 0,
    closed    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, unit)
);

-- The map's counts: orders by the day of creation, current unit, category
-- and compound ('' for none), daily and monthly (the month's first day).
CREATE TABLE rollup_places (
    day       BIGINT NOT NULL,
    unit      TEXT NOT NULL,
    category  TEXT NOT NULL,
    compound  TEXT NOT NULL,
    n         BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, unit, category, compound)
);

CREATE TABLE rollup_places_m (
    day       BIGINT NOT NULL,
    unit      TEXT NOT NULL,
    category  TEXT NOT NULL,
    compound  TEXT NOT NULL,
    n         BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, unit, category, compound)
);

INSERT INTO rollup_places (day, unit, category, compound, n)
SELECT (created_at + 28800000000) / 86400000000, COALESCE(unit, ''), category, compound, COUNT(*)
FROM orders GROUP BY 1, 2, 3, 4;

INSERT INTO rollup_places_m (day, unit, category, compound, n)
SELECT (date_trunc('month', DATE '1970-01-01' + day::integer)::date - DATE '1970-01-01'), unit, category, compound, SUM(n) FROM rollup_places GROUP BY 1, 2, 3, 4;

-- Filled from the daily rollups already there (the same statements as
-- monthStatements in store/rollup.go, which RebuildRollups runs).
INSERT INTO rollup_created_m (day, unit, category, type, status, n)
SELECT (date_trunc('month', DATE '1970-01-01' + day::integer)::date - DATE '1970-01-01'), unit, category, type, status, SUM(n) FROM rollup_created GROUP BY 1, 2, 3, 4, 5;

INSERT INTO rollup_closed_m (day, unit, category, type, n)
SELECT (date_trunc('month', DATE '1970-01-01' + day::integer)::date - DATE '1970-01-01'), unit, category, type, SUM(n) FROM rollup_closed GROUP BY 1, 2, 3, 4;

INSERT INTO rollup_rates_m (day, unit, category, type, dispatched, responded, replied, on_time, closed, reopened, callbacks, cb_resolved, cb_satisfied)
SELECT (date_trunc('month', DATE '1970-01-01' + day::integer)::date - DATE '1970-01-01'), unit, category, type, SUM(dispatched), SUM(responded), SUM(replied), SUM(on_time), SUM(closed), SUM(reopened),
    SUM(callbacks), SUM(cb_resolved), SUM(cb_satisfied)
FROM rollup_rates GROUP BY 1, 2, 3, 4;

INSERT INTO rollup_days (day, unit, created, closed)
SELECT day, unit, SUM(c), SUM(x) FROM (
    SELECT day, unit, n AS c, 0 AS x FROM rollup_created
    UNION ALL
    SELECT day, unit, 0, n FROM rollup_closed
) r GROUP BY day, unit;
