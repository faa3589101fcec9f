-- PostgreSQL's 0018 makes autovacuum re-analyse orders sooner during a
-- surge; SQLite keeps no planner statistics that go stale that way (its
-- full-text search walks the newest rows by rowid), so nothing changes here.
SELECT 1;
