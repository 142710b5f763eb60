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

-- The sealed bodies of record versions are kept in memory by record and
-- version, as a stored version is never changed (an amendment is a new
-- version). The database holds to it.
CREATE TRIGGER record_versions_never_change BEFORE UPDATE OF body_ct ON record_versions
BEGIN SELECT RAISE(ABORT, 'record_versions_never_change: a stored version is never changed'); END;
