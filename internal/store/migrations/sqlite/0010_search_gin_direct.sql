-- PostgreSQL's 0010 turns off its GIN index's pending list; SQLite's FTS5
-- has none. Kept so that both dialects share their migration numbers.
SELECT 1;
