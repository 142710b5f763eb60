DROP TRIGGER check_clients_erased_on_update;
DROP TRIGGER check_clients_erased_on_insert;
ALTER TABLE clients DROP COLUMN erasure_reason_ct;
ALTER TABLE clients DROP COLUMN erased_by;
ALTER TABLE clients DROP COLUMN protected_identity;
