-- The check list has no foreign key to its event on PostgreSQL: the
-- constraint's trigger fires once per row, and a district's declaration
-- writes 250,000 rows at once (9.5 of 27 s at a million residents, EXPLAIN
-- ANALYZE). Nothing is lost: checks are written only by Create, in the
-- transaction that inserts their event, and events are never deleted.
-- SQLite keeps the constraint (its check is an in-process index probe; and
-- dropping one there means rebuilding the table), hence no sqlite/0002.
ALTER TABLE emergency_checks DROP CONSTRAINT IF EXISTS emergency_checks_emergency_id_fkey;
