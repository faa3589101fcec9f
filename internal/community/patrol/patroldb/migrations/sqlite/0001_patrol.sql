-- Volunteers and patrols (community.md §2). Times are integer microseconds
-- UTC; a volunteer's phone is sealed (internal/seal) with a blind index.
CREATE TABLE volunteer_teams (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    area        TEXT NOT NULL REFERENCES units(code),
    created_at  INTEGER NOT NULL,
    UNIQUE (area, name)
);
CREATE TABLE volunteers (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    phone_sealed BLOB,
    phone_index  BLOB,
    phone_masked TEXT NOT NULL DEFAULT '',
    party_member INTEGER NOT NULL DEFAULT 0,
    skills       TEXT NOT NULL DEFAULT '[]',
    team         INTEGER REFERENCES volunteer_teams(id),
    area         TEXT NOT NULL REFERENCES units(code),
    resident     TEXT,
    username     TEXT UNIQUE,
    unavailable  TEXT NOT NULL DEFAULT '[]',
    version      INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX volunteers_area ON volunteers(area, id);
CREATE INDEX volunteers_team ON volunteers(team, id);
CREATE INDEX volunteers_phone ON volunteers(phone_index);
CREATE TABLE patrol_shifts (
    id          INTEGER PRIMARY KEY,
    area        TEXT NOT NULL REFERENCES units(code),
    compound    TEXT NOT NULL REFERENCES compounds(code),
    date        TEXT NOT NULL,
    start_hm    TEXT NOT NULL,
    end_hm      TEXT NOT NULL,
    starts_at   INTEGER NOT NULL,
    ends_at     INTEGER NOT NULL,
    cancelled   INTEGER NOT NULL DEFAULT 0,
    version     INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX patrol_shifts_area ON patrol_shifts(area, starts_at, id);
CREATE INDEX patrol_shifts_compound ON patrol_shifts(compound, starts_at);
CREATE TABLE patrol_shift_volunteers (
    shift_id     INTEGER NOT NULL REFERENCES patrol_shifts(id),
    volunteer_id INTEGER NOT NULL REFERENCES volunteers(id),
    pos          INTEGER NOT NULL,
    starts_at    INTEGER NOT NULL,
    ends_at      INTEGER NOT NULL,
    cancelled    INTEGER NOT NULL DEFAULT 0,
    check_in     INTEGER,
    check_out    INTEGER,
    in_lat       REAL, in_lng REAL, out_lat REAL, out_lng REAL,
    PRIMARY KEY (shift_id, volunteer_id)
);
CREATE INDEX patrol_sv_volunteer ON patrol_shift_volunteers(volunteer_id, starts_at);
CREATE INDEX patrol_sv_open ON patrol_shift_volunteers(shift_id) WHERE check_in IS NOT NULL AND check_out IS NULL;
CREATE TABLE patrol_findings (
    id           INTEGER PRIMARY KEY,
    shift_id     INTEGER NOT NULL REFERENCES patrol_shifts(id),
    volunteer_id INTEGER REFERENCES volunteers(id),
    actor        TEXT NOT NULL,
    text         TEXT NOT NULL,
    building     TEXT,
    photo        BLOB,
    photo_type   TEXT NOT NULL DEFAULT '',
    order_id     INTEGER REFERENCES orders(id),
    created_at   INTEGER NOT NULL
);
CREATE INDEX patrol_findings_shift ON patrol_findings(shift_id, id);
