-- Core schema (SQLite). Times are INTEGER microseconds since the Unix epoch
-- (UTC) in both dialects, so that the same SQL compares and buckets them.
CREATE TABLE units (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    name_en     TEXT NOT NULL DEFAULT '',
    kind        TEXT NOT NULL,
    active      BOOLEAN NOT NULL DEFAULT TRUE
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    unit          TEXT REFERENCES units(code),
    display_name  TEXT NOT NULL DEFAULT '',
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX sessions_expiry ON sessions(expires_at);

CREATE TABLE categories (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    name_en     TEXT NOT NULL DEFAULT '',
    parent      TEXT NOT NULL DEFAULT '',
    unit        TEXT NOT NULL DEFAULT '',
    attributes  TEXT NOT NULL DEFAULT '[]',
    keywords    TEXT NOT NULL DEFAULT '',
    sort        INTEGER NOT NULL DEFAULT 0,
    active      BOOLEAN NOT NULL DEFAULT TRUE
);

CREATE TABLE compounds (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    committee   TEXT NOT NULL REFERENCES units(code),
    geojson     TEXT NOT NULL DEFAULT '',
    lat         REAL,
    lng         REAL
);

CREATE TABLE buildings (
    compound    TEXT NOT NULL REFERENCES compounds(code),
    number      TEXT NOT NULL,
    floors      INTEGER NOT NULL DEFAULT 0,
    low_lying   BOOLEAN NOT NULL DEFAULT FALSE,
    lat         REAL,
    lng         REAL,
    PRIMARY KEY (compound, number)
);

CREATE TABLE day_serials (
    day   TEXT PRIMARY KEY,
    last  INTEGER NOT NULL
);

CREATE TABLE orders (
    id                  INTEGER PRIMARY KEY,
    number              TEXT NOT NULL UNIQUE,
    type                TEXT NOT NULL,
    source              TEXT NOT NULL,
    urgency             TEXT NOT NULL,
    status              TEXT NOT NULL,
    title               TEXT NOT NULL,
    description         TEXT NOT NULL,
    category            TEXT NOT NULL DEFAULT '',
    unit                TEXT,
    co_units            TEXT NOT NULL DEFAULT '[]',
    caller_name         TEXT NOT NULL DEFAULT '',
    caller_phone        TEXT NOT NULL DEFAULT '',
    caller_confidential BOOLEAN NOT NULL DEFAULT FALSE,
    caller_anonymous    BOOLEAN NOT NULL DEFAULT FALSE,
    co_callers          TEXT NOT NULL DEFAULT '[]',
    address             TEXT NOT NULL DEFAULT '',
    compound            TEXT NOT NULL DEFAULT '',
    building            TEXT NOT NULL DEFAULT '',
    lat                 REAL,
    lng                 REAL,
    external_id         TEXT NOT NULL DEFAULT '',
    round               INTEGER NOT NULL,
    version             INTEGER NOT NULL,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    dispatched_at       INTEGER,
    sign_due            INTEGER,
    contact_due         INTEGER,
    due                 INTEGER,
    accepted_at         INTEGER,
    contacted_at        INTEGER,
    replied_at          INTEGER,
    closed_at           INTEGER,
    urge_count          INTEGER NOT NULL DEFAULT 0,
    supervised          BOOLEAN NOT NULL DEFAULT FALSE,
    parent              INTEGER,
    children            TEXT NOT NULL DEFAULT '[]',
    satisfaction        TEXT NOT NULL DEFAULT '',
    resolved            BOOLEAN,
    reopen_count        INTEGER NOT NULL DEFAULT 0,
    reply_result        TEXT NOT NULL DEFAULT '',
    reply_text          TEXT NOT NULL DEFAULT '',
    return_from         TEXT NOT NULL DEFAULT '',
    pending_extension   TEXT NOT NULL DEFAULT '',
    event_count         INTEGER NOT NULL DEFAULT 0,
    last_hash           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX orders_status ON orders(status, id);
CREATE INDEX orders_unit ON orders(unit, status, id);
CREATE INDEX orders_created ON orders(created_at);
CREATE INDEX orders_dispatched ON orders(dispatched_at);
CREATE INDEX orders_due ON orders(due) WHERE status IN ('dispatched', 'accepted', 'in_progress', 'return_requested');
CREATE UNIQUE INDEX orders_external ON orders(source, external_id) WHERE external_id <> '';

CREATE TABLE order_events (
    order_id    INTEGER NOT NULL REFERENCES orders(id),
    seq         INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    body        TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL,
    PRIMARY KEY (order_id, seq)
);

-- Full-text search over gse tokens (title + description), rowid = orders.id.
CREATE VIRTUAL TABLE order_fts USING fts5(tokens, tokenize = 'unicode61');

CREATE TABLE callbacks (
    id        INTEGER PRIMARY KEY,
    order_id  INTEGER NOT NULL REFERENCES orders(id),
    at        INTEGER NOT NULL,
    outcome   TEXT NOT NULL,
    resolved  BOOLEAN NOT NULL,
    unit      TEXT NOT NULL DEFAULT '',
    round     INTEGER NOT NULL
);
CREATE INDEX callbacks_order ON callbacks(order_id);

CREATE TABLE notifications (
    id          INTEGER PRIMARY KEY,
    target      TEXT NOT NULL,
    order_id    INTEGER NOT NULL REFERENCES orders(id),
    kind        TEXT NOT NULL,
    deadline    INTEGER NOT NULL,
    message     TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    read_at     INTEGER,
    UNIQUE (order_id, kind, target, deadline)
);
CREATE INDEX notifications_target ON notifications(target, id);

CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    target  TEXT NOT NULL,
    detail  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_at ON audit_log(at);

CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

CREATE TABLE calendar_days (
    date        TEXT PRIMARY KEY,
    name        TEXT NOT NULL DEFAULT '',
    off_day     BOOLEAN NOT NULL,
    updated_by  TEXT NOT NULL DEFAULT '',
    updated_at  INTEGER NOT NULL
);
