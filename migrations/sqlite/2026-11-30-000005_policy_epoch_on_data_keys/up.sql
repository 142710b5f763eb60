-- Each process keeps its clients' data keys as stored (wrapped under a
-- master key) in memory under the policy epoch, beside the decision facts.
-- Every change to a stored data key moves the epoch: an erasure (which
-- deletes it), a master-key rotation (which rewraps it), and an insert
-- (on SQLite an `INSERT OR REPLACE` replaces a row without firing the
-- delete trigger). A key kept in memory is then never used after its row
-- changed, whichever process or tool changed it.

CREATE TRIGGER policy_epoch_on_data_keys_insert AFTER INSERT ON data_keys
BEGIN UPDATE policy_epoch SET epoch = epoch + 1 WHERE id = 1; END;

CREATE TRIGGER policy_epoch_on_data_keys_update AFTER UPDATE ON data_keys
BEGIN UPDATE policy_epoch SET epoch = epoch + 1 WHERE id = 1; END;

CREATE TRIGGER policy_epoch_on_data_keys_delete AFTER DELETE ON data_keys
BEGIN UPDATE policy_epoch SET epoch = epoch + 1 WHERE id = 1; END;
