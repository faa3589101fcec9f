CREATE TABLE parents (id INTEGER PRIMARY KEY);
CREATE TABLE things (
    id      INTEGER PRIMARY KEY,
    name    TEXT NOT NULL UNIQUE,
    parent  INTEGER REFERENCES parents(id),
    n       INTEGER NOT NULL DEFAULT 0 CHECK (n >= 0)
);
