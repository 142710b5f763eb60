ALTER TABLE clients DROP CONSTRAINT clients_erased;
ALTER TABLE clients DROP COLUMN erasure_reason_ct;
ALTER TABLE clients DROP COLUMN erased_by;
ALTER TABLE clients DROP COLUMN protected_identity;
