-- Consultation meetings (community.md §3). Times are integer microseconds UTC.
CREATE TABLE meetings (
    id           INTEGER PRIMARY KEY,
    area         TEXT NOT NULL REFERENCES units(code),
    compound     TEXT NOT NULL REFERENCES compounds(code),
    kind         TEXT NOT NULL,
    topic        TEXT NOT NULL,
    starts_at    INTEGER NOT NULL,
    place        TEXT NOT NULL DEFAULT '',
    participants TEXT NOT NULL DEFAULT '[]',
    minutes      TEXT NOT NULL DEFAULT '',
    decisions    TEXT NOT NULL DEFAULT '[]',
    status       TEXT NOT NULL,
    version      INTEGER NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX meetings_area ON meetings(area, starts_at, id);
CREATE INDEX meetings_compound ON meetings(compound, starts_at, id);
CREATE TABLE meeting_orders (
    meeting_id INTEGER NOT NULL REFERENCES meetings(id),
    order_id   INTEGER NOT NULL REFERENCES orders(id),
    PRIMARY KEY (meeting_id, order_id)
);
CREATE INDEX meeting_orders_order ON meeting_orders(order_id, meeting_id);
CREATE TABLE meeting_actions (
    id          INTEGER PRIMARY KEY,
    meeting_id  INTEGER NOT NULL REFERENCES meetings(id),
    text        TEXT NOT NULL,
    owner       TEXT NOT NULL,
    due         INTEGER NOT NULL,
    status      TEXT NOT NULL,
    done_at     INTEGER,
    done_by     TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);
CREATE INDEX meeting_actions_meeting ON meeting_actions(meeting_id, id);
CREATE INDEX meeting_actions_open ON meeting_actions(due) WHERE status = 'open';
-- Overdue-action notices: the unique key makes each go out once however
-- many sweepers run (INSERT … ON CONFLICT DO NOTHING), as for orders.
CREATE TABLE meeting_notices (
    id          INTEGER PRIMARY KEY,
    target      TEXT NOT NULL,
    action_id   INTEGER NOT NULL REFERENCES meeting_actions(id),
    meeting_id  INTEGER NOT NULL REFERENCES meetings(id),
    kind        TEXT NOT NULL,
    deadline    INTEGER NOT NULL,
    message     TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    read_at     INTEGER,
    UNIQUE (action_id, kind, target, deadline)
);
CREATE INDEX meeting_notices_target ON meeting_notices(target, id);
