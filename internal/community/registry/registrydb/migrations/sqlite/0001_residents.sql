-- Residents (community.md §1). The intent is in the registry package's
-- documentation: area, compound and building are copied from the household
-- so the committees' lists are one index range; care tags are a bitmask
-- (bit i = registry.CareTags[i]) with a partial index over the residents
-- that have any; id_number, phone and notes are sealed (internal/seal) with
-- the row and column as associated data, id_number and phone have a blind
-- index (exact lookup) and their masked form (lists never decrypt);
-- key_id is the AEAD key a row was sealed under (re-encryption finds old
-- rows by it). Residents are never deleted: status.
CREATE TABLE residents (
    id             INTEGER PRIMARY KEY,
    household      INTEGER NOT NULL REFERENCES households(id),
    area           TEXT NOT NULL,
    compound       TEXT NOT NULL,
    building       TEXT NOT NULL,
    name           TEXT NOT NULL,
    gender         TEXT NOT NULL CHECK (gender IN ('m', 'f')),
    birth_date     TEXT NOT NULL DEFAULT '',
    relation       TEXT NOT NULL CHECK (relation IN ('head', 'spouse', 'child', 'parent', 'other')),
    residence      TEXT NOT NULL CHECK (residence IN ('registered', 'resident', 'floating')),
    tags           INTEGER NOT NULL DEFAULT 0,
    status         TEXT NOT NULL CHECK (status IN ('active', 'moved_out', 'deceased')),
    id_number      BLOB,
    id_number_ix   BLOB,
    id_number_mask TEXT NOT NULL DEFAULT '',
    phone          BLOB,
    phone_ix       BLOB,
    phone_mask     TEXT NOT NULL DEFAULT '',
    notes          BLOB,
    key_id         INTEGER NOT NULL DEFAULT 0,
    version        INTEGER NOT NULL DEFAULT 1,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX residents_area ON residents(area, status, id);
CREATE INDEX residents_building ON residents(building, id);
CREATE INDEX residents_household ON residents(household, id);
-- The care list: only residents with a tag, covering the summary's counts.
CREATE INDEX residents_care ON residents(area, building, tags, status, id) WHERE tags <> 0;
-- One record per person and area (a person who moved to another area is a
-- new record there; the old one keeps its history).
CREATE UNIQUE INDEX residents_id_number ON residents(id_number_ix, area);
CREATE INDEX residents_phone ON residents(phone_ix);
CREATE INDEX residents_name ON residents(name, id);
CREATE INDEX residents_key ON residents(key_id);
