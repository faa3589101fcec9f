-- The doors citizens and outside apps use (citizen portal, Open311): API
-- keys, the public side of an order (tracking token hash, Open311 token,
-- attributes), citizen ratings and photos. Only store/public.go reads and
-- writes these tables. Times are INTEGER microseconds (UTC).
CREATE TABLE api_keys (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    key_hash    TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);

CREATE TABLE public_orders (
    order_id        INTEGER PRIMARY KEY REFERENCES orders(id),
    channel         TEXT NOT NULL,
    tracking_hash   TEXT NOT NULL DEFAULT '',
    open311_token   TEXT NOT NULL DEFAULT '',
    api_key_id      INTEGER,
    account_id      TEXT NOT NULL DEFAULT '',
    device_id       TEXT NOT NULL DEFAULT '',
    media_url       TEXT NOT NULL DEFAULT '',
    attributes      TEXT NOT NULL DEFAULT '{}',
    praised         TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX public_orders_tracking ON public_orders(tracking_hash) WHERE tracking_hash <> '';
CREATE UNIQUE INDEX public_orders_token ON public_orders(open311_token) WHERE open311_token <> '';

CREATE TABLE citizen_ratings (
    id          INTEGER PRIMARY KEY,
    order_id    INTEGER NOT NULL REFERENCES orders(id),
    round       INTEGER NOT NULL,
    outcome     TEXT NOT NULL,
    resolved    BOOLEAN NOT NULL,
    comment     TEXT NOT NULL DEFAULT '',
    at          INTEGER NOT NULL,
    after_seq   INTEGER NOT NULL,
    state       TEXT NOT NULL,
    applied_at  INTEGER,
    UNIQUE (order_id, round)
);
CREATE INDEX citizen_ratings_pending ON citizen_ratings(state) WHERE state = 'pending';

CREATE TABLE order_photos (
    id            INTEGER PRIMARY KEY,
    order_id      INTEGER NOT NULL REFERENCES orders(id),
    content_type  TEXT NOT NULL,
    width         INTEGER NOT NULL,
    height        INTEGER NOT NULL,
    data          BLOB NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX order_photos_order ON order_photos(order_id);

CREATE INDEX orders_updated ON orders(updated_at);
