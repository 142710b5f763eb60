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
