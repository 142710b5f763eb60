-- Protected identity (skyddad identitet): a coordinator marks it; the name
-- then never appears in a list, a plan view or an extract.
ALTER TABLE clients ADD COLUMN protected_identity BOOLEAN NOT NULL DEFAULT FALSE;

-- Erasure: who erased the client, and why (sealed under the erasing
-- coordinator's own data key, so it outlives the client's destroyed key).
ALTER TABLE clients ADD COLUMN erased_by TEXT;
ALTER TABLE clients ADD COLUMN erasure_reason_ct BLOB;

-- The rule clients_erased, as the other rules are kept on SQLite (see
-- 2026-11-23-000002_invariants).
CREATE TRIGGER check_clients_erased_on_insert BEFORE INSERT ON clients
WHEN NOT ((NEW.erased_at IS NULL) = (NEW.erased_by IS NULL) AND (NEW.erased_at IS NULL) = (NEW.erasure_reason_ct IS NULL))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: clients_erased'); END;

CREATE TRIGGER check_clients_erased_on_update BEFORE UPDATE ON clients
WHEN NOT ((NEW.erased_at IS NULL) = (NEW.erased_by IS NULL) AND (NEW.erased_at IS NULL) = (NEW.erasure_reason_ct IS NULL))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: clients_erased'); END;
