-- Periodic jobs that must run once per period for the whole deployment,
-- not once per instance (the nightly model training): the instance that
-- inserts the (job, period) row runs it, the others see the row and skip.
CREATE TABLE job_runs (
    job         TEXT NOT NULL,
    period      TEXT NOT NULL,
    owner       TEXT NOT NULL,
    started_at  BIGINT NOT NULL,
    PRIMARY KEY (job, period)
);
