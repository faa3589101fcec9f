-- A finding written on a phone carries the id the phone made for it
-- (entry_id), so that a log entry queued offline and sent again after a
-- lost answer is stored once: the second send finds the first.
ALTER TABLE patrol_findings ADD COLUMN entry_id TEXT;
CREATE UNIQUE INDEX patrol_findings_entry ON patrol_findings(shift_id, entry_id) WHERE entry_id IS NOT NULL;
