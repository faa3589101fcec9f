-- New orders' search tokens go straight into the GIN index instead of its
-- pending list (fastupdate). With the pending list, whichever create found
-- it full merged it into the index there and then: at the default 4 MB a
-- 150–200 ms stall, and still the bulk of the p99 at 64 kB (the smallest
-- limit PostgreSQL allows): 15–20 ms at 200 creates/s against 6–8 ms
-- without it, for about 15% more PostgreSQL CPU per create
-- (docs/benchmarks.md, issue 2). Searches no longer scan a pending list
-- either. Entries already pending are merged by the next VACUUM.
ALTER INDEX orders_search SET (fastupdate = off);
