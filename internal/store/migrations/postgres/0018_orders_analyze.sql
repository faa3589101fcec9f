-- Re-analyse the orders table after 1% of it changes (at least 500 rows),
-- not PostgreSQL's default 10%. A surge is exactly when a word's
-- statistics go stale: with 30,000 new orders about one building site in a
-- 40,000-order table the planner still expected 57 rows for 打桩, fetched
-- and sorted all 29,970 matches for the first search page (12–240 ms)
-- instead of walking the newest ids (0.18 ms once analysed). ANALYZE
-- samples a fixed number of rows (300 × the statistics target), so running
-- it more often costs the same each time, whatever the table's size.
ALTER TABLE orders SET (autovacuum_analyze_scale_factor = 0.01, autovacuum_analyze_threshold = 500);
