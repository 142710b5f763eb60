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

-- The records epoch: a counter that every insert, update or delete of a
-- record's metadata moves forward in the same transaction. Each process
-- keeps the metadata of records read lately in memory under it (a read
-- reads it with the policy epoch, in one statement) and uses them only
-- while it is unchanged. Kept apart from the policy epoch so that a new
-- note does not empty every process's cache of decision facts.
CREATE TABLE records_epoch (
    id    SMALLINT PRIMARY KEY NOT NULL,
    epoch BIGINT NOT NULL
);
INSERT INTO records_epoch (id, epoch) VALUES (1, 0);
CREATE TRIGGER check_records_epoch_single_on_insert BEFORE INSERT ON records_epoch
WHEN NOT (NEW.id = 1 AND NEW.epoch >= 0)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: records_epoch_single'); END;
CREATE TRIGGER check_records_epoch_single_on_update BEFORE UPDATE ON records_epoch
WHEN NOT (NEW.id = 1 AND NEW.epoch >= 0)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: records_epoch_single'); END;
CREATE TRIGGER records_epoch_forward_only BEFORE UPDATE ON records_epoch
WHEN NEW.epoch <= OLD.epoch
BEGIN SELECT RAISE(ABORT, 'records_epoch only moves forward'); END;
CREATE TRIGGER records_epoch_no_delete BEFORE DELETE ON records_epoch
BEGIN SELECT RAISE(ABORT, 'records_epoch only moves forward'); END;

CREATE TRIGGER records_epoch_on_records_insert AFTER INSERT ON records
BEGIN UPDATE records_epoch SET epoch = epoch + 1 WHERE id = 1; END;

CREATE TRIGGER records_epoch_on_records_update AFTER UPDATE ON records
BEGIN UPDATE records_epoch SET epoch = epoch + 1 WHERE id = 1; END;

CREATE TRIGGER records_epoch_on_records_delete AFTER DELETE ON records
BEGIN UPDATE records_epoch SET epoch = epoch + 1 WHERE id = 1; END;
