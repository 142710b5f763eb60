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

-- The sealed bodies of record versions are kept in memory by record and
-- version, as a stored version is never changed (an amendment is a new
-- version). The database holds to it.
CREATE FUNCTION record_versions_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'record_versions_never_change: a stored version is never changed';
END $$;
CREATE TRIGGER record_versions_never_change BEFORE UPDATE OF body_ct ON record_versions
FOR EACH ROW EXECUTE FUNCTION record_versions_refuse_change();

-- The records epoch: a counter that every insert, update or delete (and
-- TRUNCATE) of a record's metadata moves forward in the same transaction.
-- Each process keeps the metadata of records read lately in memory under
-- it (a read reads it with the policy epoch, in one statement) and uses
-- them only while it is unchanged. Kept apart from the policy epoch so that
-- a new note does not empty every process's cache of decision facts.
CREATE TABLE records_epoch (
    id    SMALLINT PRIMARY KEY NOT NULL,
    epoch BIGINT NOT NULL
);
INSERT INTO records_epoch (id, epoch) VALUES (1, 0);
ALTER TABLE records_epoch ADD CONSTRAINT records_epoch_single CHECK (id = 1 AND epoch >= 0);

CREATE FUNCTION records_epoch_refuse_going_back() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'records_epoch only moves forward';
END $$;
CREATE TRIGGER records_epoch_forward_only BEFORE UPDATE ON records_epoch
FOR EACH ROW WHEN (NEW.epoch <= OLD.epoch) EXECUTE FUNCTION records_epoch_refuse_going_back();
CREATE TRIGGER records_epoch_no_delete BEFORE DELETE ON records_epoch
FOR EACH ROW EXECUTE FUNCTION records_epoch_refuse_going_back();

CREATE FUNCTION records_epoch_advance() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE records_epoch SET epoch = epoch + 1 WHERE id = 1;
    RETURN NULL;
END $$;

CREATE TRIGGER records_epoch_on_records_insert AFTER INSERT ON records
FOR EACH STATEMENT EXECUTE FUNCTION records_epoch_advance();

CREATE TRIGGER records_epoch_on_records_update AFTER UPDATE ON records
FOR EACH STATEMENT EXECUTE FUNCTION records_epoch_advance();

CREATE TRIGGER records_epoch_on_records_delete AFTER DELETE OR TRUNCATE ON records
FOR EACH STATEMENT EXECUTE FUNCTION records_epoch_advance();
