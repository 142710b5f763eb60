-- Each process keeps its clients' data keys as stored (wrapped under a
-- master key) in memory under the policy epoch, beside the decision facts.
-- Every change to a stored data key moves the epoch: an erasure (which
-- deletes it), a master-key rotation (which rewraps it), an insert, and a
-- TRUNCATE. A key kept in memory is then never used after its row
-- changed, whichever process or tool changed it.

CREATE TRIGGER policy_epoch_on_data_keys_insert AFTER INSERT ON data_keys
FOR EACH STATEMENT EXECUTE FUNCTION policy_epoch_advance();

CREATE TRIGGER policy_epoch_on_data_keys_update AFTER UPDATE ON data_keys
FOR EACH STATEMENT EXECUTE FUNCTION policy_epoch_advance();

CREATE TRIGGER policy_epoch_on_data_keys_delete AFTER DELETE OR TRUNCATE ON data_keys
FOR EACH STATEMENT EXECUTE FUNCTION policy_epoch_advance();
