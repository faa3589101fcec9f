-- One counter that every admin change (deadline policy, units, categories,
-- compounds, calendar days, users) bumps in its own
-- transaction. Each instance caches those settings and compares this number
-- every second or so (service.WatchSettings): a different number means
-- another instance changed something, and it reloads (issue 12: a policy put
-- on one instance never reached the others).
CREATE TABLE settings_version (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    version  BIGINT NOT NULL
);
INSERT INTO settings_version (id, version) VALUES (1, 0);
