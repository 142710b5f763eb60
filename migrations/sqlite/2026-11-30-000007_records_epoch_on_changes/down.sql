DROP TRIGGER records_epoch_on_records_replace;

CREATE TRIGGER records_epoch_on_records_insert AFTER INSERT ON records
BEGIN UPDATE records_epoch SET epoch = epoch + 1 WHERE id = 1; END;
