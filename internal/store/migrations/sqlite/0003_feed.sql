-- Municipal platform feed (issue 6): platforms and their secrets, the
-- replay guard, the link from an order to the platform it came from, and the
-- outbox of status changes to deliver back. Times are INTEGER microseconds.
CREATE TABLE feed_platforms (
    name         TEXT PRIMARY KEY,
    secret       TEXT NOT NULL,              -- sealed: "aesgcm:…" or "plain:…" (docs/feed.md)
    deliver_url  TEXT NOT NULL DEFAULT '',
    active       BOOLEAN NOT NULL DEFAULT TRUE,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);

-- Signatures seen within the timestamp window: a second use is a replay.
CREATE TABLE feed_nonces (
    platform    TEXT NOT NULL,
    signature   TEXT NOT NULL,
    expires_at  INTEGER NOT NULL,
    PRIMARY KEY (platform, signature)
);
CREATE INDEX feed_nonces_expiry ON feed_nonces(expires_at);

-- An order that came through the feed, and the platform it belongs to.
CREATE TABLE feed_orders (
    order_id       INTEGER PRIMARY KEY REFERENCES orders(id),
    platform       TEXT NOT NULL REFERENCES feed_platforms(name),
    platform_id    TEXT NOT NULL,
    deadline       INTEGER,
    platform_created_at INTEGER,
    UNIQUE (platform, platform_id)
);

-- Status changes to deliver, written in the transaction of the change.
CREATE TABLE feed_outbox (
    id           INTEGER PRIMARY KEY,
    platform     TEXT NOT NULL,
    order_id     INTEGER NOT NULL REFERENCES orders(id),
    seq          INTEGER NOT NULL,
    payload      TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_at      INTEGER NOT NULL,
    lease_until  INTEGER NOT NULL DEFAULT 0,
    lease_owner  TEXT NOT NULL DEFAULT '',
    delivered_at INTEGER,
    last_error   TEXT NOT NULL DEFAULT '',
    UNIQUE (order_id, seq)
);
CREATE INDEX feed_outbox_pending ON feed_outbox(next_at, id) WHERE delivered_at IS NULL;
CREATE INDEX feed_outbox_order ON feed_outbox(order_id, seq) WHERE delivered_at IS NULL;
