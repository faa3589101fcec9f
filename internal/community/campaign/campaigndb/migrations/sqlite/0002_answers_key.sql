-- key_id is the AEAD key a submission's answers were sealed under
-- (seal.KeyID of the ciphertext; 0 for rows written before this column,
-- which the resealer then re-seals once). The background re-encryption
-- after a key rotation finds stale answers through the partial index
-- instead of opening every submission (internal/app/reseal.go).
ALTER TABLE campaign_submissions ADD COLUMN key_id BIGINT NOT NULL DEFAULT 0;
CREATE INDEX campaign_submissions_key ON campaign_submissions(key_id, id) WHERE answers IS NOT NULL;
