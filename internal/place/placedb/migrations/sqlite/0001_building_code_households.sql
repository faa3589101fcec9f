-- Buildings get a server-wide code computed from compound and number (see
-- place.BuildingCode; the same expression), so rows written by the orders'
-- store, which knows nothing of codes, have one too. SQLite can add only a
-- VIRTUAL generated column; the unique index stores it.
ALTER TABLE buildings ADD COLUMN code TEXT GENERATED ALWAYS AS (compound || '-' || replace(replace(replace(replace(replace(number, '号楼', ''), '号', ''), '幢', ''), '栋', ''), '楼', '')) VIRTUAL;
CREATE UNIQUE INDEX buildings_code ON buildings(code);

-- A household (户) of a building. area and building (the code) are copied
-- from the building (they never change) so lists filter without joins; the
-- composite key keeps it attached to a real building.
CREATE TABLE households (
    id          INTEGER PRIMARY KEY,
    area        TEXT NOT NULL REFERENCES units(code),
    compound    TEXT NOT NULL,
    building_no TEXT NOT NULL,
    building    TEXT NOT NULL,
    unit_no     TEXT NOT NULL DEFAULT '',
    room        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('residential', 'collective', 'shop', 'vacant')),
    version     INTEGER NOT NULL DEFAULT 1,
    updated_at  INTEGER NOT NULL,
    FOREIGN KEY (compound, building_no) REFERENCES buildings(compound, number)
);
CREATE UNIQUE INDEX households_place ON households(building, unit_no, room);
CREATE INDEX households_area ON households(area, id);
