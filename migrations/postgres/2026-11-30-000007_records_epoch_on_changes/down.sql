DROP TRIGGER records_epoch_on_records_replace ON records;
DROP FUNCTION records_epoch_advance_if_stored();

CREATE TRIGGER records_epoch_on_records_insert AFTER INSERT ON records
FOR EACH STATEMENT EXECUTE FUNCTION records_epoch_advance();
