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
ALTER TABLE policy_epoch ADD CONSTRAINT policy_epoch_single CHECK (id = 1 AND epoch >= 0);

CREATE FUNCTION policy_epoch_refuse_going_back() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'policy_epoch only moves forward';
END $$;
CREATE TRIGGER policy_epoch_forward_only BEFORE UPDATE ON policy_epoch
FOR EACH ROW WHEN (NEW.epoch <= OLD.epoch) EXECUTE FUNCTION policy_epoch_refuse_going_back();
CREATE TRIGGER policy_epoch_no_delete BEFORE DELETE ON policy_epoch
FOR EACH ROW EXECUTE FUNCTION policy_epoch_refuse_going_back();

CREATE FUNCTION policy_epoch_advance() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE policy_epoch SET epoch = epoch + 1 WHERE id = 1;
    RETURN NULL;
END $$;

CREATE TRIGGER policy_epoch_on_officers_insert AFTER INSERT ON officers
FOR EACH STATEMENT EXECUTE FUNCTION policy_epoch_advance();

CREATE TRIGGER policy_epoch_on_officers_update AFTER UPDATE ON officers
FOR EACH STATEMENT EXECUTE FUNCTION policy_epoch_advance();

CREATE TRIGGER policy_epoch_on_officers_delete AFTER DELETE OR TRUNCATE ON officers
FOR EACH STATEMENT EXECUTE FUNCTION policy_epoch_advance();

CREATE TRIGGER policy_epoch_on_assignments_insert AFTER INSERT ON assignments
FOR EACH STATEMENT EXECUTE FUNCTION policy_epoch_advance();

CREATE TRIGGER policy_epoch_on_assignments_update AFTER UPDATE ON assignments
FOR EACH STATEMENT EXECUTE FUNCTION policy_epoch_advance();

CREATE TRIGGER policy_epoch_on_assignments_delete AFTER DELETE OR TRUNCATE ON assignments
FOR EACH STATEMENT EXECUTE FUNCTION policy_epoch_advance();

CREATE TRIGGER policy_epoch_on_consents_insert AFTER INSERT ON consents
FOR EACH STATEMENT EXECUTE FUNCTION policy_epoch_advance();

CREATE TRIGGER policy_epoch_on_consents_update AFTER UPDATE ON consents
FOR EACH STATEMENT EXECUTE FUNCTION policy_epoch_advance();

CREATE TRIGGER policy_epoch_on_consents_delete AFTER DELETE OR TRUNCATE ON consents
FOR EACH STATEMENT EXECUTE FUNCTION policy_epoch_advance();

CREATE TRIGGER policy_epoch_on_consent_withdrawals_insert AFTER INSERT ON consent_withdrawals
FOR EACH STATEMENT EXECUTE FUNCTION policy_epoch_advance();

CREATE TRIGGER policy_epoch_on_consent_withdrawals_update AFTER UPDATE ON consent_withdrawals
FOR EACH STATEMENT EXECUTE FUNCTION policy_epoch_advance();

CREATE TRIGGER policy_epoch_on_consent_withdrawals_delete AFTER DELETE OR TRUNCATE ON consent_withdrawals
FOR EACH STATEMENT EXECUTE FUNCTION policy_epoch_advance();

CREATE TRIGGER policy_epoch_on_clients_insert AFTER INSERT ON clients
FOR EACH STATEMENT EXECUTE FUNCTION policy_epoch_advance();

CREATE TRIGGER policy_epoch_on_clients_update AFTER UPDATE OF erased_at ON clients
FOR EACH STATEMENT EXECUTE FUNCTION policy_epoch_advance();

CREATE TRIGGER policy_epoch_on_clients_delete AFTER DELETE OR TRUNCATE ON clients
FOR EACH STATEMENT EXECUTE FUNCTION policy_epoch_advance();
