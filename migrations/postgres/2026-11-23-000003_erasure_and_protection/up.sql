-- Protected identity (skyddad identitet): a coordinator marks it; the name
-- then never appears in a list, a plan view or an extract.
ALTER TABLE clients ADD COLUMN protected_identity BOOLEAN NOT NULL DEFAULT FALSE;

-- Erasure: who erased the client, and why (sealed under the erasing
-- coordinator's own data key, so it outlives the client's destroyed key).
ALTER TABLE clients ADD COLUMN erased_by TEXT;
ALTER TABLE clients ADD COLUMN erasure_reason_ct BYTEA;
ALTER TABLE clients ADD CONSTRAINT clients_erased
    CHECK ((erased_at IS NULL) = (erased_by IS NULL) AND (erased_at IS NULL) = (erasure_reason_ct IS NULL));
