-- The policy epoch: one counter that every change to what an access
-- decision reads (accounts, assignments, consents, withdrawals, a client's
-- registration, erasure or deletion) moves forward in the same
-- transaction. Each process keeps the decision facts it loaded in memory,
-- tagged with the epoch it read before loading them, and uses them only
-- while the stored epoch is unchanged: one indexed read of one row per
-- request instead of the facts' queries, and a withdrawal on any process is
-- seen by the next request on every other. The epoch never goes back (a
-- trigger refuses it): cached facts of an old epoch must never become valid
-- again.

CREATE TABLE policy_epoch (
    id    SMALLINT PRIMARY KEY NOT NULL,
    epoch BIGINT NOT NULL
);
INSERT INTO policy_epoch (id, epoch) VALUES (1, 0);
CREATE TRIGGER check_policy_epoch_single_on_insert BEFORE INSERT ON policy_epoch
WHEN NOT (NEW.id = 1 AND NEW.epoch >= 0)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: policy_epoch_single'); END;
CREATE TRIGGER check_policy_epoch_single_on_update BEFORE UPDATE ON policy_epoch
WHEN NOT (NEW.id = 1 AND NEW.epoch >= 0)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: policy_epoch_single'); END;
CREATE TRIGGER policy_epoch_forward_only BEFORE UPDATE ON policy_epoch
WHEN NEW.epoch <= OLD.epoch
BEGIN SELECT RAISE(ABORT, 'policy_epoch only moves forward'); END;
CREATE TRIGGER policy_epoch_no_delete BEFORE DELETE ON policy_epoch
BEGIN SELECT RAISE(ABORT, 'policy_epoch only moves forward'); END;

CREATE TRIGGER policy_epoch_on_officers_insert AFTER INSERT ON officers
BEGIN UPDATE policy_epoch SET epoch = epoch + 1 WHERE id = 1; END;

CREATE TRIGGER policy_epoch_on_officers_update AFTER UPDATE ON officers
BEGIN UPDATE policy_epoch SET epoch = epoch + 1 WHERE id = 1; END;

CREATE TRIGGER policy_epoch_on_officers_delete AFTER DELETE ON officers
BEGIN UPDATE policy_epoch SET epoch = epoch + 1 WHERE id = 1; END;

CREATE TRIGGER policy_epoch_on_assignments_insert AFTER INSERT ON assignments
BEGIN UPDATE policy_epoch SET epoch = epoch + 1 WHERE id = 1; END;

CREATE TRIGGER policy_epoch_on_assignments_update AFTER UPDATE ON assignments
BEGIN UPDATE policy_epoch SET epoch = epoch + 1 WHERE id = 1; END;

CREATE TRIGGER policy_epoch_on_assignments_delete AFTER DELETE ON assignments
BEGIN UPDATE policy_epoch SET epoch = epoch + 1 WHERE id = 1; END;

CREATE TRIGGER policy_epoch_on_consents_insert AFTER INSERT ON consents
BEGIN UPDATE policy_epoch SET epoch = epoch + 1 WHERE id = 1; END;

CREATE TRIGGER policy_epoch_on_consents_update AFTER UPDATE ON consents
BEGIN UPDATE policy_epoch SET epoch = epoch + 1 WHERE id = 1; END;

CREATE TRIGGER policy_epoch_on_consents_delete AFTER DELETE ON consents
BEGIN UPDATE policy_epoch SET epoch = epoch + 1 WHERE id = 1; END;

CREATE TRIGGER policy_epoch_on_consent_withdrawals_insert AFTER INSERT ON consent_withdrawals
BEGIN UPDATE policy_epoch SET epoch = epoch + 1 WHERE id = 1; END;

CREATE TRIGGER policy_epoch_on_consent_withdrawals_update AFTER UPDATE ON consent_withdrawals
BEGIN UPDATE policy_epoch SET epoch = epoch + 1 WHERE id = 1; END;

CREATE TRIGGER policy_epoch_on_consent_withdrawals_delete AFTER DELETE ON consent_withdrawals
BEGIN UPDATE policy_epoch SET epoch = epoch + 1 WHERE id = 1; END;

CREATE TRIGGER policy_epoch_on_clients_insert AFTER INSERT ON clients
BEGIN UPDATE policy_epoch SET epoch = epoch + 1 WHERE id = 1; END;

CREATE TRIGGER policy_epoch_on_clients_update AFTER UPDATE OF erased_at ON clients
BEGIN UPDATE policy_epoch SET epoch = epoch + 1 WHERE id = 1; END;

CREATE TRIGGER policy_epoch_on_clients_delete AFTER DELETE ON clients
BEGIN UPDATE policy_epoch SET epoch = epoch + 1 WHERE id = 1; END;
