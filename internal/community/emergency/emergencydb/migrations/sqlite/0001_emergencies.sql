-- Emergency events (community.md §4). compounds and buildings are the
-- event's JSON lists as declared; the check list is its own table, written
-- once at declaration by one INSERT … SELECT over the registry. Notes are
-- sealed (internal/seal, bound to event and check). Every change appends to
-- emergency_history, whose seq is what the live board is told.
CREATE TABLE emergencies (
    id             INTEGER PRIMARY KEY,
    area           TEXT NOT NULL REFERENCES units(code),
    kind           TEXT NOT NULL CHECK (kind IN ('typhoon', 'flood', 'fire', 'epidemic', 'other')),
    name           TEXT NOT NULL,
    level          TEXT NOT NULL CHECK (level IN ('blue', 'yellow', 'orange', 'red')),
    started_at     INTEGER NOT NULL,
    compounds      TEXT NOT NULL,
    buildings      TEXT NOT NULL,
    all_households BOOLEAN NOT NULL DEFAULT FALSE,
    status         TEXT NOT NULL CHECK (status IN ('active', 'closed')),
    closed_at      INTEGER,
    created_by     TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    version        INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX emergencies_area ON emergencies(area, id);

CREATE TABLE emergency_volunteers (
    emergency_id INTEGER NOT NULL REFERENCES emergencies(id),
    username     TEXT NOT NULL,
    PRIMARY KEY (emergency_id, username)
);
CREATE INDEX emergency_volunteers_user ON emergency_volunteers(username, emergency_id);

-- resident is NULL for a household's own check (all_households).
CREATE TABLE emergency_checks (
    id           INTEGER PRIMARY KEY,
    emergency_id INTEGER NOT NULL REFERENCES emergencies(id),
    resident     INTEGER,
    household    INTEGER NOT NULL,
    building     TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'unchecked' CHECK (status IN ('unchecked', 'safe', 'needs_help', 'evacuated', 'unreachable')),
    note         BLOB,
    checked_by   TEXT NOT NULL DEFAULT '',
    checked_at   INTEGER,
    version      INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX emergency_checks_status ON emergency_checks(emergency_id, status, id);
CREATE INDEX emergency_checks_building ON emergency_checks(emergency_id, building, status);

-- One row per applied op_id: a phone resending the same change gets the
-- stored answer; digest (a keyed hash of the change) tells a replay from a
-- different change under a reused op_id.
CREATE TABLE emergency_ops (
    emergency_id INTEGER NOT NULL,
    op_id        TEXT NOT NULL,
    check_id     INTEGER NOT NULL,
    digest       BLOB NOT NULL,
    status       TEXT NOT NULL,
    note         BLOB,
    checked_by   TEXT NOT NULL,
    checked_at   INTEGER NOT NULL,
    version      INTEGER NOT NULL,
    PRIMARY KEY (emergency_id, op_id)
);

CREATE TABLE emergency_tasks (
    id           INTEGER PRIMARY KEY,
    emergency_id INTEGER NOT NULL REFERENCES emergencies(id),
    what         TEXT NOT NULL,
    building     TEXT NOT NULL,
    household    INTEGER,
    assignee     TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('open', 'in_progress', 'done')),
    created_by   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX emergency_tasks_event ON emergency_tasks(emergency_id, id);

CREATE TABLE emergency_history (
    seq          INTEGER PRIMARY KEY,
    emergency_id INTEGER NOT NULL REFERENCES emergencies(id),
    at           INTEGER NOT NULL,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    target       TEXT NOT NULL DEFAULT '',
    detail       TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX emergency_history_event ON emergency_history(emergency_id, seq);
