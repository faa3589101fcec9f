-- Versions of the suggestion models learned from the center's history.
CREATE TABLE models (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    trained_at  INTEGER NOT NULL,
    examples    INTEGER NOT NULL,
    held_out    INTEGER NOT NULL,
    accuracy    REAL,
    macro_f1    REAL,
    algorithm   TEXT NOT NULL,
    data        BLOB NOT NULL
);
CREATE INDEX models_kind ON models(kind, id);
