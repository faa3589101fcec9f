-- Door-to-door campaigns (community.md §5). form, compounds and buildings
-- are JSON as defined. campaign_households is the scope resolved to
-- households (taken when the scope is set and again when the campaign
-- opens), so that progress counts a fixed list. Each submission is kept
-- (answers sealed, internal/seal); campaign_latest holds each household's
-- latest one, which is what counts, so progress at 100,000 households is
-- two grouped index scans.
CREATE TABLE campaigns (
    id          INTEGER PRIMARY KEY,
    area        TEXT NOT NULL REFERENCES units(code),
    name        TEXT NOT NULL,
    form        TEXT NOT NULL,
    compounds   TEXT NOT NULL,
    buildings   TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('draft', 'open', 'closed')),
    starts      TEXT NOT NULL DEFAULT '',
    ends        TEXT NOT NULL DEFAULT '',
    created_by  TEXT NOT NULL,
    updated_at  INTEGER NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX campaigns_area ON campaigns(area, id);

CREATE TABLE campaign_collectors (
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
    username    TEXT NOT NULL,
    building    TEXT NOT NULL,
    PRIMARY KEY (campaign_id, username, building)
);
CREATE INDEX campaign_collectors_user ON campaign_collectors(username, campaign_id);

CREATE TABLE campaign_households (
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
    household   INTEGER NOT NULL,
    building    TEXT NOT NULL,
    PRIMARY KEY (campaign_id, household)
);
CREATE INDEX campaign_households_building ON campaign_households(campaign_id, building, household);

CREATE TABLE campaign_submissions (
    id            INTEGER PRIMARY KEY,
    campaign_id   INTEGER NOT NULL REFERENCES campaigns(id),
    submission_id TEXT NOT NULL,
    household     INTEGER NOT NULL,
    building      TEXT NOT NULL,
    collector     TEXT NOT NULL,
    outcome       TEXT NOT NULL CHECK (outcome IN ('done', 'refused', 'absent')),
    answers       BLOB,
    digest        BLOB NOT NULL,
    collected_at  INTEGER NOT NULL,
    received_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX campaign_submissions_id ON campaign_submissions(campaign_id, submission_id);

CREATE TABLE campaign_latest (
    campaign_id  INTEGER NOT NULL,
    household    INTEGER NOT NULL,
    building     TEXT NOT NULL,
    submission   INTEGER NOT NULL,
    outcome      TEXT NOT NULL,
    collector    TEXT NOT NULL,
    collected_at INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, household)
);
-- Progress counts visits by building and outcome without touching the
-- households (not visited = the building's households minus its visits).
CREATE INDEX campaign_latest_building ON campaign_latest(campaign_id, building, outcome);
