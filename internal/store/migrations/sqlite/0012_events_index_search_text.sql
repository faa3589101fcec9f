-- PostgreSQL's 0012 replaces order_events' primary key by a deduplicated
-- index and keeps the search tokens as one text; SQLite has no B-tree
-- deduplication (its key is 1.2 GB at 10M, within its size) and keeps the
-- tokens in order_fts already. Kept so that both dialects share their
-- migration numbers.
SELECT 1;
