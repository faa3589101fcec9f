-- key_id is the AEAD key a note was sealed under (seal.KeyID of the
-- ciphertext; 0 for rows written before this column, which the resealer
-- then re-seals once). The background re-encryption after a key rotation
-- finds stale notes through the partial indexes instead of opening every
-- note (internal/app/reseal.go).
ALTER TABLE emergency_checks ADD COLUMN key_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE emergency_ops ADD COLUMN key_id BIGINT NOT NULL DEFAULT 0;
CREATE INDEX emergency_checks_key ON emergency_checks(key_id, id) WHERE note IS NOT NULL;
CREATE INDEX emergency_ops_key ON emergency_ops(key_id) WHERE note IS NOT NULL;
